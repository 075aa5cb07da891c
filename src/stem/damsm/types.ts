// SPDX-License-Identifier: MIT
/** The options, reports, records and state file of DAMSM pretraining (see ../pretrain_damsm.ts). */
import type { MirrorGANConfig } from '../../config/schema.js';
import type { LoadDatasetOptions, LoadedDataset } from '../../data/dataset.js';
import type { DataLogger } from '../../data/report.js';
import type { CompactImageEncoderOptions } from '../image_encoder.js';
import type { TextEncoderOptions } from '../text_encoder.js';

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
