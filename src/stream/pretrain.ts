// SPDX-License-Identifier: MIT
/**
 * STREAM pretraining (what `npx mirrorgan pretrain-stream` runs): the captioner learns to
 * describe real images of a dataset, with the vocabulary STEM uses. As in the tutorial the
 * official README points to: Adam (lr 1e-3) on the trainable parts (all of the compact encoder;
 * only `linear` and `bn` of CAPTION_CNN, whose ResNet trunk is frozen) and the decoder, token-mean
 * cross entropy on teacher-forced captions, random crop + flip. After each epoch: validation
 * cross entropy and corpus BLEU-1..4 of greedy (or beam) captions on the test split against all
 * of each image's captions, then a checkpoint (see checkpoint.ts). A directory holding a
 * captioner is resumed with `resume: true` and refused without it.
 *
 * Differences from the official setup, all deliberate: the decoder learns the `<end>` token by
 * default (`decoder.endToken`), so decoding knows where to stop; images are [-1, 1] crops of the
 * data loader, normalised by the encoder itself (`encoder.inputNorm`), so pretraining and use match.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { checkInt, invalidArg, MirrorganError } from '../../lib/errors.js';
import { captionDecoderOptions, captionEncoderOptions } from '../config/module_options.js';
import { openMojiOptionsOf, type MirrorGANConfig } from '../config/schema.js';
import { Adam } from '../../lib/optim.js';
import { manualSeed } from '../../lib/runtime.js';
import { tensor, tidy, type Tensor } from '../../lib/tensor.js';
import { loadDataset, type LoadDatasetOptions } from '../data/dataset.js';
import { DataLoader, type Batch } from '../data/loader.js';
import { stderrLogger, type DataLogger } from '../data/report.js';
import type { OpenMojiOptions } from '../data/openmoji.js';
import type { DatasetKind } from '../data/types.js';
import type { Vocabulary } from '../text/vocabulary.js';
import { ProgressReporter, progressModeOf } from '../util/progress.js';
import { corpusBleu } from './bleu.js';
import { CaptionDecoder, type CaptionDecoderOptions } from './caption_decoder.js';
import { CaptionEncoder, type CaptionEncoderOptions } from './caption_encoder.js';
import { captionLoss } from './caption_loss.js';
import {
  CAPTIONER_FILES, hasCaptioner, loadCaptioner, saveCaptioner,
  type CaptionerConfig, type EpochRecord,
} from './checkpoint.js';
import { assertSameVocabulary } from './vocabulary_check.js';

/** Options of {@link pretrainStream}. */
export interface PretrainStreamOptions {
  /** Output (and resume) directory. Required. */
  out: string;
  /** Continue the captioner in `out` (its model options and vocabulary win). Default: false. */
  resume?: boolean;
  /** Dataset layout. Default: 'openmoji' (built in). */
  dataset?: DatasetKind;
  /** Dataset root (cub, coco, folder). */
  root?: string;
  /** Image cache root (default `$MIRRORGAN_CACHE` or ~/.cache/mirrorgan). */
  cacheDir?: string;
  /** OpenMoji only: an evenly spread subset of this many emoji. */
  openmojiLimit?: number;
  /** OpenMoji only: scan options (`limit`, `skinTones`); `openmojiLimit` overrides its limit. */
  openmoji?: OpenMojiOptions;
  /** STEM's vocabulary: encode the captions with it (unknown words dropped) so both share ids. */
  vocabulary?: Vocabulary;
  /** Side of the training crops (and the compact encoder's input). Default: 64. */
  imageSize?: number;
  /** Total epochs (a resumed run continues up to this number). Default: 10. */
  epochs?: number;
  /** Default: 32. */
  batchSize?: number;
  /** Adam learning rate. Default: 1e-3. */
  lr?: number;
  /** Caption length cap. Default: 18 (TEXT.WORDS_NUM). */
  wordsNum?: number;
  /** Encoder options. Default: compact, imageSize = `imageSize`. */
  encoder?: CaptionEncoderOptions;
  /** Decoder options (nWords comes from the vocabulary). Default: embed 256, hidden 512, endToken true. */
  decoder?: Omit<CaptionDecoderOptions, 'nWords'>;
  /** Test images used for validation CE and BLEU each epoch (default: all). */
  evalImages?: number;
  /** Beam width of the BLEU captions; 1 = greedy. Default: 1. */
  beamSize?: number;
  /** Seed of the initial weights and the data order. Default: 0. */
  seed?: number;
  /** Progress bar: 'auto' (on a TTY), true, false (plain lines). Default: 'auto'. */
  progress?: boolean | 'auto';
  /** Sink of progress lines and warnings. Default: stderr. */
  logger?: DataLogger;
  /** Stops after the current step; the folder keeps the last completed epoch. */
  signal?: AbortSignal;
}

/**
 * The pretraining a resolved configuration asks for (dataset, sizes, schedule, seed): what
 * `mirrorgan train` runs as its STREAM phase and `mirrorgan pretrain-stream` runs alone.
 * The module options come from config/module_options.ts, as everywhere a module is built.
 */
export function pretrainStreamOptionsOf(c: MirrorGANConfig): Omit<PretrainStreamOptions, 'out'> {
  return {
    dataset: c.dataset.name, root: c.dataset.root || undefined, cacheDir: c.dataset.cacheDir || undefined, openmoji: openMojiOptionsOf(c.dataset),
    imageSize: c.stream.imageSize, epochs: c.stream.epochs, batchSize: c.stream.batchSize, lr: c.stream.lr, wordsNum: c.text.wordsNum,
    encoder: captionEncoderOptions(c), decoder: captionDecoderOptions(c), seed: c.train.seed,
  };
}

/** Per-step report. */
export interface StreamStepInfo {
  epoch: number;
  step: number;
  steps: number;
  /** Token-mean cross entropy of this batch. */
  ce: number;
}

/** Callbacks of {@link pretrainStream}. */
export interface PretrainStreamCallbacks {
  onStep?(info: StreamStepInfo): void;
  onEpoch?(record: EpochRecord): void | Promise<void>;
}

/** Result of {@link pretrainStream}. */
export interface PretrainStreamResult {
  dir: string;
  config: CaptionerConfig;
  /** Wall-clock seconds of this call (data loading included). */
  seconds: number;
  /** True when `signal` stopped the run before its last epoch. */
  stopped: boolean;
}

/** A batch's tensors: images (B, 3, S, S), captions (B, wordsNum) int64, lengths (B,) int64. */
function batchTensors(batch: Batch): { images: Tensor; captions: Tensor; capLens: Tensor } {
  const s = batch.imageSizes[0]!;
  return {
    images: tensor(batch.images[0]!, [batch.batchSize, 3, s, s]),
    captions: tensor(BigInt64Array.from(batch.captions, (v) => BigInt(v)), [batch.batchSize, batch.wordsNum]),
    capLens: tensor(BigInt64Array.from(batch.captionLengths, (v) => BigInt(v)), [batch.batchSize]),
  };
}

/** Steps per caption the decoder is trained on (the end token adds one). */
function tokensOf(batch: Batch, endToken: boolean): number {
  return batch.captionLengths.reduce((a, l) => a + l, 0) + (endToken ? batch.batchSize : 0);
}

interface Evaluation {
  valCE: number;
  bleu: [number, number, number, number];
}

/** Teacher-forced CE and BLEU of the captions on (up to `limit` images of) the test split. */
async function evaluate(
  loader: DataLoader, encoder: CaptionEncoder, decoder: CaptionDecoder, vocabulary: Vocabulary, limit: number, beamSize: number,
): Promise<Evaluation> {
  encoder.eval();
  decoder.eval();
  let ceSum = 0, tokens = 0, seen = 0;
  const refs: string[][][] = [];
  const hyps: string[][] = [];
  for await (const batch of loader.epoch(0)) {
    const { ids, ce, n } = tidy(() => {
      const t = batchTensors(batch);
      const features = encoder.encode(t.images, { grad: false });
      const forced = decoder.teacherForce(features, t.captions, t.capLens, { grad: false });
      const value = captionLoss(forced).loss.item();
      const decoded = beamSize > 1 ? decoder.beam(features, { beamSize }) : decoder.greedy(features);
      return { ids: decoded.ids, ce: value, n: tokensOf(batch, decoder.options.endToken) };
    });
    ceSum += ce * n;
    tokens += n;
    const take = Math.min(batch.batchSize, limit - seen);
    for (let k = 0; k < take; k++) {
      hyps.push(vocabulary.decode(ids[k]!));
      refs.push(loader.dataset.captions[batch.indices[k]!]!.map((c) => vocabulary.decode(c)));
    }
    seen += take;
    if (seen >= limit) break;
  }
  return { valCE: ceSum / tokens, bleu: corpusBleu(refs, hyps).bleu };
}

/** Pretrains (or resumes) a STREAM captioner; see the file comment. */
export async function pretrainStream(options: PretrainStreamOptions, callbacks: PretrainStreamCallbacks = {}): Promise<PretrainStreamResult> {
  const started = Date.now();
  if (!options || typeof options.out !== 'string' || options.out.length === 0) throw invalidArg('out', 'an output directory', options?.out);
  const imageSize = checkInt('imageSize', options.imageSize ?? 64, 16, 1024);
  const epochs = checkInt('epochs', options.epochs ?? 10, 1, 100_000);
  const batchSize = checkInt('batchSize', options.batchSize ?? 32, 1, 4096);
  const wordsNum = checkInt('wordsNum', options.wordsNum ?? 18, 1, 256);
  const beamSize = checkInt('beamSize', options.beamSize ?? 1, 1, 64);
  const seed = checkInt('seed', options.seed ?? 0, 0, 0xffffffff);
  const lr = options.lr ?? 1e-3;
  if (typeof lr !== 'number' || !(lr > 0 && lr < 1)) throw invalidArg('lr', 'a number in (0, 1)', lr);
  const logger = options.logger ?? stderrLogger;
  const dir = options.out;

  const existing = await hasCaptioner(dir);
  if (existing && !options.resume) {
    throw new MirrorganError('ERR_FILE', `${dir} already holds a captioner; pass --resume (resume: true) to continue it, or choose another --out`);
  }
  if (!existing && options.resume) throw new MirrorganError('ERR_FILE', `Nothing to resume: ${dir} holds no ${CAPTIONER_FILES.config}`);

  const dataOptions: LoadDatasetOptions = { dataset: options.dataset ?? 'openmoji', imageSize, logger, progress: options.progress ?? 'auto' };
  if (options.root) dataOptions.root = options.root;
  if (options.cacheDir) dataOptions.cacheDir = options.cacheDir;
  if (options.vocabulary) dataOptions.vocabulary = options.vocabulary;
  if (options.openmoji) dataOptions.openmoji = { ...options.openmoji };
  if (options.openmojiLimit !== undefined) {
    dataOptions.openmoji = { ...dataOptions.openmoji, limit: checkInt('openmojiLimit', options.openmojiLimit, 1, 1_000_000) };
  }

  let encoder: CaptionEncoder, decoder: CaptionDecoder, config: CaptionerConfig;
  const data = await loadDataset(dataOptions);
  try {
    const vocabulary = data.vocabulary;
    if (existing) {
      const loaded = await loadCaptioner(dir);
      assertSameVocabulary(loaded.vocabulary, vocabulary, `the captioner in ${dir}`, `the ${data.name} data${options.vocabulary ? ' encoded with the given vocabulary' : ''}`);
      ({ encoder, decoder, config } = loaded);
      logger.info(`pretrain-stream: resuming ${dir} after epoch ${config.epochs}`);
    } else {
      manualSeed(seed);
      encoder = new CaptionEncoder({ imageSize, ...options.encoder });
      decoder = new CaptionDecoder({ endToken: true, ...options.decoder, nWords: vocabulary.size, embedSize: options.decoder?.embedSize ?? encoder.options.embedSize });
      config = { format: 'mirrorgan-captioner', version: 1, encoder: encoder.options, decoder: decoder.options, epochs: 0, history: [] };
    }
    if (encoder.options.embedSize !== decoder.options.embedSize) {
      throw invalidArg('decoder.embedSize', `the encoder's embedSize ${encoder.options.embedSize}`, decoder.options.embedSize);
    }
    config.training = { dataset: data.name, imageSize, batchSize, lr, wordsNum, seed, beamSize, epochs };
    await mkdir(dir, { recursive: true });

    const train = new DataLoader(data.train, { batchSize: Math.min(batchSize, data.train.size), imageSizes: [imageSize], wordsNum, seed, logger });
    const val = data.test.size > 0
      ? new DataLoader(data.test, { batchSize, imageSizes: [imageSize], wordsNum, augment: false, shuffle: false, dropLast: false, seed, logger })
      : null;
    const evalImages = options.evalImages === undefined ? data.test.size : checkInt('evalImages', options.evalImages, 1, 1e9);
    const opt = new Adam([encoder, decoder], { lr });
    if (existing) await opt.load(join(dir, CAPTIONER_FILES.optimizer));
    opt.lr = lr;
    const params = encoder.numParameters() + decoder.numParameters();
    logger.info(
      `pretrain-stream: ${data.name} ${data.train.size} train / ${data.test.size} test images at ${imageSize} px, ` +
        `${vocabulary.size} words, ${encoder.kind} + CAPTION_RNN (${(params / 1e6).toFixed(2)} M parameters), ` +
        `${train.batchesPerEpoch} steps per epoch`,
    );

    for (let epoch = config.epochs; epoch < epochs; epoch++) {
      const t0 = Date.now();
      encoder.train();
      decoder.train();
      const label = `epoch ${epoch + 1}/${epochs}`;
      const progress = new ProgressReporter({
        total: train.batchesPerEpoch, mode: progressModeOf(options.progress), lineAtEnd: false, write: (line) => logger.info(line),
        bar: `${label} [{bar}] {value}/{total} | CE {ce} | eta {remaining}`,
        line: `${label}: {value}/{total} steps, mean CE {meanCe}`,
        fields: { ce: '-', meanCe: '-' },
      });
      let ceSum = 0, tokens = 0, step = 0;
      for await (const batch of train.epoch(epoch)) {
        const ce = tidy(() => {
          const t = batchTensors(batch);
          opt.zeroGrad();
          const forced = decoder.teacherForce(encoder.encode(t.images), t.captions, t.capLens);
          const { loss } = captionLoss(forced);
          loss.backward();
          opt.step();
          return loss.item();
        });
        const n = tokensOf(batch, decoder.options.endToken);
        ceSum += ce * n;
        tokens += n;
        progress.increment({ ce: ce.toFixed(3), meanCe: (ceSum / tokens).toFixed(3) });
        callbacks.onStep?.({ epoch: epoch + 1, step: ++step, steps: train.batchesPerEpoch, ce });
        if (options.signal?.aborted) break;
      }
      progress.stop();
      if (options.signal?.aborted && step < train.batchesPerEpoch) {
        logger.info(`pretrain-stream: stopped during epoch ${epoch + 1}; ${dir} keeps epoch ${config.epochs}`);
        return { dir, config, seconds: (Date.now() - started) / 1000, stopped: true };
      }
      const ev = val ? await evaluate(val, encoder, decoder, vocabulary, evalImages, beamSize) : null;
      const record: EpochRecord = {
        epoch: epoch + 1,
        trainCE: ceSum / tokens,
        valCE: ev?.valCE ?? null,
        bleu: ev?.bleu ?? null,
        seconds: (Date.now() - t0) / 1000,
      };
      config.epochs = epoch + 1;
      config.history.push(record);
      await opt.save(join(dir, CAPTIONER_FILES.optimizer));
      await saveCaptioner(dir, { encoder, decoder, vocabulary, config });
      logger.info(
        `epoch ${record.epoch}/${epochs}: train CE ${record.trainCE.toFixed(3)}` +
          (ev ? `, val CE ${ev.valCE.toFixed(3)}, BLEU-1..4 ${ev.bleu.map((b) => (100 * b).toFixed(1)).join(' / ')}` : ', no test split') +
          ` (${record.seconds.toFixed(1)} s) -> ${dir}`,
      );
      await callbacks.onEpoch?.(record);
      if (options.signal?.aborted && epoch + 1 < epochs) return { dir, config, seconds: (Date.now() - started) / 1000, stopped: true };
    }
    return { dir, config, seconds: (Date.now() - started) / 1000, stopped: false };
  } finally {
    await data.close();
  }
}
