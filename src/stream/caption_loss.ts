// SPDX-License-Identifier: MIT
/**
 * The STREAM text-reconstruction loss L_stream, unweighted. The official code (MirrorGAN
 * miscc/losses.py) takes the plain cross entropy averaged over every packed token of the batch;
 * the paper writes L_stream = -sum_t log p_t(T_t), a sum over the caption's tokens.
 * `reduction: 'sum'` gives the paper's form, summed over each caption's tokens and averaged over
 * the captions of the batch. Its weight in G's loss (λ, TRAIN.SMOOTH.LAMBDA1) is applied where
 * that loss is summed: src/train/generator_loss.ts.
 */
import { invalidArg } from '../../lib/errors.js';
import { callNative } from '../../lib/module.js';
import type { Tensor } from '../../lib/tensor.js';
import { CAPTION_LOSS_KEYS, withSchemaDefaults } from '../config/module_options.js';
import type { MirrorGANConfig } from '../config/schema.js';
import type { TeacherForcing } from './caption_decoder.js';

/** Token mean (official code) or per-caption token sum (paper). */
export type CaptionReduction = MirrorGANConfig['train']['streamReduction'];

/** Options of {@link captionLoss}. */
export interface CaptionLossOptions {
  /** `train.streamReduction` (its default: 'mean', the official code's). */
  reduction?: CaptionReduction;
}

/** What {@link captionLoss} returns. */
export interface CaptionLossResult {
  /** Scalar cross entropy under the chosen reduction. */
  loss: Tensor;
}

/** Validates {@link CaptionLossOptions}. @private */
export function resolveCaptionLossOptions(options: CaptionLossOptions): Required<CaptionLossOptions> {
  const o = withSchemaDefaults(options, CAPTION_LOSS_KEYS);
  return { reduction: o.reduction! };
}

/** Cross entropy of teacher-forced logits against their packed targets. */
export function captionLoss(forced: TeacherForcing, options: CaptionLossOptions = {}): CaptionLossResult {
  if (!forced || typeof forced !== 'object') throw invalidArg('forced', 'the result of CaptionDecoder.teacherForce', forced);
  const o = resolveCaptionLossOptions(options);
  const out = callNative('caption_loss', { logits: forced.logits, targets: forced.targets, lengths: forced.lengths }, o);
  return { loss: out.loss as Tensor };
}
