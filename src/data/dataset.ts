// SPDX-License-Identifier: MIT
/**
 * `loadDataset`: scan a layout, clean captions, build or reuse the image cache, build the
 * vocabulary, and return the train and test {@link Dataset}s.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

import { tokenize } from '../text/tokenizer.js';
import { Vocabulary } from '../text/vocabulary.js';
import { writeFileAtomic } from '../util/atomic.js';
import { ImageCache, fingerprint, type CacheSlot } from './cache.js';
import { scanCoco } from './coco.js';
import { scanCub } from './cub.js';
import { checkInt, DataError, invalidArg } from '../../lib/errors.js';
import { scanFolder, type FolderOptions } from './folder.js';
import { describeItems } from './describe_items.js';
import { cacheSideFor, decodeImage } from './image.js';
import { scanOpenMoji, type OpenMojiOptions } from './openmoji.js';
import { runPool } from '../util/pool.js';
import { DataReport, stderrLogger, type DataLogger, type ReportCounts } from './report.js';
import type { Dataset, DatasetKind, RgbImage, SourceItem, SourceScan, Split } from './types.js';

/** Dataset kinds accepted by {@link loadDataset}. */
export const DATASET_KINDS: readonly DatasetKind[] = ['openmoji', 'cub', 'coco', 'folder'];

/** Default largest training size (the official 256 px stage). */
export const DEFAULT_IMAGE_SIZE = 256;

/** Options of {@link loadDataset}; every field is optional. */
export interface LoadDatasetOptions {
  /** Which layout (default `openmoji`, the built-in set). */
  dataset?: DatasetKind;
  /** Dataset root (required except for `openmoji`). */
  root?: string;
  /** Cache root (default `$MIRRORGAN_CACHE`, else `~/.cache/mirrorgan`). */
  cacheDir?: string;
  /** Largest training size, 64–1024 (default 256); images are cached at int(size·76/64). */
  imageSize?: number;
  /** Use the on-disk cache (default true). `false` decodes from source on every read (benchmarks). */
  cache?: boolean;
  /** Encode with this vocabulary (e.g. a checkpoint's) instead of building one; unknown words are dropped and counted. */
  vocabulary?: Vocabulary;
  /** Warning/progress sink (default stderr). */
  logger?: DataLogger;
  /** Progress bar: `'auto'` (default; bar on a TTY), `true`, `false` (plain lines). */
  progress?: boolean | 'auto';
  /** Decode concurrency (default: available cores, at least 2). */
  concurrency?: number;
  /** OpenMoji options (subset size, split). */
  openmoji?: OpenMojiOptions;
  /** Folder options (test share). */
  folder?: FolderOptions;
  /** SVG rasterisation size before downscaling (default 512). */
  svgRenderSize?: number;
}

/** What {@link loadDataset} returns. */
export interface LoadedDataset {
  /** Dataset name. */
  name: string;
  /** Source root. */
  root: string;
  /** Train split. */
  train: Dataset;
  /** Test split (may be empty for folder datasets). */
  test: Dataset;
  /** Vocabulary of both splits. */
  vocabulary: Vocabulary;
  /** Short side of stored images. */
  imageSide: number;
  /** Cache directory of this dataset, or `null` when the cache is off. */
  cacheDir: string | null;
  /** Size of the image blob in bytes (0 without cache). */
  cacheBytes: number;
  /** Images decoded by this call (0 when the cache was reused as is). */
  decoded: number;
  /** Images taken from an existing cache. */
  reused: number;
  /** Skipped/fixed/dropped counts. */
  report: ReportCounts;
  /** Licence text to keep with derived data (OpenMoji). */
  attribution?: string;
  /** Releases the cache file handle. */
  close(): Promise<void>;
}

/** The cache root: option, else `$MIRRORGAN_CACHE`, else `~/.cache/mirrorgan`. */
export function resolveCacheRoot(cacheDir?: string): string {
  return resolve(cacheDir ?? process.env.MIRRORGAN_CACHE ?? join(homedir(), '.cache', 'mirrorgan'));
}

/** Cache directory of one dataset: `<root>/openmoji`, or `<root>/<name>-<hash of source path>`. */
export function datasetCacheDir(cacheRoot: string, name: string, sourceRoot: string): string {
  if (name === 'openmoji') return join(cacheRoot, 'openmoji');
  return join(cacheRoot, `${name}-${createHash('sha1').update(resolve(sourceRoot)).digest('hex').slice(0, 10)}`);
}

/** An item with its cleaned caption tokens. @private */
export interface Prepared {
  item: SourceItem;
  tokens: string[][];
}

class SplitDataset implements Dataset {
  readonly size: number;
  readonly keys: readonly string[];
  readonly classIds: Int32Array;
  constructor(
    readonly name: string,
    readonly split: Split,
    private readonly items: readonly SourceItem[],
    readonly captions: readonly (readonly number[][])[],
    readonly vocabulary: Vocabulary,
    readonly imageSide: number,
    private readonly source: (item: SourceItem, index: number) => Promise<RgbImage>,
  ) {
    this.size = items.length;
    this.keys = items.map((it) => it.key);
    this.classIds = Int32Array.from(items.map((it) => it.classId));
  }

  imagePath(index: number): string {
    return (this.items[index] as SourceItem).image.path;
  }

  readImage(index: number): Promise<RgbImage> {
    const item = this.items[index];
    if (!item) return Promise.reject(new RangeError(`image index ${index} outside 0..${this.size - 1}`));
    return this.source(item, index);
  }
}

async function scan(options: LoadDatasetOptions, kind: DatasetKind, report: DataReport, logger: DataLogger): Promise<SourceScan> {
  if (kind === 'openmoji') return scanOpenMoji(options.openmoji);
  if (!options.root) throw invalidArg('root', 'a dataset root directory', options.root);
  const root = resolve(options.root);
  if (kind === 'cub') return scanCub(root, report, logger);
  if (kind === 'coco') return scanCoco(root, report);
  return scanFolder(root, report, options.folder);
}

/** Tokenizes captions, drops empty ones, keeps the first N, skips duplicate keys and images without captions. */
function prepare(s: SourceScan, report: DataReport): Record<Split, Prepared[]> {
  const seen = new Set<string>();
  const out: Record<Split, Prepared[]> = { train: [], test: [] };
  for (const split of ['train', 'test'] as const) {
    for (const item of s[split]) {
      if (seen.has(item.key)) {
        report.skip('duplicate key', item.key, `already in ${s.train.some((t) => t.key === item.key) ? 'train' : 'test'}`);
        continue;
      }
      seen.add(item.key);
      let tokens: string[][];
      if (item.captionIds) {
        const vocab = s.vocabulary as Vocabulary;
        tokens = item.captionIds.map((ids) => vocab.decode(ids));
      } else {
        tokens = (item.captions ?? []).map(tokenize);
      }
      const nonEmpty = tokens.filter((t) => t.length > 0);
      if (nonEmpty.length < tokens.length) report.drop('empty caption', item.key, tokens.length - nonEmpty.length, 'no words after tokenizing');
      if (nonEmpty.length === 0) {
        report.skip('no captions', item.key);
        continue;
      }
      out[split].push({ item, tokens: nonEmpty.slice(0, s.captionsPerImage) });
    }
  }
  return out;
}

/**
 * Loads a dataset: scans its layout, cleans captions, builds or reuses the image cache, builds
 * the vocabulary (or encodes with the given one) and returns both splits. Bad items are skipped
 * or repaired with one warning line each and a summary line; when no train image is usable it
 * throws a {@link DataError} with code `ERR_DATA_EMPTY`.
 */
export async function loadDataset(options: LoadDatasetOptions = {}): Promise<LoadedDataset> {
  const kind = options.dataset ?? 'openmoji';
  if (!DATASET_KINDS.includes(kind)) throw invalidArg('dataset', `one of ${DATASET_KINDS.join(', ')}`, kind);
  const imageSize = checkInt('imageSize', options.imageSize ?? DEFAULT_IMAGE_SIZE, 8, 1024);
  if (options.concurrency !== undefined) checkInt('concurrency', options.concurrency, 1, 256);
  const logger = options.logger ?? stderrLogger;
  const report = new DataReport(kind, logger);
  const side = cacheSideFor(imageSize);

  const s = await scan(options, kind, report, logger);
  const prepared = prepare(s, report);
  const all = [...prepared.train, ...prepared.test];

  const images = await openImages(options, s, all, side, report, logger);
  const { cache, cacheDir, slots } = images;
  const kept: Record<Split, Prepared[]> = {
    train: prepared.train.filter((p) => images.usable.has(p.item)),
    test: prepared.test.filter((p) => images.usable.has(p.item)),
  };
  if (s.renumberClasses) for (const split of ['train', 'test'] as const) kept[split].forEach((p, i) => (p.item.classId = i));

  const readSource = cache
    ? (item: SourceItem) => cache.read(slots.get(item) as CacheSlot)
    : async (item: SourceItem) => (await decodeImage(item.image, { side, ...(options.svgRenderSize ? { svgRenderSize: options.svgRenderSize } : {}) })).image;
  const readImage = async (item: SourceItem) => {
    const image = await readSource(item);
    return item.transform ? item.transform(image) : image;
  };
  if (s.describe) await describeItems(s.describe, kept, { options, kind, name: s.name, side, cacheDir, readSource, slots, logger });

  const vocabulary = options.vocabulary ?? s.vocabulary ?? Vocabulary.fromTokens([...kept.train, ...kept.test].flatMap((p) => p.tokens));
  const { train, test } = encodeSplits(kept, vocabulary, s.name, report, logger);
  report.flush();

  if (train.items.length === 0) {
    await cache?.close();
    throw new DataError(
      'ERR_DATA_EMPTY',
      `${s.name} dataset at ${s.root} has no usable training image (${test.items.length} test images)` +
        (report.summary() ? `; ${report.summary()}` : ''),
    );
  }

  const make = (split: Split, part: { items: SourceItem[]; captions: number[][][] }): Dataset =>
    new SplitDataset(s.name, split, part.items, part.captions, vocabulary, side, readImage);

  const loaded: LoadedDataset = {
    name: s.name,
    root: s.root,
    train: make('train', train),
    test: make('test', test),
    vocabulary,
    imageSide: side,
    cacheDir,
    cacheBytes: cache?.bytes ?? 0,
    decoded: images.decoded,
    reused: images.reused,
    report: report.counts,
    close: async () => {
      await cache?.close();
    },
  };
  if (s.attribution) loaded.attribution = s.attribution;
  logger.info(
    `${s.name}: ${train.items.length} train / ${test.items.length} test images, ${vocabulary.size} words` +
      (cacheDir ? `; cache ${cacheDir} (${side} px, ${images.decoded} decoded, ${images.reused} reused)` : '; no cache'),
  );
  return loaded;
}

/** The images of a scan: in the cache (decoded once; a slot per item) or, without it, stat'ed at the source. */
async function openImages(
  options: LoadDatasetOptions, s: SourceScan, all: readonly Prepared[], side: number, report: DataReport, logger: DataLogger,
): Promise<{ cache: ImageCache | null; cacheDir: string | null; decoded: number; reused: number; slots: Map<SourceItem, CacheSlot>; usable: Set<SourceItem> }> {
  const slots = new Map<SourceItem, CacheSlot>();
  const usable = new Set<SourceItem>();
  if (!(options.cache ?? true)) {
    await runPool(all, 32, async (p) => {
      try {
        await fingerprint(p.item.image, options.svgRenderSize);
        usable.add(p.item);
      } catch {
        report.skip('missing image', p.item.key, p.item.image.path);
      }
    });
    return { cache: null, cacheDir: null, decoded: 0, reused: 0, slots, usable };
  }
  const cacheDir = datasetCacheDir(resolveCacheRoot(options.cacheDir), s.name, s.root);
  const built = await ImageCache.build(
    all.map((p) => ({ key: p.item.key, image: p.item.image })),
    {
      dir: cacheDir,
      side,
      report,
      logger,
      label: s.name,
      ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
      ...(options.progress !== undefined ? { progress: options.progress } : {}),
      ...(options.svgRenderSize !== undefined ? { svgRenderSize: options.svgRenderSize } : {}),
    },
  );
  built.slots.forEach((slot, i) => {
    const item = (all[i] as Prepared).item;
    if (slot) {
      slots.set(item, slot);
      usable.add(item);
    }
  });
  if (s.attribution) await writeAttribution(cacheDir, s.attribution);
  return { cache: built.cache, cacheDir, decoded: built.decoded, reused: built.reused, slots, usable };
}

/** Each split's captions as word ids; an item left with no caption is skipped, dropped words counted. */
function encodeSplits(
  kept: Record<Split, Prepared[]>, vocabulary: Vocabulary, name: string, report: DataReport, logger: DataLogger,
): Record<Split, { items: SourceItem[]; captions: number[][][] }> {
  let unknownWords = 0;
  let unknownCaptions = 0;
  const encodeSplit = (split: Split): { items: SourceItem[]; captions: number[][][] } => {
    const items: SourceItem[] = [];
    const captions: number[][][] = [];
    for (const p of kept[split]) {
      const caps: number[][] = [];
      let emptied = 0;
      for (const tokens of p.tokens) {
        const { ids, unknown } = vocabulary.encode(tokens);
        if (unknown.length > 0) {
          unknownWords += unknown.length;
          unknownCaptions++;
        }
        if (ids.length > 0) caps.push(ids);
        else emptied++;
      }
      if (emptied > 0) report.drop('unknown words', p.item.key, emptied, 'every word outside the vocabulary');
      if (caps.length === 0) {
        report.skip('no captions', p.item.key, 'every caption outside the vocabulary');
        continue;
      }
      items.push(p.item);
      captions.push(caps);
    }
    return { items, captions };
  };
  const out = { train: encodeSplit('train'), test: encodeSplit('test') };
  if (unknownWords > 0) logger.warn(`${name}: ${unknownWords} words outside the given vocabulary were dropped from ${unknownCaptions} captions`);
  return out;
}

async function writeAttribution(dir: string, text: string): Promise<void> {
  const path = join(dir, 'ATTRIBUTION.txt');
  const current = await readFile(path, 'utf8').catch(() => null);
  if (current === `${text}\n`) return;
  await writeFileAtomic(path, `${text}\n`);
}
