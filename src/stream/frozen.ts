// SPDX-License-Identifier: MIT
/**
 * The captioner as MirrorGAN training uses it (reference §4 "Frozen use"): the last-stage fake
 * image is encoded (resized and normalised inside the encoder), the decoder is teacher-forced
 * with the very captions fed to STEM, and the cross entropy regularises G. The captioner never
 * changes: every parameter has requires_grad off, the encoder stays in eval mode (BatchNorm on
 * running statistics, never updated), so the gradient reaches the input images only.
 *
 * ```ts
 * const stream = frozenCaptioner(await loadCaptioner('runs/stream', { vocabulary: stemVocab }));
 * const { loss } = stream.loss(fakeImages, captions, capLens);  // L_stream: weighted by λ in G's loss
 * ```
 */
import { invalidArg } from '../../lib/errors.js';
import { tidy, type Tensor } from '../../lib/tensor.js';
import type { Vocabulary } from '../text/vocabulary.js';
import { CaptionDecoder, decodeCaptions, type BeamOptions } from './caption_decoder.js';
import { CaptionEncoder } from './caption_encoder.js';
import { captionLoss, resolveCaptionLossOptions, type CaptionLossOptions, type CaptionLossResult } from './caption_loss.js';

/** A frozen captioner (see {@link frozenCaptioner}). */
export interface FrozenCaptioner {
  readonly encoder: CaptionEncoder;
  readonly decoder: CaptionDecoder;
  /**
   * The STREAM loss of generated images against their captions, unweighted (G's loss applies
   * λ, see src/train/generator_loss.ts). Differentiable w.r.t. `images` only. Default: token
   * mean (`reduction: 'sum'` for the paper's form).
   * @param images (B, 3, H, W) in [-1, 1] (e.g. the last stage of G).
   * @param captions (B, L) int64, the captions fed to STEM; capLens (B,) int64, non-increasing.
   */
  loss(images: Tensor, captions: Tensor, capLens: Tensor, options?: CaptionLossOptions): CaptionLossResult;
  /** Captions of images as strings (greedy, or beam search with `beamSize` > 1); no gradient. */
  describe(images: Tensor, vocabulary: Vocabulary, options?: BeamOptions): string[];
}

/**
 * Freezes a captioner for use inside MirrorGAN training: `setRequiresGrad(false)` on both
 * modules, the encoder in eval mode (re-asserted at every call, so a trainer that switches all
 * its modules to train mode cannot make the BatchNorms drift). The decoder has no
 * mode-dependent layer (the official code leaves it in train mode; same thing). Gradients left
 * on the parameters from earlier training are dropped.
 */
export function frozenCaptioner(captioner: { encoder: CaptionEncoder; decoder: CaptionDecoder }): FrozenCaptioner {
  const { encoder, decoder } = captioner ?? {};
  if (!(encoder instanceof CaptionEncoder)) throw invalidArg('captioner.encoder', 'a CaptionEncoder', encoder);
  if (!(decoder instanceof CaptionDecoder)) throw invalidArg('captioner.decoder', 'a CaptionDecoder', decoder);
  if (encoder.options.embedSize !== decoder.options.embedSize) {
    throw invalidArg('captioner.decoder.embedSize', `the encoder's embedSize ${encoder.options.embedSize}`, decoder.options.embedSize);
  }
  const freeze = (): void => {
    encoder.eval();
    encoder.setRequiresGrad(false);
    decoder.setRequiresGrad(false);
  };
  freeze();
  encoder.zeroGrad();  // drop gradients left from pretraining: a frozen captioner holds none
  decoder.zeroGrad();
  return {
    encoder,
    decoder,
    loss(images, captions, capLens, options = {}) {
      const o = resolveCaptionLossOptions(options);
      freeze();
      return tidy(() => {
        const features = encoder.encode(images);
        return captionLoss(decoder.teacherForce(features, captions, capLens), o);
      });
    },
    describe(images, vocabulary, options = {}) {
      freeze();
      return tidy(() => {
        const features = encoder.encode(images, { grad: false });
        const beamSize = options.beamSize ?? 1;
        return decodeCaptions(beamSize > 1 ? decoder.beam(features, options) : decoder.greedy(features, options), vocabulary);
      });
    },
  };
}
