// SPDX-License-Identifier: MIT
/**
 * DAMSM pretraining (AttnGAN `pretrain_DAMSM.py`, reference §5.3): trains the text encoder and
 * the image encoder jointly on the DAMSM matching loss w0 + w1 + s0 + s1, validates on the test
 * split each epoch (losses and top-1 retrieval), and checkpoints every epoch.
 *
 * Official schedule by default: Adam(lr 0.002, betas (0.5, 0.999)) over the text encoder and the
 * trainable image-encoder parameters, a NEW optimiser each epoch (its moments reset), lr x 0.98
 * after each epoch while lr > lr0 / 10, gradient-norm clip 0.25 on the text encoder only, batch 48,
 * same-class masking with the dataset's class ids.
 *
 * The output folder holds everything needed to use or resume the encoders:
 *
 * | file | contents |
 * |---|---|
 * | `text_encoder.safetensors` | RNN_ENCODER state dict (official keys) |
 * | `image_encoder.safetensors` | CNN_ENCODER / CNN_ENCODER_COMPACT state dict (buffers included) |
 * | `vocabulary.json` | the word list the text encoder's ids refer to |
 * | `config.json` | the resolved configuration of the run |
 * | `damsm_state.json` | epochs done, next lr, best validation, encoder options, history |
 * | `damsm_optimizer.safetensors` | Adam state, only with `resetOptimizerEachEpoch: false` |
 * | `metrics.jsonl` | one `{"type":"pretrain","phase":"damsm",...}` line per epoch |
 *
 * Checkpoints are crash-safe: the weights of epoch N are first written as `*.pending`, then
 * `damsm_state.json` (the commit point, temp + rename), then the pending files are renamed over
 * the old ones; on the next start a pending file either completes its epoch's commit or is
 * discarded.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import cliProgress from 'cli-progress';

import { invalidArg, MirrorganError } from '../../lib/errors.js';
import { callNative, callNativeAsync, type Module } from '../../lib/module.js';
import { Adam } from '../../lib/optim.js';
import { cudaAvailable, manualSeed, setNumThreads } from '../../lib/runtime.js';
import { readSafetensorsHeader } from '../../lib/safetensors.js';
import { dispose, tensor, tidy, type Device, type Tensor } from '../../lib/tensor.js';
import { resolveConfig } from '../config/load.js';
import { openMojiOptionsOf, type MirrorGANConfig } from '../config/schema.js';
import { loadDataset, type LoadDatasetOptions, type LoadedDataset } from '../data/dataset.js';
import { DataLoader, type Batch } from '../data/loader.js';
import { stderrLogger, type DataLogger } from '../data/report.js';
import { deriveSeed } from '../util/rng.js';
import { firstVocabularyDifference } from '../stream/vocabulary_check.js';
import { Vocabulary } from '../text/vocabulary.js';
import { damsmSentLoss, damsmWordsLossAsync, type DamsmGammaOptions } from './damsm_loss.js';
import {
  CompactImageEncoder, InceptionImageEncoder, resolveCompactImageEncoderOptions,
  type CompactImageEncoderOptions, type ImageEncoder,
} from './image_encoder.js';
import { TextEncoder, resolveTextEncoderOptions, type TextEncoderOptions } from './text_encoder.js';
import { pathExists } from '../util/fs.js';

// ---- gradient clipping ------------------------------------------------------------------------

/** Options of {@link clipGradNorm}. */
export interface ClipGradNormOptions {
  /** Largest allowed total norm. */
  maxNorm: number;
  /** p of the p-norm; `Infinity` for the max norm. Default: 2. */
  normType?: number;
}

type ParamSource = Module | Tensor[] | Map<string, Tensor>;

function clipInputs(params: ParamSource): { inputs: Record<string, Tensor>; owned: Tensor[] } {
  if (params instanceof Map) return { inputs: Object.fromEntries(params), owned: [] };
  if (Array.isArray(params)) return { inputs: Object.fromEntries(params.map((t, i) => [String(i), t])), owned: [] };
  if (params && typeof params === 'object' && 'namedParameters' in params) {
    const named = params.namedParameters();
    return { inputs: Object.fromEntries(named), owned: [...named.values()] };
  }
  throw invalidArg('params', 'a Module, an array of tensors or a Map of named tensors', params);
}

function clipOptions(o: ClipGradNormOptions): { maxNorm: number; normType: number } {
  if (!o || typeof o !== 'object') throw invalidArg('options', 'an options object', o);
  const normType = o.normType ?? 2;
  if (typeof o.maxNorm !== 'number' || !Number.isFinite(o.maxNorm) || o.maxNorm < 0) throw invalidArg('maxNorm', 'a finite number >= 0', o.maxNorm);
  if (typeof normType !== 'number' || Number.isNaN(normType) || !(normType > 0)) throw invalidArg('normType', 'a number > 0 or Infinity', normType);
  return { maxNorm: o.maxNorm, normType };
}

/**
 * `torch.nn.utils.clip_grad_norm_`: scales the gradients of `params` in place so that their
 * total norm is at most `maxNorm` (coef = maxNorm / (total + 1e-6), applied when below 1).
 * Parameters without a gradient are skipped. Returns the total norm before clipping.
 */
export function clipGradNorm(params: ParamSource, options: ClipGradNormOptions): number {
  const { inputs, owned } = clipInputs(params);
  try {
    const out = callNative('clip_grad_norm', inputs, clipOptions(options));
    const norm = out.total_norm.item();
    dispose(out);
    return norm;
  } finally {
    dispose(owned);
  }
}

/** {@link clipGradNorm} on a worker thread. */
export async function clipGradNormAsync(params: ParamSource, options: ClipGradNormOptions): Promise<number> {
  const { inputs, owned } = clipInputs(params);
  try {
    const out = await callNativeAsync('clip_grad_norm', inputs, clipOptions(options));
    const norm = out.total_norm.item();
    dispose(out);
    return norm;
  } finally {
    dispose(owned);
  }
}

// ---- public types -----------------------------------------------------------------------------

/** The parts of {@link MirrorGANConfig} DAMSM pretraining reads (a full resolved config works). */
export interface DamsmRunConfig {
  damsm: MirrorGANConfig['damsm'];
  text: MirrorGANConfig['text'];
  train: Pick<MirrorGANConfig['train'], 'gamma1' | 'gamma2' | 'gamma3' | 'seed'> & Partial<Pick<MirrorGANConfig['train'], 'threads' | 'device'>>;
  /** Where to load the data from when `dataset` is not given. */
  dataset?: MirrorGANConfig['dataset'];
}

/** Options of {@link pretrainDamsm}. */
export interface PretrainDamsmOptions {
  /** Output folder (created). */
  outDir: string;
  /** Resolved configuration (or its damsm/text/train parts). Default: the `cpu` preset. */
  config?: DamsmRunConfig;
  /** A loaded dataset (left open), or options to load one (closed at the end). Default: from `config.dataset`. */
  dataset?: LoadedDataset | LoadDatasetOptions;
  /** Continue from the last completed epoch in `outDir`. Default: false (start afresh, replacing a previous run). */
  resume?: boolean;
  /** Info and warning lines. Default: stderr. */
  logger?: DataLogger;
  /** Progress on stderr: 'auto' (default: a bar on a TTY, plain lines otherwise), true (lines or bar) or false (none). */
  progress?: boolean | 'auto';
  /** Compact image encoder knobs (ndf, gridSize). imageSize comes from `damsm.imageSize`, nef from `text.embeddingDim`. */
  compactEncoder?: Pick<CompactImageEncoderOptions, 'ndf' | 'gridSize'>;
  /** Text encoder knobs (nInput, dropProb). nTokens, nHidden and rnnType come from the vocabulary and `text`. */
  textEncoder?: Pick<TextEncoderOptions, 'nInput' | 'dropProb'>;
  /** Safetensors weights loaded into the image encoder before training (e.g. a converted Inception-v3); non-strict. */
  imageEncoderWeights?: string;
  /** Use the AttnGAN paper's word-score form instead of the official code's. Default: false. */
  paperForm?: boolean;
  /** Build a new Adam every epoch, as the official code does (moments reset). Default: true. */
  resetOptimizerEachEpoch?: boolean;
  /** Cap on validation batches per epoch (official: 51). Default: 51. */
  valBatches?: number;
  /** Largest pool for the whole-pool retrieval accuracy (0 = off). Default: 1000. */
  retrievalPool?: number;
  /** Stop after the current iteration; the last completed epoch stays the checkpoint. */
  signal?: AbortSignal;
}

/** Per-iteration report passed to {@link PretrainDamsmCallbacks.onIteration}. */
export interface DamsmIterationInfo {
  /** 1-based epoch. */
  epoch: number;
  /** 0-based batch index within the epoch. */
  step: number;
  /** Iterations completed over the whole run (resumes included). */
  iteration: number;
  loss: DamsmLosses;
  /** Text-encoder gradient norm before clipping. */
  rnnGradNorm: number;
  itPerSec: number;
}

/** The four DAMSM loss terms and their sum. */
export interface DamsmLosses {
  w0: number;
  w1: number;
  s0: number;
  s1: number;
  total: number;
}

/**
 * Validation on the test split. Retrieval is top-1 over candidates: `r1_t2i` = share of captions
 * whose best-scoring image (sentence cosine) is their own, `r1_i2t` = share of images whose best
 * caption is their own. Within-batch figures use the loss's B x B matrices (batches of
 * `batch_size`); candidates of the same class as the query (other than the true one) are left
 * out, as the loss masks them. Ties count as misses.
 */
export interface DamsmValidation {
  /** Mean over validation batches of w0 + w1 + s0 + s1. */
  loss: number;
  /** Mean of w0 + w1. */
  w_loss: number;
  /** Mean of s0 + s1. */
  s_loss: number;
  /** Within-batch top-1, sentence scores. */
  r1_t2i: number;
  r1_i2t: number;
  /** Within-batch top-1, word (attention) scores. */
  r1_t2i_words: number;
  r1_i2t_words: number;
  /** Top-1 over the pool of the first `pool_size` validated pairs (sentence cosine); absent when off. */
  pool_r1_t2i?: number;
  pool_r1_i2t?: number;
  pool_size?: number;
  batches: number;
  batch_size: number;
}

/** One epoch: the `metrics.jsonl` line and the `history` entry of `damsm_state.json`. */
export interface DamsmEpochRecord {
  type: 'pretrain';
  phase: 'damsm';
  /** 1-based epoch. */
  epoch: number;
  /** Iterations completed at the end of the epoch. */
  iteration: number;
  /** Unix time (s) when the epoch ended. */
  time: number;
  /** Training seconds so far, all runs of this folder together. */
  elapsed: number;
  /** Epoch means of the training loss terms. */
  loss: DamsmLosses;
  /** Validation, or null without a usable test split. */
  val: DamsmValidation | null;
  /** Learning rate used during the epoch. */
  lr: number;
  /** Mean text-encoder gradient norm before clipping. */
  rnnGradNorm: number;
  /** Seconds of the epoch (validation included). */
  seconds: number;
  itPerSec: number;
}

/** Contents of `damsm_state.json`. */
export interface DamsmState {
  format: 'mirrorgan-damsm-state';
  version: 1;
  /** Epochs completed. */
  epoch: number;
  /** Iterations completed. */
  iteration: number;
  /** Learning rate of the next epoch. */
  lr: number;
  /** Training seconds so far. */
  elapsed: number;
  best: { epoch: number; valLoss: number } | null;
  textEncoder: Required<TextEncoderOptions>;
  imageEncoder: { kind: 'compact'; options: Required<CompactImageEncoderOptions> } | { kind: 'inception'; options: { nef: number } };
  /** Settings of the run that wrote the state (informational; a resume may change them). */
  settings: Record<string, unknown>;
  history: DamsmEpochRecord[];
}

/** Hooks called as training goes (awaited when they return a promise). */
export interface PretrainDamsmCallbacks {
  onIteration?(info: DamsmIterationInfo): void | Promise<void>;
  onEpoch?(record: DamsmEpochRecord): void | Promise<void>;
}

/** What {@link pretrainDamsm} returns. */
export interface PretrainDamsmSummary {
  outDir: string;
  /** Epochs completed in the folder (all runs). */
  epochs: number;
  /** Epochs completed by this call. */
  epochsRun: number;
  /** Iterations completed in the folder. */
  iterations: number;
  /** Wall seconds of this call (data loading included). */
  seconds: number;
  /** Training seconds, all runs of this folder together. */
  trainSeconds: number;
  /** Learning rate the next epoch would use. */
  lr: number;
  /** Record of the last completed epoch (null before the first). */
  final: DamsmEpochRecord | null;
  best: { epoch: number; valLoss: number } | null;
  /** True when `signal` stopped the run before its last epoch. */
  stopped: boolean;
  files: { textEncoder: string; imageEncoder: string; vocabulary: string; config: string; state: string; metrics: string };
}

/** File names inside a DAMSM output folder. */
export const DAMSM_FILES = {
  textEncoder: 'text_encoder.safetensors',
  imageEncoder: 'image_encoder.safetensors',
  vocabulary: 'vocabulary.json',
  config: 'config.json',
  state: 'damsm_state.json',
  optimizer: 'damsm_optimizer.safetensors',
  metrics: 'metrics.jsonl',
} as const;

/** Reads a DAMSM state file; null when there is none, ERR_FILE when it is unreadable or foreign. */
async function readDamsmState(file: string): Promise<DamsmState | null> {
  let state: DamsmState;
  try {
    state = JSON.parse(await readFile(file, 'utf8')) as DamsmState;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new MirrorganError('ERR_FILE', `${file}: cannot read the DAMSM state (${(e as Error).message.split('\n')[0]})`);
  }
  if (state.format !== 'mirrorgan-damsm-state' || state.version !== 1 || !Array.isArray(state.history) || !state.imageEncoder) {
    throw new MirrorganError('ERR_FILE', `${file} is not a mirrorgan DAMSM state (version 1)`);
  }
  return state;
}

/** A fresh image encoder of the kind and options a DAMSM state records. */
function imageEncoderOf(info: DamsmState['imageEncoder']): ImageEncoder {
  return info.kind === 'compact' ? new CompactImageEncoder(info.options) : new InceptionImageEncoder(info.options);
}

/**
 * The image encoder a DAMSM folder trained, built from its state file (kind and options) and
 * loaded with its weights: what the GAN trainer's optional DAMSM term (`train.lambda`) needs.
 */
export async function loadDamsmImageEncoder(dir: string): Promise<ImageEncoder> {
  const stateFile = join(dir, DAMSM_FILES.state);
  const state = await readDamsmState(stateFile);
  if (!state) throw new MirrorganError('ERR_FILE', `${stateFile} not found; the DAMSM image encoder needs the folder pretrain-damsm wrote`);
  const encoder = imageEncoderOf(state.imageEncoder);
  await encoder.load(join(dir, DAMSM_FILES.imageEncoder));
  return encoder;
}

// ---- helpers ----------------------------------------------------------------------------------

function int64(a: Int32Array): BigInt64Array {
  return BigInt64Array.from(a, (v) => BigInt(v));
}

async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`);
  await rename(tmp, path);
}

function isLoaded(d: LoadedDataset | LoadDatasetOptions): d is LoadedDataset {
  return typeof d === 'object' && d !== null && 'train' in d && 'vocabulary' in d && typeof (d as LoadedDataset).close === 'function';
}

function fmtTime(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

function pct(x: number | undefined): string {
  return x === undefined ? '-' : `${(100 * x).toFixed(1)}%`;
}

/**
 * Top-1 hits of a (n x n) score matrix, rows = images, columns = captions, pair (k, k) true.
 * Other candidates of the query's class are skipped; a tie with the true pair is a miss.
 */
export function top1Hits(scores: Float32Array | Float64Array, n: number, classIds?: ArrayLike<number>): { i2t: number; t2i: number } {
  let i2t = 0;
  let t2i = 0;
  for (let k = 0; k < n; k++) {
    const own = scores[k * n + k] as number;
    let rowHit = true;
    let colHit = true;
    for (let l = 0; l < n && (rowHit || colHit); l++) {
      if (l === k || (classIds && classIds[l] === classIds[k])) continue;
      if ((scores[k * n + l] as number) >= own) rowHit = false;   // image k ranks caption l at least as high
      if ((scores[l * n + k] as number) >= own) colHit = false;   // caption k ranks image l at least as high
    }
    if (rowHit) i2t++;
    if (colHit) t2i++;
  }
  return { i2t, t2i };
}

/** Rows scaled to unit L2 norm (norm clamped at 1e-8, as the loss's cosine). */
function normalizeRows(x: Float32Array, n: number, d: number): Float32Array {
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += (x[i * d + j] as number) ** 2;
    const inv = 1 / Math.max(Math.sqrt(s), 1e-8);
    for (let j = 0; j < d; j++) out[i * d + j] = (x[i * d + j] as number) * inv;
  }
  return out;
}

/** Progress on stderr: a cli-progress bar on a TTY, a plain line every 10 s otherwise. */
class DamsmProgress {
  #bar: cliProgress.SingleBar | null = null;
  #last = 0;
  readonly #enabled: boolean;
  readonly #stream = process.stderr;

  constructor(mode: boolean | 'auto', readonly total: number) {
    this.#enabled = mode !== false;
    if (this.#enabled && this.#stream.isTTY) {
      this.#bar = new cliProgress.SingleBar(
        {
          stream: this.#stream,
          format: 'damsm {bar} {value}/{total} | epoch {epoch} | loss {loss} | {its} it/s | eta {etaText}',
          hideCursor: true,
          barsize: 24,
        },
        cliProgress.Presets.shades_classic,
      );
      this.#bar.start(total, 0, { epoch: '-', loss: '-', its: '0.00', etaText: '?' });
    }
  }

  update(done: number, epoch: string, loss: number, itPerSec: number): void {
    if (!this.#enabled) return;
    const eta = fmtTime((this.total - done) / Math.max(itPerSec, 1e-9));
    if (this.#bar) {
      this.#bar.update(done, { epoch, loss: loss.toFixed(3), its: itPerSec.toFixed(2), etaText: eta });
      return;
    }
    const now = Date.now();
    if (now - this.#last < 10_000 && done !== this.total) return;
    this.#last = now;
    this.#stream.write(`damsm ${done}/${this.total} epoch ${epoch} loss ${loss.toFixed(3)} ${itPerSec.toFixed(2)} it/s eta ${eta}\n`);
  }

  /** A line above the bar (or a plain line). */
  line(text: string, logger: DataLogger): void {
    if (this.#bar) this.#stream.write('\r\x1b[2K');
    logger.info(text);
    if (this.#bar) this.#bar.render();
  }

  stop(): void {
    this.#bar?.stop();
    this.#bar = null;
  }
}

/** Settles a `*.pending` checkpoint file left by an interrupted commit. */
async function settlePending(final: string, committedEpoch: number): Promise<void> {
  const pending = `${final}.pending`;
  if (!(await pathExists(pending))) return;
  let epoch = NaN;
  try {
    epoch = Number((await readSafetensorsHeader(pending)).metadata.epoch);
  } catch {
    epoch = NaN;
  }
  if (epoch === committedEpoch) await rename(pending, final);
  else await rm(pending, { force: true });
}

/** Rewrites metrics.jsonl: other writers' lines kept, DAMSM lines replaced by `history`. */
async function rewriteMetrics(path: string, history: readonly DamsmEpochRecord[]): Promise<void> {
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch {
    text = '';
  }
  const kept = text.split('\n').filter((line) => {
    if (line.trim() === '') return false;
    try {
      const o = JSON.parse(line) as { type?: unknown; phase?: unknown };
      return !(o.type === 'pretrain' && o.phase === 'damsm');
    } catch {
      return false; // a truncated line from a killed run
    }
  });
  const lines = [...kept, ...history.map((r) => JSON.stringify(r))];
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, lines.length ? `${lines.join('\n')}\n` : '');
  await rename(tmp, path);
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

function resolveDevice(want: 'auto' | 'cpu' | 'cuda' | undefined): Device {
  if (want === 'cuda') {
    if (!cudaAvailable()) throw new MirrorganError('ERR_DEVICE', 'train.device is cuda but no CUDA device is available');
    return 'cuda';
  }
  if (want === 'cpu') return 'cpu';
  return cudaAvailable() ? 'cuda' : 'cpu';
}

// ---- the loop ---------------------------------------------------------------------------------

/**
 * Pretrains the DAMSM text and image encoders (see the module comment for the schedule and the
 * files written). Deterministic given `train.seed`: the weights are initialised after
 * `manualSeed(seed)`, every iteration reseeds LibTorch from (seed, epoch, step) and the loader
 * draws every crop, flip and caption from the same seed, so a resumed run retraces an
 * uninterrupted one.
 */
export async function pretrainDamsm(options: PretrainDamsmOptions, callbacks: PretrainDamsmCallbacks = {}): Promise<PretrainDamsmSummary> {
  if (!options || typeof options !== 'object') throw invalidArg('options', 'an options object', options);
  if (typeof options.outDir !== 'string' || options.outDir === '') throw invalidArg('outDir', 'a folder path', options.outDir);
  const started = Date.now();
  const config: DamsmRunConfig = options.config ?? resolveConfig({ preset: 'cpu' });
  checkRunConfig(config);
  const logger = options.logger ?? stderrLogger;
  const outDir = resolve(options.outDir);
  const files = {
    textEncoder: join(outDir, DAMSM_FILES.textEncoder),
    imageEncoder: join(outDir, DAMSM_FILES.imageEncoder),
    vocabulary: join(outDir, DAMSM_FILES.vocabulary),
    config: join(outDir, DAMSM_FILES.config),
    state: join(outDir, DAMSM_FILES.state),
    metrics: join(outDir, DAMSM_FILES.metrics),
  };
  const optimizerPath = join(outDir, DAMSM_FILES.optimizer);
  const resetOptimizer = options.resetOptimizerEachEpoch ?? true;
  const valBatchCap = options.valBatches ?? 51;
  const poolCap = options.retrievalPool ?? 1000;
  if (!Number.isInteger(valBatchCap) || valBatchCap < 0) throw invalidArg('valBatches', 'an integer >= 0', valBatchCap);
  if (!Number.isInteger(poolCap) || poolCap < 0) throw invalidArg('retrievalPool', 'an integer >= 0', poolCap);
  const { damsm, text: textCfg, train } = config;
  const gammas: DamsmGammaOptions = { gamma1: train.gamma1, gamma2: train.gamma2, gamma3: train.gamma3 };
  const paperForm = options.paperForm ?? false;
  await mkdir(outDir, { recursive: true });

  // ---- previous state (resume) ----
  let state: DamsmState | null = null;
  if (options.resume) {
    state = await readDamsmState(files.state);
    if (!state) logger.info(`damsm: nothing to resume in ${outDir}; starting afresh`);
  } else if (await pathExists(files.state)) {
    logger.warn(`damsm: ${outDir} holds an earlier DAMSM run; starting afresh and replacing it (use resume to continue it)`);
  }

  let savedVocabulary: Vocabulary | null = null;
  if (state) {
    savedVocabulary = Vocabulary.fromJSON(JSON.parse(await readFile(files.vocabulary, 'utf8')));
    await settlePending(files.textEncoder, state.epoch);
    await settlePending(files.imageEncoder, state.epoch);
  } else {
    // A fresh run replaces any earlier one: drop its commit point first, so that an
    // interrupted fresh run can never be resumed as the old one.
    for (const f of [files.state, optimizerPath, `${files.textEncoder}.pending`, `${files.imageEncoder}.pending`]) await rm(f, { force: true });
  }

  // ---- data ----
  let data: LoadedDataset;
  let ownData = false;
  if (options.dataset && isLoaded(options.dataset)) {
    data = options.dataset;
  } else {
    const base: LoadDatasetOptions = options.dataset ?? {
      dataset: config.dataset?.name ?? 'openmoji',
      ...(config.dataset?.root ? { root: config.dataset.root } : {}),
      ...(config.dataset?.cacheDir ? { cacheDir: config.dataset.cacheDir } : {}),
      ...(config.dataset && openMojiOptionsOf(config.dataset) ? { openmoji: openMojiOptionsOf(config.dataset) } : {}),
    };
    data = await loadDataset({
      imageSize: Math.min(1024, Math.max(64, damsm.imageSize)),
      logger,
      progress: options.progress === false ? false : 'auto',
      ...base,
      ...(savedVocabulary ? { vocabulary: savedVocabulary } : {}),
    });
    ownData = true;
  }

  let progress: DamsmProgress | null = null;
  let textParams: Map<string, Tensor> | null = null;
  try {
    const vocabulary = data.vocabulary;
    if (savedVocabulary) {
      const id = firstVocabularyDifference(savedVocabulary, vocabulary);
      if (id >= 0) {
        throw new MirrorganError(
          'ERR_VOCAB_MISMATCH',
          `Cannot resume ${outDir}: its vocabulary (${savedVocabulary.size} words) differs from the dataset's (${vocabulary.size}) at id ${id}; ` +
            'resume with the same dataset, or start afresh without resume',
        );
      }
    }
    if (train.threads && train.threads > 0) setNumThreads(train.threads);
    const device = resolveDevice(train.device);
    const seed = train.seed;

    // ---- models (initialised from the seed; a resume restores the run's own architecture) ----
    manualSeed(seed);
    const textEncoder = new TextEncoder(
      state
        ? state.textEncoder
        : resolveTextEncoderOptions({ nTokens: vocabulary.size, nHidden: textCfg.embeddingDim, rnnType: textCfg.rnnType, ...(options.textEncoder ?? {}) }),
    );
    const imageInfo: DamsmState['imageEncoder'] = state
      ? state.imageEncoder
      : damsm.imageEncoder === 'compact'
        ? { kind: 'compact', options: resolveCompactImageEncoderOptions({ imageSize: damsm.imageSize, nef: textCfg.embeddingDim, ...(options.compactEncoder ?? {}) }) }
        : { kind: 'inception', options: { nef: textCfg.embeddingDim } };
    const imageEncoder = imageEncoderOf(imageInfo);
    if (state && state.imageEncoder.kind !== damsm.imageEncoder) {
      logger.warn(`damsm: resuming with the run's ${state.imageEncoder.kind} image encoder (the config asks for ${damsm.imageEncoder})`);
    }
    if (state) {
      await textEncoder.load(files.textEncoder);
      await imageEncoder.load(files.imageEncoder);
      for (const f of [files.textEncoder, files.imageEncoder]) {
        const e = Number((await readSafetensorsHeader(f)).metadata.epoch);
        if (e !== state.epoch) logger.warn(`damsm: ${f} says epoch ${e} but ${files.state} says ${state.epoch}; continuing from the weights as found`);
      }
    } else if (options.imageEncoderWeights) {
      const r = await imageEncoder.load(options.imageEncoderWeights, { strict: false });
      logger.info(`damsm: image encoder weights from ${options.imageEncoderWeights} (${r.missing.length} keys missing, ${r.unexpected.length} unexpected)`);
    } else if (imageInfo.kind === 'inception') {
      logger.warn('damsm: the Inception-v3 trunk is frozen and starts from random weights; pass converted ImageNet weights (imageEncoderWeights) or use damsm.imageEncoder=compact');
    }
    textEncoder.to(device).train();
    imageEncoder.to(device).train();
    textParams = textEncoder.namedParameters();
    const clipInputsRecord = Object.fromEntries(textParams);

    // ---- files written once per call ----
    await vocabulary.save(files.vocabulary);
    await writeJsonAtomic(files.config, config);
    const history: DamsmEpochRecord[] = state ? state.history.filter((r) => r.epoch <= state!.epoch) : [];
    await rewriteMetrics(files.metrics, history);

    // ---- loaders ----
    const trainLoader = new DataLoader(data.train, {
      batchSize: damsm.batchSize, imageSizes: [damsm.imageSize], wordsNum: textCfg.wordsNum,
      shuffle: true, dropLast: true, augment: true, sortByLength: true, seed, logger,
    });
    // Validation: fixed batches (epoch 0 of a seeded shuffle, centre crops, truncated captions).
    const valBatchSize = Math.min(damsm.batchSize, data.test.size);
    const valLoader = valBatchSize >= 2 && valBatchCap > 0
      ? new DataLoader(data.test, {
        batchSize: valBatchSize, imageSizes: [damsm.imageSize], wordsNum: textCfg.wordsNum,
        shuffle: true, dropLast: true, augment: false, sortByLength: true, seed, logger,
      })
      : null;
    if (!valLoader) logger.warn(`damsm: ${data.name} has ${data.test.size} test images; no validation`);

    const batchTensors = (batch: Batch) => {
      const B = batch.batchSize;
      const S = damsm.imageSize;
      return {
        images: tensor(batch.images[0] as Float32Array, [B, 3, S, S], { device }),
        captions: tensor(int64(batch.captions), [B, batch.wordsNum], { dtype: 'int64', device }),
        capLens: tensor(int64(batch.captionLengths), [B], { dtype: 'int64', device }),
        classIds: tensor(int64(batch.classIds), [B], { dtype: 'int64', device }),
      };
    };

    /** Forward of both encoders and both losses; every tensor made is pushed on `t`. */
    const forward = async (batch: Batch, t: Tensor[], grad: boolean) => {
      const x = batchTensors(batch);
      t.push(x.images, x.captions, x.capLens, x.classIds);
      const img = await imageEncoder.encodeAsync(x.images, { grad });
      t.push(img.features, img.cnnCode);
      const txt = await textEncoder.encodeAsync(x.captions, x.capLens, { grad });
      t.push(txt.wordsEmb, txt.sentEmb, txt.mask);
      const w = await damsmWordsLossAsync({ imgFeatures: img.features, wordsEmb: txt.wordsEmb, capLens: x.capLens, classIds: x.classIds }, { ...gammas, paperForm });
      t.push(w.loss0, w.loss1, w.scores);
      const s = damsmSentLoss({ cnnCode: img.cnnCode, sentEmb: txt.sentEmb, classIds: x.classIds }, gammas);
      t.push(s.loss0, s.loss1, s.scores);
      return { img, txt, w, s };
    };

    /** One training iteration: forward, backward (worker thread), RNN clip, Adam step. */
    const trainStep = async (batch: Batch, epochIndex: number, adam: Adam): Promise<DamsmLosses & { gradNorm: number }> => {
      const t: Tensor[] = [];
      try {
        manualSeed(deriveSeed(seed, epochIndex, batch.step, 0xda35));  // dropout masks
        adam.zeroGrad();
        const { w, s } = await forward(batch, t, true);
        const total = tidy(() => w.loss0.add(w.loss1).add(s.loss0).add(s.loss1));
        t.push(total);
        await total.backwardAsync();
        // official: clip_grad_norm(rnn_model.parameters(), RNN_GRAD_CLIP); 0 = measure only
        const clip = await callNativeAsync('clip_grad_norm', clipInputsRecord, {
          maxNorm: damsm.rnnGradClip > 0 ? damsm.rnnGradClip : Number.MAX_VALUE,
        });
        t.push(clip.total_norm);
        await adam.stepAsync();
        return { w0: w.loss0.item(), w1: w.loss1.item(), s0: s.loss0.item(), s1: s.loss1.item(), total: total.item(), gradNorm: clip.total_norm.item() };
      } finally {
        dispose(t);
      }
    };

    /** Losses and retrieval on the test split, eval mode, no graph. */
    const validate = async (loader: DataLoader): Promise<DamsmValidation> => {
      textEncoder.eval();
      imageEncoder.eval();
      let wSum = 0;
      let sSum = 0;
      let n = 0;
      let items = 0;
      const hits = { t2i: 0, i2t: 0, t2iW: 0, i2tW: 0 };
      const poolImg: Float32Array[] = [];
      const poolTxt: Float32Array[] = [];
      const poolCls: number[] = [];
      let dim = 0;
      try {
        for await (const batch of loader.epoch(0)) {
          const t: Tensor[] = [];
          try {
            const { img, txt, w, s } = await forward(batch, t, false);
            const B = batch.batchSize;
            wSum += w.loss0.item() + w.loss1.item();
            sSum += s.loss0.item() + s.loss1.item();
            const hs = top1Hits(s.scores.dataSync<'float32'>(), B, batch.classIds);
            const hw = top1Hits(w.scores.dataSync<'float32'>(), B, batch.classIds);
            hits.t2i += hs.t2i;
            hits.i2t += hs.i2t;
            hits.t2iW += hw.t2i;
            hits.i2tW += hw.i2t;
            items += B;
            if (poolCap > 0 && poolCls.length < poolCap) {
              const take = Math.min(B, poolCap - poolCls.length);
              dim = img.cnnCode.shape[1] as number;
              poolImg.push(img.cnnCode.dataSync<'float32'>().slice(0, take * dim));
              poolTxt.push(txt.sentEmb.dataSync<'float32'>().slice(0, take * dim));
              for (let k = 0; k < take; k++) poolCls.push(batch.classIds[k] as number);
            }
          } finally {
            dispose(t);
          }
          if (++n >= valBatchCap) break;
        }
      } finally {
        textEncoder.train();
        imageEncoder.train();
      }
      const val: DamsmValidation = {
        loss: (wSum + sSum) / n, w_loss: wSum / n, s_loss: sSum / n,
        r1_t2i: hits.t2i / items, r1_i2t: hits.i2t / items,
        r1_t2i_words: hits.t2iW / items, r1_i2t_words: hits.i2tW / items,
        batches: n, batch_size: loader.options.batchSize,
      };
      const P = poolCls.length;
      if (P >= 2) {
        const join2 = (parts: Float32Array[]) => {
          const out = new Float32Array(P * dim);
          let o = 0;
          for (const p of parts) {
            out.set(p, o);
            o += p.length;
          }
          return normalizeRows(out, P, dim);
        };
        const sim = tidy(() => tensor(join2(poolImg), [P, dim]).matmul(tensor(join2(poolTxt), [P, dim]).transpose(0, 1)));
        const h = top1Hits(sim.dataSync<'float32'>(), P, poolCls);
        sim.dispose();
        Object.assign(val, { pool_r1_t2i: h.t2i / P, pool_r1_i2t: h.i2t / P, pool_size: P });
      }
      return val;
    };

    // ---- schedule ----
    const epochs = damsm.epochs;
    const startEpoch = state?.epoch ?? 0;
    let lr = state?.lr ?? damsm.lr;
    let iteration = state?.iteration ?? 0;
    let elapsed = state?.elapsed ?? 0;
    let best = state?.best ?? null;
    const perEpoch = trainLoader.batchesPerEpoch;
    const totalIts = Math.max(0, epochs - startEpoch) * perEpoch;
    if (startEpoch >= epochs) {
      logger.info(`damsm: ${outDir} already has ${startEpoch} of ${epochs} epochs`);
    } else {
      logger.info(
        `damsm: ${data.name} ${data.train.size} train / ${data.test.size} test images, ${vocabulary.size} words; ` +
          `${imageInfo.kind} image encoder at ${damsm.imageSize} px, batch ${damsm.batchSize}, ${perEpoch} it/epoch, ` +
          `epochs ${startEpoch + 1}..${epochs}, lr ${lr.toPrecision(3)}, ${device}`,
      );
    }
    const settings = {
      batchSize: damsm.batchSize, lr0: damsm.lr, lrDecay: damsm.lrDecay, rnnGradClip: damsm.rnnGradClip, imageSize: damsm.imageSize,
      wordsNum: textCfg.wordsNum, seed, gammas, paperForm, resetOptimizerEachEpoch: resetOptimizer, valBatches: valBatchCap,
      retrievalPool: poolCap, dataset: data.name, trainImages: data.train.size, testImages: data.test.size,
    };
    progress = new DamsmProgress(totalIts > 0 ? options.progress ?? 'auto' : false, totalIts);
    let adam: Adam | null = null;
    let stopped = false;
    let epochsRun = 0;
    let doneThisCall = 0;
    const loopStart = Date.now();

    for (let e = startEpoch; e < epochs; e++) {
      const epoch = e + 1;
      const epochStart = Date.now();
      // official: `optimizer = optim.Adam(para, lr=lr, betas=(0.5, 0.999))` at the top of every epoch
      if (resetOptimizer || !adam) {
        adam = new Adam([textEncoder, imageEncoder], { lr, betas: [0.5, 0.999] });
        if (!resetOptimizer && state && (await pathExists(optimizerPath))) await adam.load(optimizerPath);
      }
      adam.lr = lr;
      const sums: DamsmLosses = { w0: 0, w1: 0, s0: 0, s1: 0, total: 0 };
      let gradNormSum = 0;
      let steps = 0;
      for await (const batch of trainLoader.epoch(e)) {
        const r = await trainStep(batch, e, adam);
        sums.w0 += r.w0;
        sums.w1 += r.w1;
        sums.s0 += r.s0;
        sums.s1 += r.s1;
        sums.total += r.total;
        gradNormSum += r.gradNorm;
        steps++;
        doneThisCall++;
        const itPerSec = doneThisCall / Math.max((Date.now() - loopStart) / 1000, 1e-9);
        progress.update(doneThisCall, `${epoch}/${epochs}`, sums.total / steps, itPerSec);
        await callbacks.onIteration?.({
          epoch, step: batch.step, iteration: iteration + steps, itPerSec, rnnGradNorm: r.gradNorm,
          loss: { w0: r.w0, w1: r.w1, s0: r.s0, s1: r.s1, total: r.total },
        });
        if (options.signal?.aborted) break;
      }
      if (options.signal?.aborted && steps < perEpoch) {
        stopped = true;
        progress.line(`damsm: stopped during epoch ${epoch}; ${outDir} keeps epoch ${e}`, logger);
        break;
      }
      iteration += steps;

      const val = valLoader ? await validate(valLoader) : null;
      const seconds = (Date.now() - epochStart) / 1000;
      elapsed += seconds;
      const mean = (x: number) => x / Math.max(steps, 1);
      const record: DamsmEpochRecord = {
        type: 'pretrain', phase: 'damsm', epoch, iteration, time: Date.now() / 1000, elapsed,
        loss: { w0: mean(sums.w0), w1: mean(sums.w1), s0: mean(sums.s0), s1: mean(sums.s1), total: mean(sums.total) },
        val, lr, rnnGradNorm: mean(gradNormSum), seconds, itPerSec: steps / Math.max(seconds, 1e-9),
      };
      // official: `if lr > cfg.TRAIN.ENCODER_LR / 10.: lr *= 0.98`
      if (lr > damsm.lr / 10) lr *= damsm.lrDecay;
      if (val && (best === null || val.loss < best.valLoss)) best = { epoch, valLoss: val.loss };
      history.push(record);

      // ---- checkpoint: pending weights -> state (the commit) -> rename ----
      const meta = { phase: 'damsm', epoch: String(epoch) };
      await textEncoder.save(`${files.textEncoder}.pending`, meta);
      await imageEncoder.save(`${files.imageEncoder}.pending`, meta);
      if (!resetOptimizer) await adam.save(optimizerPath);
      const next: DamsmState = {
        format: 'mirrorgan-damsm-state', version: 1, epoch, iteration, lr, elapsed, best,
        textEncoder: textEncoder.options, imageEncoder: imageInfo, settings, history,
      };
      await writeJsonAtomic(files.state, next);
      await rename(`${files.textEncoder}.pending`, files.textEncoder);
      await rename(`${files.imageEncoder}.pending`, files.imageEncoder);
      await rewriteMetrics(files.metrics, history);
      state = next;
      epochsRun++;

      const v = val
        ? ` | val ${val.loss.toFixed(3)} | R@1 t2i ${pct(val.r1_t2i)} i2t ${pct(val.r1_i2t)} (batches of ${val.batch_size})` +
          (val.pool_size ? ` | pool of ${val.pool_size}: t2i ${pct(val.pool_r1_t2i)} i2t ${pct(val.pool_r1_i2t)}` : '')
        : '';
      progress.line(
        `damsm epoch ${epoch}/${epochs}: loss ${record.loss.total.toFixed(3)} (w0 ${record.loss.w0.toFixed(3)} w1 ${record.loss.w1.toFixed(3)} ` +
          `s0 ${record.loss.s0.toFixed(3)} s1 ${record.loss.s1.toFixed(3)})${v} | lr ${record.lr.toPrecision(3)} | ${seconds.toFixed(1)} s`,
        logger,
      );
      await callbacks.onEpoch?.(record);
      if (options.signal?.aborted && epoch < epochs) {
        stopped = true;
        break;
      }
    }

    return {
      outDir,
      epochs: state?.epoch ?? 0,
      epochsRun,
      iterations: state?.iteration ?? 0,
      seconds: (Date.now() - started) / 1000,
      trainSeconds: state?.elapsed ?? 0,
      lr: state?.lr ?? lr,
      final: state?.history.at(-1) ?? null,
      best: state?.best ?? null,
      stopped,
      files,
    };
  } finally {
    progress?.stop();
    if (textParams) dispose(textParams);
    if (ownData) await data.close();
  }
}
