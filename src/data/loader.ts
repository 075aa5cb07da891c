// SPDX-License-Identifier: MIT
/**
 * Batches for training and evaluation (reference §1.2, §6.4): shuffle, random crop + horizontal
 * flip, the 64/128/256 pyramid made from the crop, [-1, 1] NCHW floats, one random caption per
 * image, WORDS_NUM cap, padding and length sort. (The discriminators' mismatched pairs need no
 * extra caption: the official loss pairs image k with caption k+1 of the batch.) Batches are
 * prepared `prefetch` ahead while the caller's step runs. Every random choice comes from an RNG
 * seeded by (seed, epoch, position), so a batch does not depend on timing or prefetch depth.
 */
import { capWords, padCaptions, sortByLength, type WordsCapMode } from '../text/captions.js';
import { checkInt, DataError, invalidArg } from '../../lib/errors.js';
import { stderrLogger, type DataLogger } from './report.js';
import { cropFlip, resizeToCHW } from './resize.js';
import { Rng, deriveSeed } from '../util/rng.js';
import { shardBatch, shardBatchCount, type ShardSpec } from './shard.js';
import type { Dataset, RgbImage } from './types.js';

/** Options of {@link DataLoader}; all optional. */
export interface LoaderOptions {
  /** Images per batch, 1–4096 (default 12, MirrorGAN's CUB batch). */
  batchSize?: number;
  /** Output sizes, ascending (default [64, 128, 256]); the largest is the crop size. */
  imageSizes?: number[];
  /** Caption length cap WORDS_NUM, 1–256 (default 18, MirrorGAN training). */
  wordsNum?: number;
  /** Long-caption rule (default `sample` when `augment`, else `truncate`). */
  wordsCap?: WordsCapMode;
  /** Shuffle each epoch (default true). */
  shuffle?: boolean;
  /** Drop the last incomplete batch, as the official loader does (default true). */
  dropLast?: boolean;
  /** Random crop + flip (default true); `false` takes the centre crop without flip. */
  augment?: boolean;
  /** Sort each batch by caption length, descending (default true; needed by the packed LSTM). */
  sortByLength?: boolean;
  /** Seed of every random choice (default 0). */
  seed?: number;
  /** Batches prepared ahead, 0–64 (default 2). */
  prefetch?: number;
  /** Warning sink for images that fail to read (default stderr). */
  logger?: DataLogger;
  /**
   * Distributed training: this rank's part of every epoch (`src/data/shard.ts`). Every rank
   * draws the same epoch order and reads its own block of each global batch of
   * batchSize × worldSize images. Default: the whole epoch (rank 0 of 1).
   */
  shard?: ShardSpec;
}

/** One batch. Per-item arrays share one order: sorted by caption length, descending. */
export interface Batch {
  /** Epoch index. */
  epoch: number;
  /** Batch index within the epoch. */
  step: number;
  /** Items in this batch. */
  batchSize: number;
  /** Caption row width (WORDS_NUM). */
  wordsNum: number;
  /** Side of each scale, ascending. */
  imageSizes: number[];
  /** One (B, 3, S, S) float array per scale, values in [-1, 1]. */
  images: Float32Array[];
  /** (B, wordsNum) word ids, right-padded with 0. */
  captions: Int32Array;
  /** Words per caption (descending when sorted). */
  captionLengths: Int32Array;
  /** Longest caption in the batch (mask width). */
  maxLength: number;
  /** Class id per item. */
  classIds: Int32Array;
  /** Dataset key per item. */
  keys: string[];
  /** Dataset index per item. */
  indices: Int32Array;
  /** Which of the image's captions was used, per item. */
  captionIndices: Int32Array;
  /** Length sort applied: item k of the batch was drawn at position `order[k]`. */
  order: Int32Array;
}

/** Validated loader settings. @private */
interface Settings {
  batchSize: number;
  imageSizes: number[];
  wordsNum: number;
  wordsCap: WordsCapMode;
  shuffle: boolean;
  dropLast: boolean;
  augment: boolean;
  sortByLength: boolean;
  seed: number;
  prefetch: number;
  shard: ShardSpec;
}

function checkShard(shard: ShardSpec | undefined): ShardSpec {
  if (shard === undefined) return { rank: 0, worldSize: 1 };
  if (shard === null || typeof shard !== 'object') throw invalidArg('shard', '{ rank, worldSize }', shard);
  const worldSize = checkInt('shard.worldSize', shard.worldSize, 1, 65536);
  return { rank: checkInt('shard.rank', shard.rank, 0, worldSize - 1), worldSize };
}

function settings(dataset: Dataset, o: LoaderOptions): Settings {
  const batchSize = checkInt('batchSize', o.batchSize ?? 12, 1, 4096);
  const imageSizes = o.imageSizes ?? [64, 128, 256];
  if (!Array.isArray(imageSizes) || imageSizes.length === 0) throw invalidArg('imageSizes', 'a non-empty array of sizes', imageSizes);
  imageSizes.forEach((s, i) => {
    checkInt(`imageSizes[${i}]`, s, 4, 1024);
    if (i > 0 && s <= (imageSizes[i - 1] as number)) throw invalidArg('imageSizes', 'ascending sizes', imageSizes.join(','));
  });
  const augment = o.augment ?? true;
  const dropLast = o.dropLast ?? true;
  const s: Settings = {
    batchSize,
    imageSizes: [...imageSizes],
    wordsNum: checkInt('wordsNum', o.wordsNum ?? 18, 1, 256),
    wordsCap: o.wordsCap ?? (augment ? 'sample' : 'truncate'),
    shuffle: o.shuffle ?? true,
    dropLast,
    augment,
    sortByLength: o.sortByLength ?? true,
    seed: checkInt('seed', o.seed ?? 0, 0, 0xffffffff),
    prefetch: checkInt('prefetch', o.prefetch ?? 2, 0, 64),
    shard: checkShard(o.shard),
  };
  if (s.wordsCap !== 'sample' && s.wordsCap !== 'truncate') throw invalidArg('wordsCap', "'sample' or 'truncate'", s.wordsCap);
  const W = s.shard.worldSize;
  if (dataset.size === 0 || (dropLast && dataset.size < batchSize * W)) {
    const need = W > 1 ? `batchSize ${batchSize} × ${W} ranks` : `batchSize ${batchSize}`;
    throw new DataError(
      'ERR_DATA_EMPTY',
      `${dataset.name} ${dataset.split} has ${dataset.size} images, fewer than ${need}${dropLast ? ' (dropLast would yield no batch)' : ''}`,
    );
  }
  return s;
}

/**
 * Epoch iterator over a {@link Dataset}. `for await (const batch of loader)` runs one epoch
 * (the next one on each loop); `loader.epoch(e)` runs epoch `e` explicitly.
 */
export class DataLoader implements AsyncIterable<Batch> {
  /** Validated settings. */
  readonly options: Readonly<Settings>;
  private nextEpoch = 0;
  private readonly failed = new Set<number>();
  private readonly logger: DataLogger;

  constructor(
    /** The dataset split to draw from. */
    readonly dataset: Dataset,
    options: LoaderOptions = {},
  ) {
    this.options = settings(dataset, options);
    this.logger = options.logger ?? stderrLogger;
  }

  /** Batches per epoch on this rank (⌊N/(B·W)⌋ with dropLast, else ⌈N/(B·W)⌉; W = 1 unsharded). */
  get batchesPerEpoch(): number {
    const { batchSize, dropLast, shard } = this.options;
    return shardBatchCount(this.dataset.size, batchSize, dropLast, shard);
  }

  /** Runs the next epoch. */
  [Symbol.asyncIterator](): AsyncIterator<Batch> {
    return this.epoch(this.nextEpoch++);
  }

  /** Yields the batches of epoch `epoch`, keeping up to `prefetch` batches in preparation. */
  async *epoch(epoch: number): AsyncGenerator<Batch> {
    const { batchSize, shuffle, prefetch, dropLast, shard } = this.options;
    const n = this.dataset.size;
    const order = Array.from({ length: n }, (_, i) => i);
    if (shuffle) new Rng(deriveSeed(this.options.seed, epoch, 'shuffle')).shuffle(order);
    const total = this.batchesPerEpoch;
    const queue: Promise<Batch>[] = [];
    let next = 0;
    const fill = (): void => {
      while (next < total && queue.length <= prefetch) {
        const { drawn, first } = shardBatch(order, next, batchSize, dropLast, shard);
        const p = this.makeBatch(epoch, next, drawn, first);
        p.catch(() => undefined); // awaited below; avoid an unhandled-rejection report meanwhile
        queue.push(p);
        next++;
      }
    };
    fill();
    while (queue.length > 0) {
      const batch = await (queue.shift() as Promise<Batch>);
      fill();
      yield batch;
    }
  }

  /** Reads image `index`, substituting the next readable image when it cannot be read. */
  private async readImage(index: number): Promise<{ image: RgbImage; index: number }> {
    const n = this.dataset.size;
    for (let k = 0; k < Math.min(n, 16); k++) {
      const i = (index + k) % n;
      if (this.failed.has(i)) continue;
      try {
        return { image: await this.dataset.readImage(i), index: i };
      } catch (err) {
        if (err instanceof DataError) throw err;
        this.failed.add(i);
        this.logger.warn(`${this.dataset.name}: skipped ${this.dataset.keys[i]}: unreadable (${(err as Error).message.split('\n')[0]}); using another image from now on`);
      }
    }
    throw new DataError('ERR_DATA_EMPTY', `${this.dataset.name} ${this.dataset.split}: 16 images in a row could not be read; is the source gone?`);
  }

  /**
   * Builds one batch from dataset indices (deterministic given seed, epoch, step). Item b's
   * random choices are seeded by its position `first + b` in the global batch, so a shard's
   * items match those of a single process reading the whole global batch.
   */
  private async makeBatch(epoch: number, step: number, drawn: number[], first: number): Promise<Batch> {
    const o = this.options;
    const ds = this.dataset;
    const B = drawn.length;
    const reads = await Promise.all(drawn.map((i) => this.readImage(i)));
    const maxSize = o.imageSizes[o.imageSizes.length - 1] as number;
    const nominalSide = Math.floor((maxSize * 76) / 64);

    const crops: RgbImage[] = [];
    const caps: number[][] = [];
    const capIdx: number[] = [];
    reads.forEach(({ image, index }, b) => {
      const rng = new Rng(deriveSeed(o.seed, epoch, step, first + b));
      // Crop size in stored pixels: maxSize when the cache side is the nominal int(size·76/64).
      const shortSide = Math.min(image.width, image.height);
      const cs = Math.min(shortSide, Math.round((maxSize * ds.imageSide) / nominalSide));
      const x = o.augment ? rng.int(image.width - cs + 1) : Math.floor((image.width - cs) / 2);
      const y = o.augment ? rng.int(image.height - cs + 1) : Math.floor((image.height - cs) / 2);
      const flip = o.augment && rng.next() < 0.5;
      crops.push(cropFlip(image, x, y, cs, flip));
      const own = ds.captions[index] as readonly number[][];
      const ci = rng.int(own.length);
      capIdx.push(ci);
      caps.push(capWords(own[ci] as number[], o.wordsNum, o.wordsCap, rng));
    });

    const padded = padCaptions(caps, o.wordsNum);
    const perm = o.sortByLength ? sortByLength(padded.lengths) : Int32Array.from(drawn.keys());
    const captions = new Int32Array(B * o.wordsNum);
    const captionLengths = new Int32Array(B);
    const images = o.imageSizes.map((s) => new Float32Array(B * 3 * s * s));
    perm.forEach((p, k) => {
      captions.set(padded.ids.subarray(p * o.wordsNum, (p + 1) * o.wordsNum), k * o.wordsNum);
      captionLengths[k] = padded.lengths[p] as number;
      o.imageSizes.forEach((s, si) => resizeToCHW(crops[p] as RgbImage, s, s, images[si] as Float32Array, k * 3 * s * s));
    });
    const pick = <T>(arr: readonly T[]): T[] => Array.from(perm, (p) => arr[p] as T);
    const indices = Int32Array.from(pick(reads.map((r) => r.index)));
    return {
      epoch,
      step,
      batchSize: B,
      wordsNum: o.wordsNum,
      imageSizes: [...o.imageSizes],
      images,
      captions,
      captionLengths,
      maxLength: captionLengths.reduce((m, l) => Math.max(m, l), 0),
      classIds: Int32Array.from(indices, (i) => ds.classIds[i] as number),
      keys: Array.from(indices, (i) => ds.keys[i] as string),
      indices,
      captionIndices: Int32Array.from(pick(capIdx)),
      order: perm,
    };
  }
}
