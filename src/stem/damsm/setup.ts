// SPDX-License-Identifier: MIT
/**
 * What a DAMSM pretraining run is set up from: its validated settings, its data, its two
 * encoders (fresh from the seed, or a resumed run's own architecture and weights) and its
 * loaders.
 */
import { resolve } from 'node:path';

import { invalidArg, MirrorganError } from '../../../lib/errors.js';
import { cudaAvailable, manualSeed } from '../../../lib/runtime.js';
import type { Device } from '../../../lib/tensor.js';
import { resolveConfig } from '../../config/load.js';
import { textEncoderOptions } from '../../config/module_options.js';
import { openMojiOptionsOf } from '../../config/schema.js';
import { loadDataset, type LoadDatasetOptions, type LoadedDataset } from '../../data/dataset.js';
import { DataLoader } from '../../data/loader.js';
import { stderrLogger, type DataLogger } from '../../data/report.js';
import { firstVocabularyDifference } from '../../stream/vocabulary_check.js';
import type { Vocabulary } from '../../text/vocabulary.js';
import type { DamsmGammaOptions } from '../damsm_loss.js';
import { resolveCompactImageEncoderOptions, type ImageEncoder } from '../image_encoder.js';
import { resolveTextEncoderOptions, TextEncoder } from '../text_encoder.js';
import { damsmPaths, imageEncoderOf, loadDamsmWeights, type DamsmPaths } from './state.js';
import type { DamsmRunConfig, DamsmState, PretrainDamsmOptions } from './types.js';

/** The validated settings of one call. */
export interface DamsmRun {
  config: DamsmRunConfig;
  damsm: DamsmRunConfig['damsm'];
  text: DamsmRunConfig['text'];
  train: DamsmRunConfig['train'];
  outDir: string;
  paths: DamsmPaths;
  logger: DataLogger;
  gammas: DamsmGammaOptions;
  paperForm: boolean;
  /** A new Adam every epoch (official). */
  resetOptimizer: boolean;
  /** Cap on validation batches per epoch. */
  valBatches: number;
  /** Largest pool of the whole-pool retrieval figure (0 = off). */
  retrievalPool: number;
}

function checkRunConfig(c: DamsmRunConfig): void {
  if (!c || typeof c !== 'object' || !c.damsm || !c.text || !c.train) throw invalidArg('config', 'a resolved config with damsm, text and train sections', c);
  const d = c.damsm;
  const intIn = (name: string, v: unknown, min: number) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw invalidArg(name, `an integer >= ${min}`, v);
  };
  intIn('damsm.epochs', d.epochs, 0);
  intIn('damsm.batchSize', d.batchSize, 2);
  intIn('damsm.imageSize', d.imageSize, 16);
  intIn('text.wordsNum', c.text.wordsNum, 1);
  intIn('train.seed', c.train.seed, 0);
  if (typeof d.lr !== 'number' || !(d.lr >= 0)) throw invalidArg('damsm.lr', 'a number >= 0', d.lr);
  if (typeof d.lrDecay !== 'number' || !(d.lrDecay > 0 && d.lrDecay <= 1)) throw invalidArg('damsm.lrDecay', 'a number in (0, 1]', d.lrDecay);
  if (typeof d.rnnGradClip !== 'number' || !(d.rnnGradClip >= 0)) throw invalidArg('damsm.rnnGradClip', 'a number >= 0 (0 = no clipping)', d.rnnGradClip);
  if (d.imageEncoder !== 'compact' && d.imageEncoder !== 'inception') throw invalidArg('damsm.imageEncoder', "'compact' or 'inception'", d.imageEncoder);
}

/** Validates `options` and resolves the settings of the run (the `cpu` preset when no config is given). */
export function resolveDamsmRun(options: PretrainDamsmOptions): DamsmRun {
  if (!options || typeof options !== 'object') throw invalidArg('options', 'an options object', options);
  if (typeof options.outDir !== 'string' || options.outDir === '') throw invalidArg('outDir', 'a folder path', options.outDir);
  const config: DamsmRunConfig = options.config ?? resolveConfig({ preset: 'cpu' });
  checkRunConfig(config);
  const valBatches = options.valBatches ?? 51;
  const retrievalPool = options.retrievalPool ?? 1000;
  if (!Number.isInteger(valBatches) || valBatches < 0) throw invalidArg('valBatches', 'an integer >= 0', valBatches);
  if (!Number.isInteger(retrievalPool) || retrievalPool < 0) throw invalidArg('retrievalPool', 'an integer >= 0', retrievalPool);
  const { damsm, text, train } = config;
  const outDir = resolve(options.outDir);
  return {
    config, damsm, text, train, outDir, paths: damsmPaths(outDir), logger: options.logger ?? stderrLogger,
    gammas: { gamma1: train.gamma1, gamma2: train.gamma2, gamma3: train.gamma3 },
    paperForm: options.paperForm ?? false,
    resetOptimizer: options.resetOptimizerEachEpoch ?? true,
    valBatches, retrievalPool,
  };
}

function isLoaded(d: LoadedDataset | LoadDatasetOptions): d is LoadedDataset {
  return typeof d === 'object' && d !== null && 'train' in d && 'vocabulary' in d && typeof (d as LoadedDataset).close === 'function';
}

/**
 * The run's data: the dataset given (left open: `owned` false), or one loaded from the options
 * or `config.dataset`, encoded with a resumed run's own vocabulary (closed by the caller).
 */
export async function openDamsmData(
  options: PretrainDamsmOptions, run: DamsmRun, savedVocabulary: Vocabulary | null,
): Promise<{ data: LoadedDataset; owned: boolean }> {
  if (options.dataset && isLoaded(options.dataset)) return { data: options.dataset, owned: false };
  const d = run.config.dataset;
  const base: LoadDatasetOptions = options.dataset ?? {
    dataset: d?.name ?? 'openmoji',
    ...(d?.root ? { root: d.root } : {}),
    ...(d?.cacheDir ? { cacheDir: d.cacheDir } : {}),
    ...(d && openMojiOptionsOf(d) ? { openmoji: openMojiOptionsOf(d) } : {}),
  };
  const data = await loadDataset({
    imageSize: Math.min(1024, Math.max(64, run.damsm.imageSize)),
    logger: run.logger,
    progress: options.progress === false ? false : 'auto',
    ...base,
    ...(savedVocabulary ? { vocabulary: savedVocabulary } : {}),
  });
  return { data, owned: true };
}

/** Refuses to resume on a dataset whose vocabulary differs from the run's (ERR_VOCAB_MISMATCH). */
export function checkResumedVocabulary(run: DamsmRun, saved: Vocabulary, vocabulary: Vocabulary): void {
  const id = firstVocabularyDifference(saved, vocabulary);
  if (id < 0) return;
  throw new MirrorganError(
    'ERR_VOCAB_MISMATCH',
    `Cannot resume ${run.outDir}: its vocabulary (${saved.size} words) differs from the dataset's (${vocabulary.size}) at id ${id}; ` +
      'resume with the same dataset, or start afresh without resume',
  );
}

/** `train.device` made concrete: `auto` is CUDA when available. */
export function resolveDevice(want: 'auto' | 'cpu' | 'cuda' | undefined): Device {
  if (want === 'cuda') {
    if (!cudaAvailable()) throw new MirrorganError('ERR_DEVICE', 'train.device is cuda but no CUDA device is available');
    return 'cuda';
  }
  if (want === 'cpu') return 'cpu';
  return cudaAvailable() ? 'cuda' : 'cpu';
}

/**
 * The two encoders, initialised after `manualSeed(train.seed)`; a resume restores the run's own
 * architecture (even when the config now asks for another image encoder) and weights. Left in
 * train mode on `device`.
 */
export async function buildDamsmEncoders(
  run: DamsmRun, options: PretrainDamsmOptions, state: DamsmState | null, vocabulary: Vocabulary, device: Device,
): Promise<{ textEncoder: TextEncoder; imageEncoder: ImageEncoder; imageInfo: DamsmState['imageEncoder'] }> {
  const { damsm, text, logger } = run;
  manualSeed(run.train.seed);
  const textEncoder = new TextEncoder(
    state
      ? state.textEncoder
      : resolveTextEncoderOptions({ ...textEncoderOptions({ text }, vocabulary.size), ...(options.textEncoder ?? {}) }),
  );
  const imageInfo: DamsmState['imageEncoder'] = state
    ? state.imageEncoder
    : damsm.imageEncoder === 'compact'
      ? { kind: 'compact', options: resolveCompactImageEncoderOptions({ imageSize: damsm.imageSize, nef: text.embeddingDim, ...(options.compactEncoder ?? {}) }) }
      : { kind: 'inception', options: { nef: text.embeddingDim } };
  const imageEncoder = imageEncoderOf(imageInfo);
  if (state && state.imageEncoder.kind !== damsm.imageEncoder) {
    logger.warn(`damsm: resuming with the run's ${state.imageEncoder.kind} image encoder (the config asks for ${damsm.imageEncoder})`);
  }
  if (state) {
    await loadDamsmWeights(run.paths, state, textEncoder, imageEncoder, logger);
  } else if (options.imageEncoderWeights) {
    const r = await imageEncoder.load(options.imageEncoderWeights, { strict: false });
    logger.info(`damsm: image encoder weights from ${options.imageEncoderWeights} (${r.missing.length} keys missing, ${r.unexpected.length} unexpected)`);
  } else if (imageInfo.kind === 'inception') {
    logger.warn('damsm: the Inception-v3 trunk is frozen and starts from random weights; pass converted ImageNet weights (imageEncoderWeights) or use damsm.imageEncoder=compact');
  }
  textEncoder.to(device).train();
  imageEncoder.to(device).train();
  return { textEncoder, imageEncoder, imageInfo };
}

/**
 * The training loader (shuffled, augmented) and the validation loader: fixed batches (epoch 0
 * of a seeded shuffle, centre crops, truncated captions), null without a usable test split.
 */
export function damsmLoaders(run: DamsmRun, data: LoadedDataset): { train: DataLoader; validation: DataLoader | null } {
  const { damsm, text, logger } = run;
  const seed = run.train.seed;
  const common = { imageSizes: [damsm.imageSize], wordsNum: text.wordsNum, shuffle: true, dropLast: true, sortByLength: true, seed, logger };
  const train = new DataLoader(data.train, { ...common, batchSize: damsm.batchSize, augment: true });
  const valBatchSize = Math.min(damsm.batchSize, data.test.size);
  const validation = valBatchSize >= 2 && run.valBatches > 0 ? new DataLoader(data.test, { ...common, batchSize: valBatchSize, augment: false }) : null;
  if (!validation) logger.warn(`damsm: ${data.name} has ${data.test.size} test images; no validation`);
  return { train, validation };
}
