// SPDX-License-Identifier: MIT
/**
 * The STREAM text-reconstruction loss. The official code (MirrorGAN miscc/losses.py) takes the
 * plain cross entropy averaged over every packed token of the batch, times LAMBDA1 (10 for CUB);
 * the paper writes L_stream = -sum_t log p_t(T_t), a sum over the caption's tokens, times lambda.
 * `reduction: 'sum'` gives the paper's form, summed over each caption's tokens and averaged over
 * the captions of the batch.
 */
import { invalidArg } from '../../lib/errors.js';
import { callNative } from '../../lib/module.js';
import type { Tensor } from '../../lib/tensor.js';
import type { TeacherForcing } from './caption_decoder.js';

/** Token mean (official code) or per-caption token sum (paper). */
export type CaptionReduction = 'mean' | 'sum';

/** Options of {@link captionLoss}. */
export interface CaptionLossOptions {
  /** Weight of the cross entropy (official TRAIN.SMOOTH.LAMBDA1: cfg default 1, CUB 10). Default: 1. */
  lambda?: number;
  /** Default: 'mean' (official). */
  reduction?: CaptionReduction;
}

/** What {@link captionLoss} returns. */
export interface CaptionLossResult {
  /** Scalar lambda x ce. */
  loss: Tensor;
  /** Scalar unweighted cross entropy under the chosen reduction. */
  ce: Tensor;
}

/** Validates {@link CaptionLossOptions}. @private */
export function resolveCaptionLossOptions(options: CaptionLossOptions): Required<CaptionLossOptions> {
  const lambda = options.lambda ?? 1;
  const reduction = options.reduction ?? 'mean';
  if (typeof lambda !== 'number' || !Number.isFinite(lambda) || lambda < 0) throw invalidArg('lambda', 'a finite number >= 0', lambda);
  if (reduction !== 'mean' && reduction !== 'sum') throw invalidArg('reduction', "'mean' or 'sum'", reduction);
  return { lambda, reduction };
}

/** Cross entropy of teacher-forced logits against their packed targets, weighted by lambda. */
export function captionLoss(forced: TeacherForcing, options: CaptionLossOptions = {}): CaptionLossResult {
  if (!forced || typeof forced !== 'object') throw invalidArg('forced', 'the result of CaptionDecoder.teacherForce', forced);
  const o = resolveCaptionLossOptions(options);
  const out = callNative('caption_loss', { logits: forced.logits, targets: forced.targets, lengths: forced.lengths }, o);
  return { loss: out.loss as Tensor, ce: out.ce as Tensor };
}
