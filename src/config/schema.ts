// SPDX-License-Identifier: MIT
/**
 * MirrorGAN's training configuration: every field a user can set, its default, its allowed
 * range and the official YAML name (cfg/config.py) it answers to, in one table. Presets
 * (`birds`, `coco`, `cpu`) override defaults; YAML files and `--set key=value` override presets.
 */
import { invalidArg, MirrorganError } from '../../lib/errors.js';
import type { OpenMojiOptions } from '../data/openmoji.js';

export type DatasetName = 'openmoji' | 'cub' | 'coco' | 'folder';

/** The resolved configuration (all fields present). */
export interface MirrorGANConfig {
  /** Preset the run started from. */
  preset: string;
  dataset: {
    /** Which dataset loader: the built-in OpenMoji set, CUB, COCO or a folder of your own ('birds' is the official name for 'cub'). */
    name: DatasetName;
    /** Dataset folder (required except for openmoji). */
    root: string;
    /** Image cache folder ('' = $MIRRORGAN_CACHE or ~/.cache/mirrorgan). */
    cacheDir: string;
    /** OpenMoji only: build an evenly spread subset of this many emoji (0 = all). */
    limit: number;
    /** OpenMoji only: 'all' skin-tone variants of people emoji, or only the 'base' (yellow) one. */
    skinTones: 'all' | 'base';
    /** OpenMoji only: add captions measured from the pictures (outline shape, main colour). */
    attributeCaptions: boolean;
    /** OpenMoji only, with attribute captions: recoloured copies of each shaped training emoji (0–7). */
    recolour: number;
  };
  tree: {
    /** Number of generator stages: 1 (64 px), 2 (64, 128) or 3 (64, 128, 256). TREE.BRANCH_NUM */
    branchNum: number;
    /** Size of stage 1. TREE.BASE_SIZE */
    baseSize: number;
  };
  gan: {
    /** Generator width: stage 1 starts from 16 × gfDim channels at 4 × 4 and upsamples to gfDim; later stages work at gfDim. GAN.GF_DIM */
    gfDim: number;
    /** Discriminator width (channels of its first convolution). GAN.DF_DIM */
    dfDim: number;
    /** Length of the noise vector z. GAN.Z_DIM */
    zDim: number;
    /** Length of the sentence code CA_NET makes from the sentence feature. GAN.CONDITION_DIM */
    conditionDim: number;
    /** Residual blocks in each later generator stage. GAN.R_NUM */
    rNum: number;
    /** 'official' (code), 'paper' (no conv before the softmax), 'off' (GLAM ablation). */
    sentenceAttention: 'official' | 'paper' | 'off';
    /** 'official' keeps AttnGAN's mask tiling quirk (#93); 'fixed' masks each caption's own padding. */
    maskTiling: 'official' | 'fixed';
  };
  text: {
    /** Length of the text encoder's word and sentence features. TEXT.EMBEDDING_DIM */
    embeddingDim: number;
    /** Longest caption in words; longer training captions keep a random in-order subset. TEXT.WORDS_NUM */
    wordsNum: number;
    /** Recurrent cell of the text encoder. RNN_TYPE */
    rnnType: 'LSTM' | 'GRU';
  };
  train: {
    /** Images per GAN batch. TRAIN.BATCH_SIZE */
    batchSize: number;
    /** GAN training epochs. TRAIN.MAX_EPOCH */
    maxEpoch: number;
    /** Stop after this many iterations (0 = run maxEpoch epochs). */
    maxIterations: number;
    /** Adam learning rate of the generator. TRAIN.GENERATOR_LR */
    generatorLr: number;
    /** Adam learning rate of each discriminator. TRAIN.DISCRIMINATOR_LR */
    discriminatorLr: number;
    /** Adam β1 of the generator and discriminators (0.5 in the official trainer). */
    beta1: number;
    /** Adam β2 of the generator and discriminators (0.999 in the official trainer). */
    beta2: number;
    /** Moving average of G's parameters after each G step. */
    emaDecay: number;
    /**
     * Ramp the average's decay up as min(emaDecay, (1 + t) / (10 + t)) at iteration t, so a
     * short run's average is not dominated by the random initial weights (0.999^1800 still
     * keeps 17 % of them). Off in the official code.
     */
    emaWarmup: boolean;
    /** Checkpoint every N iterations (and at the end). */
    snapshotInterval: number;
    /** Also checkpoint after every N-th epoch, counted as upstream does (0 = off). TRAIN.SNAPSHOT_INTERVAL */
    snapshotEpochs: number;
    /** Sample grid every N iterations. */
    sampleInterval: number;
    /**
     * A small evaluation every N iterations (0 = none): R-precision, FID/KID in DAMSM space and
     * BLEU/CIDEr-D of STREAM re-descriptions on `evalSamples` held-out captions, written to
     * metrics.jsonl and plotted by the report (docs/evaluation.md).
     */
    evalInterval: number;
    /** Samples of each evaluation during training. */
    evalSamples: number;
    /**
     * Probe captions that open every sample grid, separated by '|' (at most 8): '' = the
     * dataset's own (OpenMoji: colours x shapes; others: none), 'none' = no probes.
     */
    sampleCaptions: string;
    /** Weight λ of the STREAM caption loss in G's loss (0 = AttnGAN-style baseline, no STREAM). TRAIN.SMOOTH.LAMBDA1 */
    streamWeight: number;
    /** 'mean' = token-mean CE x λ (official code), 'sum' = token-sum x λ (paper). */
    streamReduction: 'mean' | 'sum';
    /** Weight of AttnGAN's DAMSM loss on the last stage in G's loss (0 in MirrorGAN; AttnGAN uses 5). TRAIN.SMOOTH.LAMBDA */
    damsmWeight: number;
    /** DAMSM γ1: sharpness of each word's attention over the image regions. TRAIN.SMOOTH.GAMMA1 */
    gamma1: number;
    /** DAMSM γ2: how strongly the best-matching words dominate the caption–image word score. TRAIN.SMOOTH.GAMMA2 */
    gamma2: number;
    /** DAMSM γ3: scale of the scores in the matching softmax over the batch. TRAIN.SMOOTH.GAMMA3 */
    gamma3: number;
    /** Pretrained text encoder (safetensors; '' = pretrain DAMSM first). TRAIN.NET_E */
    netE: string;
    /** Initial generator weights ('' = fresh). TRAIN.NET_G */
    netG: string;
    /** Pretrained STREAM captioner folder ('' = pretrain it first when streamWeight > 0). */
    captioner: string;
    /** Seed of the initial weights, the data order and augmentation, the noise and dropout. */
    seed: number;
    /** LibTorch intra-op threads (0 = one per usable core). */
    threads: number;
    /** Device of DAMSM pretraining: 'auto' = CUDA when available, else CPU. The GAN loop runs on the library's `device` option (CPU from the CLI). */
    device: 'auto' | 'cpu' | 'cuda';
    /**
     * Bit-for-bit reproducible training: the same seed and thread count give the same weights,
     * and a resumed run equals an uninterrupted one. Native work then runs on the main thread,
     * so batches are not prepared meanwhile: at most ~5 % slower on the cpu preset (docs/reliability.md).
     */
    deterministic: boolean;
    /** Checkpoints kept in the run folder: the newest N, plus the best-scored one when checkpoints are scored. */
    keepCheckpoints: number;
    /** A checkpoint that cannot be written (disk full, read-only): 'stop' training with an error, or 'continue' and retry at the next one. */
    onCheckpointError: 'stop' | 'continue';
    /** Iterations in a row with NaN/Inf losses or gradients (each one skipped) after which training stops with ERR_DIVERGED. */
    maxNonFiniteSteps: number;
  };
  damsm: {
    /** DAMSM pretraining epochs (`pretrain-damsm --epochs` overrides). */
    epochs: number;
    /** Images per DAMSM batch (48 in the official DAMSM bird.yml). */
    batchSize: number;
    /** Adam learning rate; a new Adam each epoch, as the official code. TRAIN.ENCODER_LR */
    lr: number;
    /** Learning-rate factor after each epoch while lr > lr₀ / 10 (0.98 official). */
    lrDecay: number;
    /** Total-norm clip of the text encoder's gradients (0 = off). TRAIN.RNN_GRAD_CLIP */
    rnnGradClip: number;
    /** 'compact' (from scratch, CPU-sized) or 'inception' (needs ImageNet weights). */
    imageEncoder: 'compact' | 'inception';
    /** Input side of the DAMSM image encoder in pixels (299 for Inception-v3). */
    imageSize: number;
  };
  stream: {
    /** STREAM captioner pretraining epochs. */
    epochs: number;
    /** Images per captioner batch. */
    batchSize: number;
    /** Adam learning rate of the captioner. CAP.learning_rate */
    lr: number;
    /** CAP.hidden_size: the decoder LSTM gets twice this, as the official trainer builds it. */
    hiddenSize: number;
    /** Length of the captioner's word embedding and image feature. CAP.embed_size */
    embedSize: number;
    /** 'compact' (from scratch) or 'resnet152' (needs ImageNet weights). */
    encoder: 'compact' | 'resnet152';
    /** Input side of the captioner's image encoder in pixels (224 for ResNet-152). */
    imageSize: number;
  };
}

type Kind = 'int' | 'number' | 'string' | 'enum' | 'bool';
interface Field {
  key: string;
  official?: string;
  /** Our earlier name of the key, still read (run folders' saved config.json, old scripts). */
  formerly?: string;
  kind: Kind;
  min?: number;
  max?: number;
  values?: readonly string[];
}

/** Every settable field. `official` is the upstream cfg name accepted in YAML files. */
export const FIELDS: readonly Field[] = [
  { key: 'dataset.name', official: 'DATASET_NAME', kind: 'enum', values: ['openmoji', 'cub', 'coco', 'folder', 'birds'] },
  { key: 'dataset.root', official: 'DATA_DIR', kind: 'string' },
  { key: 'dataset.cacheDir', kind: 'string' },
  { key: 'dataset.limit', kind: 'int', min: 0, max: 1e6 },
  { key: 'dataset.skinTones', kind: 'enum', values: ['all', 'base'] },
  { key: 'dataset.attributeCaptions', kind: 'bool' },
  { key: 'dataset.recolour', kind: 'int', min: 0, max: 7 },
  { key: 'tree.branchNum', official: 'TREE.BRANCH_NUM', kind: 'int', min: 1, max: 3 },
  { key: 'tree.baseSize', official: 'TREE.BASE_SIZE', kind: 'int', min: 64, max: 64 },
  { key: 'gan.gfDim', official: 'GAN.GF_DIM', kind: 'int', min: 1, max: 1024 },
  { key: 'gan.dfDim', official: 'GAN.DF_DIM', kind: 'int', min: 1, max: 1024 },
  { key: 'gan.zDim', official: 'GAN.Z_DIM', kind: 'int', min: 1, max: 4096 },
  { key: 'gan.conditionDim', official: 'GAN.CONDITION_DIM', kind: 'int', min: 1, max: 4096 },
  { key: 'gan.rNum', official: 'GAN.R_NUM', kind: 'int', min: 0, max: 16 },
  { key: 'gan.sentenceAttention', kind: 'enum', values: ['official', 'paper', 'off'] },
  { key: 'gan.maskTiling', kind: 'enum', values: ['official', 'fixed'] },
  { key: 'text.embeddingDim', official: 'TEXT.EMBEDDING_DIM', kind: 'int', min: 2, max: 4096 },
  { key: 'text.wordsNum', official: 'TEXT.WORDS_NUM', kind: 'int', min: 1, max: 256 },
  { key: 'text.rnnType', official: 'RNN_TYPE', kind: 'enum', values: ['LSTM', 'GRU'] },
  { key: 'train.batchSize', official: 'TRAIN.BATCH_SIZE', kind: 'int', min: 2, max: 4096 },
  { key: 'train.maxEpoch', official: 'TRAIN.MAX_EPOCH', kind: 'int', min: 1, max: 100000 },
  { key: 'train.maxIterations', kind: 'int', min: 0, max: 1e9 },
  { key: 'train.generatorLr', official: 'TRAIN.GENERATOR_LR', kind: 'number', min: 0, max: 1 },
  { key: 'train.discriminatorLr', official: 'TRAIN.DISCRIMINATOR_LR', kind: 'number', min: 0, max: 1 },
  { key: 'train.beta1', kind: 'number', min: 0, max: 0.9999 },
  { key: 'train.beta2', kind: 'number', min: 0, max: 0.9999999 },
  { key: 'train.emaDecay', kind: 'number', min: 0, max: 1 },
  { key: 'train.snapshotInterval', kind: 'int', min: 1, max: 1e9 },
  { key: 'train.snapshotEpochs', official: 'TRAIN.SNAPSHOT_INTERVAL', kind: 'int', min: 0, max: 1e6 },
  { key: 'train.emaWarmup', kind: 'bool' },
  { key: 'train.sampleInterval', kind: 'int', min: 1, max: 1e9 },
  { key: 'train.evalInterval', kind: 'int', min: 0, max: 1e9 },
  { key: 'train.evalSamples', kind: 'int', min: 20, max: 1e6 },
  { key: 'train.sampleCaptions', kind: 'string' },
  { key: 'train.streamWeight', official: 'TRAIN.SMOOTH.LAMBDA1', formerly: 'train.lambda1', kind: 'number', min: 0, max: 1e4 },
  { key: 'train.streamReduction', kind: 'enum', values: ['mean', 'sum'] },
  { key: 'train.damsmWeight', official: 'TRAIN.SMOOTH.LAMBDA', formerly: 'train.lambda', kind: 'number', min: 0, max: 1e4 },
  { key: 'train.gamma1', official: 'TRAIN.SMOOTH.GAMMA1', kind: 'number', min: 0, max: 1e3 },
  { key: 'train.gamma2', official: 'TRAIN.SMOOTH.GAMMA2', kind: 'number', min: 0, max: 1e3 },
  { key: 'train.gamma3', official: 'TRAIN.SMOOTH.GAMMA3', kind: 'number', min: 0, max: 1e3 },
  { key: 'train.netE', official: 'TRAIN.NET_E', kind: 'string' },
  { key: 'train.netG', official: 'TRAIN.NET_G', kind: 'string' },
  { key: 'train.captioner', kind: 'string' },
  { key: 'train.seed', kind: 'int', min: 0, max: 2 ** 31 - 1 },
  { key: 'train.threads', kind: 'int', min: 0, max: 1024 },
  { key: 'train.device', kind: 'enum', values: ['auto', 'cpu', 'cuda'] },
  { key: 'train.deterministic', kind: 'bool' },
  { key: 'train.keepCheckpoints', kind: 'int', min: 1, max: 1e6 },
  { key: 'train.onCheckpointError', kind: 'enum', values: ['stop', 'continue'] },
  { key: 'train.maxNonFiniteSteps', kind: 'int', min: 1, max: 1e6 },
  { key: 'damsm.epochs', kind: 'int', min: 0, max: 100000 },
  { key: 'damsm.batchSize', kind: 'int', min: 2, max: 4096 },
  { key: 'damsm.lr', official: 'TRAIN.ENCODER_LR', kind: 'number', min: 0, max: 1 },
  { key: 'damsm.lrDecay', kind: 'number', min: 0, max: 1 },
  { key: 'damsm.rnnGradClip', official: 'TRAIN.RNN_GRAD_CLIP', kind: 'number', min: 0, max: 1e6 },
  { key: 'damsm.imageEncoder', kind: 'enum', values: ['compact', 'inception'] },
  { key: 'damsm.imageSize', kind: 'int', min: 16, max: 512 },
  { key: 'stream.epochs', kind: 'int', min: 0, max: 100000 },
  { key: 'stream.batchSize', kind: 'int', min: 2, max: 4096 },
  { key: 'stream.lr', official: 'CAP.learning_rate', kind: 'number', min: 0, max: 1 },
  { key: 'stream.hiddenSize', official: 'CAP.hidden_size', kind: 'int', min: 1, max: 8192 },
  { key: 'stream.embedSize', official: 'CAP.embed_size', kind: 'int', min: 1, max: 8192 },
  { key: 'stream.encoder', kind: 'enum', values: ['compact', 'resnet152'] },
  { key: 'stream.imageSize', kind: 'int', min: 16, max: 512 },
];

/** Upstream fields that are accepted and ignored (they describe the upstream machine). */
export const IGNORED_OFFICIAL = new Set([
  'CONFIG_NAME', 'GPU_ID', 'CUDA', 'WORKERS', 'OUTPUT_PATH', 'B_VALIDATION', 'TRAIN.FLAG', 'TRAIN.B_NET_D',
  'GAN.B_ATTENTION', 'GAN.B_DCGAN', 'TEXT.CAPTIONS_PER_IMAGE', 'CAP.num_layers',
]);

/**
 * Keys of ours that were retired: read from an older run's config.json or a YAML file, they are
 * ignored with a warning (the hard-negative experiments did not help; docs/experiments.md).
 */
export const RETIRED_KEYS = new Set(['train.mismatch', 'train.neighbours', 'damsm.neighbours']);

const OFFICIAL_TO_KEY = new Map(FIELDS.filter((f) => f.official).map((f) => [f.official!, f.key]));
/**
 * Migration of renamed keys: a run folder's config.json written before a rename (e.g.
 * `train.lambda1`, now `train.streamWeight`) still loads, resumes and generates.
 */
const FORMER_TO_KEY = new Map(FIELDS.filter((f) => f.formerly).map((f) => [f.formerly!, f.key]));

/** Our key for `key`: itself, or the key an official name or a former name of ours stands for. */
function ourKey(key: string): string {
  return OFFICIAL_TO_KEY.get(key) ?? FORMER_TO_KEY.get(key) ?? key;
}

/** Sections a config file may nest fields in (`train`, `TRAIN`, `TRAIN.SMOOTH`, ...): the proper prefixes of the keys it may hold. */
const SECTIONS = new Set(
  [...FIELDS.flatMap((f) => [f.key, f.official ?? '', f.formerly ?? '']), ...IGNORED_OFFICIAL, ...RETIRED_KEYS]
    .flatMap((k) => k.split('.').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('.'))),
);

/** True when `key` is a section that holds fields (`train`, `TRAIN.SMOOTH`). */
export function isSection(key: string): boolean {
  return SECTIONS.has(key);
}

/** The defaults: the official MirrorGAN CUB values where they exist. */
export function defaults(): MirrorGANConfig {
  return {
    preset: 'default',
    dataset: { name: 'openmoji', root: '', cacheDir: '', limit: 0, skinTones: 'all', attributeCaptions: true, recolour: 3 },
    tree: { branchNum: 3, baseSize: 64 },
    gan: { gfDim: 32, dfDim: 64, zDim: 100, conditionDim: 100, rNum: 2, sentenceAttention: 'official', maskTiling: 'official' },
    text: { embeddingDim: 256, wordsNum: 18, rnnType: 'LSTM' },
    train: {
      batchSize: 12, maxEpoch: 650, maxIterations: 0, generatorLr: 2e-4, discriminatorLr: 2e-4, beta1: 0.5, beta2: 0.999,
      emaDecay: 0.999, emaWarmup: false, snapshotInterval: 2000, snapshotEpochs: 0, sampleInterval: 1000, evalInterval: 0, evalSamples: 500, sampleCaptions: '', streamWeight: 10, streamReduction: 'mean', damsmWeight: 0,
      gamma1: 4, gamma2: 5, gamma3: 10, netE: '', netG: '', captioner: '', seed: 100, threads: 0, device: 'auto',
      deterministic: false, keepCheckpoints: 3, onCheckpointError: 'stop', maxNonFiniteSteps: 20,
    },
    damsm: { epochs: 600, batchSize: 48, lr: 0.002, lrDecay: 0.98, rnnGradClip: 0.25, imageEncoder: 'inception', imageSize: 299 },
    stream: { epochs: 200, batchSize: 128, lr: 1e-3, hiddenSize: 256, embedSize: 256, encoder: 'resnet152', imageSize: 224 },
  };
}

/** Named starting points (look names up with {@link presetNamed}, never with `in`). */
export const PRESETS: Readonly<Record<string, (c: MirrorGANConfig) => void>> = {
  /** Official MirrorGAN CUB (cfg/train_bird.yml + cfg/DAMSM/bird.yml). */
  birds: (c) => {
    c.dataset.name = 'cub';
  },
  /** AttnGAN's COCO settings (MirrorGAN ships no COCO config): GF 48, DF 96, R_NUM 3, batch 14, WORDS_NUM 12. */
  coco: (c) => {
    c.dataset.name = 'coco';
    Object.assign(c.gan, { gfDim: 48, dfDim: 96, rNum: 3 });
    Object.assign(c.train, { batchSize: 14, maxEpoch: 120, streamWeight: 20 });
    c.text.wordsNum = 12;
    c.damsm.epochs = 100;
  },
  /**
   * Sized for 2 CPU cores and about half an hour end to end on the built-in OpenMoji set:
   * two stages (64 and 128 px), narrow networks, short DAMSM and STREAM pretraining with the
   * compact from-scratch encoders, the official CUB λ = 10, one version of each person emoji
   * (colours and shapes, not skin tones, fill the batches) and a warmed-up moving average.
   * Unlike the official MirrorGAN (LAMBDA 0) it keeps AttnGAN's DAMSM term on G at λ = 5 (CUB):
   * in 2,000 iterations it took the colour probes from 9 to 17 of 24 right by the mean-colour
   * measure that preceded `mirrorgan probe` (see the README).
   */
  cpu: (c) => {
    c.dataset.name = 'openmoji';
    c.dataset.skinTones = 'base';
    c.tree.branchNum = 2;
    Object.assign(c.gan, { gfDim: 8, dfDim: 16, rNum: 1 });
    Object.assign(c.train, {
      batchSize: 16, maxEpoch: 100, maxIterations: 2000, snapshotInterval: 250, sampleInterval: 200, streamWeight: 10, damsmWeight: 5, emaWarmup: true,
    });
    c.text.wordsNum = 12;
    Object.assign(c.damsm, { epochs: 14, batchSize: 48, imageEncoder: 'compact', imageSize: 64 });
    Object.assign(c.stream, { epochs: 10, batchSize: 48, hiddenSize: 128, encoder: 'compact', imageSize: 64 });
  },
};

/** The preset called `name`; an own property only, so `toString` or `__proto__` are no presets. */
export function presetNamed(name: unknown): (c: MirrorGANConfig) => void {
  if (typeof name !== 'string' || !Object.hasOwn(PRESETS, name)) throw invalidArg('preset', `one of ${Object.keys(PRESETS).join(', ')}`, name);
  return PRESETS[name] as (c: MirrorGANConfig) => void;
}

/**
 * Our key for `key`, given as ours (`train.batchSize`), official (`TRAIN.BATCH_SIZE`) or former
 * (`train.lambda1`); null for an upstream field that is accepted and ignored and for a retired
 * key of ours. Unknown keys throw.
 */
export function fieldKey(key: string): string | null {
  if (IGNORED_OFFICIAL.has(key) || RETIRED_KEYS.has(key)) return null;
  return fieldOf(ourKey(key)).key;
}

function getPath(obj: Record<string, unknown>, key: string): unknown {
  return key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], obj);
}

function setPath(obj: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let o = obj;
  for (const p of parts.slice(0, -1)) o = o[p] as Record<string, unknown>;
  o[parts[parts.length - 1]] = value;
}

function fieldOf(key: string): Field {
  const f = FIELDS.find((x) => x.key === key);
  if (!f) throw new MirrorganError('ERR_INVALID_ARG', `Unknown config field '${key}' (known: ${FIELDS.map((x) => x.key).join(', ')})`);
  return f;
}

/** What a field accepts, in the words of the error sentences. */
function expectedOf(f: Field): string {
  if (f.kind === 'int') return `an integer between ${f.min} and ${f.max}`;
  if (f.kind === 'number') return `a number between ${f.min} and ${f.max}`;
  if (f.kind === 'bool') return 'true or false';
  if (f.kind === 'enum') return `one of ${f.values!.join(', ')}`;
  return 'a string';
}

/** Whether `v` (already of the field's JS type) is allowed: the one range check of every field. */
function allowed(f: Field, v: unknown): boolean {
  if (f.kind === 'int' || f.kind === 'number') {
    return typeof v === 'number' && Number.isFinite(v) && (f.kind === 'number' || Number.isInteger(v)) && v >= f.min! && v <= f.max!;
  }
  if (f.kind === 'bool') return typeof v === 'boolean';
  if (f.kind === 'enum') return typeof v === 'string' && f.values!.includes(v);
  return typeof v === 'string';
}

/** Parses and range-checks one value for `key` (strings from the command line are converted). */
export function coerce(key: string, value: unknown): unknown {
  const f = fieldOf(key);
  let v = value;
  if ((f.kind === 'int' || f.kind === 'number') && typeof v === 'string' && v.trim() !== '') v = Number(v);
  if (f.kind === 'bool' && (v === 'true' || v === 'false')) v = v === 'true';
  if (!allowed(f, v)) throw invalidArg(key, expectedOf(f), value);
  return key === 'dataset.name' && v === 'birds' ? 'cub' : v;  // upstream's DATASET_NAME
}

/**
 * Checks the module option `name` against the range of the config key it is set from, so a
 * library caller building `new Generator({ gfDim })` meets the same limits as `--set gan.gfDim=`
 * (no string conversion: options are typed values). The error names the option.
 */
export function checkSetting(name: string, key: string, value: unknown): void {
  const f = fieldOf(key);
  if (!allowed(f, value)) throw invalidArg(name, expectedOf(f), value);
}

/** Sets one field, by our key (`train.batchSize`) or the official one (`TRAIN.BATCH_SIZE`). */
export function setField(config: MirrorGANConfig, key: string, value: unknown): boolean {
  if (IGNORED_OFFICIAL.has(key) || RETIRED_KEYS.has(key)) return false;
  const ours = ourKey(key);
  setPath(config as unknown as Record<string, unknown>, ours, coerce(ours, value));
  return true;
}

/** Reads one field. */
export function getField(config: MirrorGANConfig, key: string): unknown {
  return getPath(config as unknown as Record<string, unknown>, ourKey(key));
}

/** The probe captions of `train.sampleCaptions` ('' = `datasetDefault`, 'none' = none). */
export function sampleCaptionsOf(train: MirrorGANConfig['train'], datasetDefault: readonly string[] = []): string[] {
  const v = (train.sampleCaptions ?? '').trim();
  if (v === '') return [...datasetDefault];
  if (v === 'none') return [];
  const caps = v.split('|').map((x) => x.trim()).filter((x) => x.length > 0);
  if (caps.length > 8) throw invalidArg('train.sampleCaptions', "at most 8 captions separated by '|'", v);
  return caps;
}

/** The OpenMoji scan options a configuration asks for (undefined = the whole set). */
export function openMojiOptionsOf(d: MirrorGANConfig['dataset']): OpenMojiOptions | undefined {
  const skinTones = d.skinTones ?? 'all';
  if (d.name !== 'openmoji') return undefined;
  return { ...(d.limit ? { limit: d.limit } : {}), ...(skinTones !== 'all' ? { skinTones } : {}), attributeCaptions: d.attributeCaptions ?? true, ...(d.recolour ? { recolour: d.recolour } : {}) };
}

/** Side of the generator's last stage (64 · 2^(branchNum − 1)): the samples' size. */
export function finalImageSizeOf(c: MirrorGANConfig): number {
  return c.tree.baseSize * 2 ** (c.tree.branchNum - 1);
}

/** The largest image size a run's data pipeline loads (what its image cache is built for). */
export function datasetImageSizeOf(c: MirrorGANConfig): number {
  return Math.max(finalImageSizeOf(c), c.damsm.imageEncoder === 'compact' ? c.damsm.imageSize : 0, c.stream.encoder === 'compact' ? c.stream.imageSize : 0);
}

/** Cross-field checks that no single range can express. */
export function validate(config: MirrorGANConfig): MirrorGANConfig {
  for (const f of FIELDS) coerce(f.key, getPath(config as unknown as Record<string, unknown>, f.key));
  if (config.dataset.name !== 'openmoji' && !config.dataset.root) {
    throw new MirrorganError('ERR_INVALID_ARG', `dataset.root (DATA_DIR) is required for dataset.name '${config.dataset.name}'`);
  }
  // RNN_ENCODER gives each direction of its bidirectional LSTM half of TEXT.EMBEDDING_DIM.
  if (config.text.embeddingDim % 2 !== 0) throw invalidArg('text.embeddingDim', 'an even integer (the text encoder splits it over two directions)', config.text.embeddingDim);
  return config;
}
