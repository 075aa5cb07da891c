// SPDX-License-Identifier: MIT
/**
 * DAMSM matching losses (AttnGAN/MirrorGAN `words_loss` and `sent_loss`), computed natively.
 * In every B x B score matrix rows index images and columns captions; pair (k, k) is the match.
 *
 * The official code scores a caption against an image with R(Q, D) = log sum_i exp(gamma2 *
 * cos(c_i, e_i)); the AttnGAN paper divides that log by gamma2. The code form is the default
 * (it is what the released encoders were trained with); `paperForm: true` gives the paper's.
 */
import { invalidArg } from '../../lib/errors.js';
import { callNative, callNativeAsync, type TensorRecord } from '../../lib/module.js';
import type { Tensor } from '../../lib/tensor.js';
import { DAMSM_GAMMA_KEYS, withSchemaDefaults } from '../config/module_options.js';

/**
 * Options shared by both DAMSM losses (`damsmGammas(config)` in src/config/module_options.ts);
 * one left out takes the default of its config key (`train.gamma1..3`, the official ymls' values).
 */
export interface DamsmGammaOptions {
  /** Sharpness of the word -> region attention (TRAIN.SMOOTH.GAMMA1). */
  gamma1?: number;
  /** Aggregation of the word relevances into a caption-image score (TRAIN.SMOOTH.GAMMA2). */
  gamma2?: number;
  /** Scale of the B x B similarity matrices (TRAIN.SMOOTH.GAMMA3). */
  gamma3?: number;
}

/** Options of {@link damsmWordsLoss}. */
export interface DamsmWordsLossOptions extends DamsmGammaOptions {
  /** Use the AttnGAN paper's (1/gamma2) log sum exp form instead of the official code's. Default: false. */
  paperForm?: boolean;
  /** Also return the per-caption attention maps. Default: false. */
  attMaps?: boolean;
}

/** Inputs of {@link damsmWordsLoss}. */
export interface DamsmWordsLossInputs {
  /** (B, D, H, W) region features of the B images. */
  imgFeatures: Tensor;
  /** (B, D, T) word features of the B captions, T >= max(capLens). */
  wordsEmb: Tensor;
  /** (B,) int64 caption lengths; caption i uses words 0..capLens[i]-1. */
  capLens: Tensor;
  /** (B,) int64 class ids: pairs (i, j != i) of the same class are set to -inf. Omit for no masking. */
  classIds?: Tensor;
  /** (B,) int64 targets. Default: 0..B-1 (the official `labels`). */
  labels?: Tensor;
}

/** Result of {@link damsmWordsLoss}. */
export interface DamsmWordsLossResult {
  /** Scalar cross entropy over the rows (image -> caption). */
  loss0: Tensor;
  /** Scalar cross entropy over the columns (caption -> image). */
  loss1: Tensor;
  /** (B, B) gamma3-scaled scores, rows images, columns captions, before the class mask. */
  scores: Tensor;
  /** With `attMaps: true`: per caption i, (1, capLens[i], H, W) attention of its words over image i. */
  attMaps?: Tensor[];
}

/** Inputs of {@link damsmSentLoss}. */
export interface DamsmSentLossInputs {
  /** (B, D) global image codes. */
  cnnCode: Tensor;
  /** (B, D) sentence features. */
  sentEmb: Tensor;
  /** (B,) int64 class ids (same-class masking). Omit for no masking. */
  classIds?: Tensor;
  /** (B,) int64 targets. Default: 0..B-1. */
  labels?: Tensor;
}

/** Result of {@link damsmSentLoss}. */
export interface DamsmSentLossResult {
  loss0: Tensor;
  loss1: Tensor;
  /** (B, B) gamma3 * cosine(cnnCode[k], sentEmb[l]), before the class mask. */
  scores: Tensor;
}

function gammaOptions(o: DamsmGammaOptions): { gamma1: number; gamma2: number; gamma3: number } {
  const s = withSchemaDefaults(o, DAMSM_GAMMA_KEYS);
  const out = { gamma1: s.gamma1!, gamma2: s.gamma2!, gamma3: s.gamma3! };
  for (const [k, v] of Object.entries(out)) {
    if (!(v > 0)) throw invalidArg(k, 'a finite number > 0', v);  // the schema's range starts at 0
  }
  return out;
}

/** The optional `class_ids` / `labels` inputs, only where given. */
function optionalIds(inputs: { classIds?: Tensor; labels?: Tensor }): TensorRecord {
  const out: TensorRecord = {};
  if (inputs.classIds !== undefined) out.class_ids = inputs.classIds;
  if (inputs.labels !== undefined) out.labels = inputs.labels;
  return out;
}

function wordsCall(inputs: DamsmWordsLossInputs, options: DamsmWordsLossOptions): [TensorRecord, Record<string, number | boolean>] {
  if (!inputs || typeof inputs !== 'object') throw invalidArg('inputs', 'an object of tensors', inputs);
  const paperForm = options.paperForm ?? false;
  const attMaps = options.attMaps ?? false;
  if (typeof paperForm !== 'boolean') throw invalidArg('paperForm', 'a boolean', paperForm);
  if (typeof attMaps !== 'boolean') throw invalidArg('attMaps', 'a boolean', attMaps);
  return [
    { img_features: inputs.imgFeatures, words_emb: inputs.wordsEmb, cap_lens: inputs.capLens, ...optionalIds(inputs) },
    { ...gammaOptions(options), paperForm, attMaps },
  ];
}

function wordsResult(out: TensorRecord): DamsmWordsLossResult {
  const res: DamsmWordsLossResult = { loss0: out.loss0, loss1: out.loss1, scores: out.scores };
  const maps = Object.keys(out).filter((k) => k.startsWith('att_map.')).sort((a, b) => Number(a.slice(8)) - Number(b.slice(8)));
  if (maps.length) res.attMaps = maps.map((k) => out[k]);
  return res;
}

/** The DAMSM word loss (region-word attention matching), on the calling thread. */
export function damsmWordsLoss(inputs: DamsmWordsLossInputs, options: DamsmWordsLossOptions = {}): DamsmWordsLossResult {
  return wordsResult(callNative('damsm_words_loss', ...wordsCall(inputs, options)));
}

/** {@link damsmWordsLoss} on a worker thread. */
export async function damsmWordsLossAsync(inputs: DamsmWordsLossInputs, options: DamsmWordsLossOptions = {}): Promise<DamsmWordsLossResult> {
  return wordsResult(await callNativeAsync('damsm_words_loss', ...wordsCall(inputs, options)));
}

/** The DAMSM sentence loss (cosine of global image code and sentence feature). */
export function damsmSentLoss(inputs: DamsmSentLossInputs, options: DamsmGammaOptions = {}): DamsmSentLossResult {
  if (!inputs || typeof inputs !== 'object') throw invalidArg('inputs', 'an object of tensors', inputs);
  const out = callNative(
    'damsm_sent_loss',
    { cnn_code: inputs.cnnCode, sent_emb: inputs.sentEmb, ...optionalIds(inputs) },
    gammaOptions(options),
  );
  return { loss0: out.loss0, loss1: out.loss1, scores: out.scores };
}
