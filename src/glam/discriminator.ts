// SPDX-License-Identifier: MIT
/**
 * Discriminators D_NET64 / D_NET128 / D_NET256 with the official losses: `dLoss` is
 * miscc/losses.py discriminator_loss (real, fake and mismatched-caption terms), `gLoss` the
 * generator-side adversarial term of one stage.
 */
import { invalidArg } from '../../lib/errors.js';
import { Module } from '../../lib/module.js';
import type { Tensor } from '../../lib/tensor.js';

export interface DiscriminatorOptions {
  /** Image size this discriminator judges: 64, 128 or 256. */
  size: number;
  /** GAN.DF_DIM. Default 64. */
  dfDim?: number;
  /** Sentence feature width. Default 256. */
  efDim?: number;
  /** With the unconditional head (b_jcu). Default true. */
  bJcu?: boolean;
}

export interface DiscriminatorLoss {
  /** (uncond_real + cond_real)/2 + (uncond_fake + cond_fake + cond_wrong)/3. */
  errD: Tensor;
  parts: Record<string, Tensor>;
}

export class Discriminator extends Module {
  readonly size: number;

  constructor(options: DiscriminatorOptions) {
    if (![64, 128, 256].includes(options?.size)) throw invalidArg('size', '64, 128 or 256', options?.size);
    super(`D_NET${options.size}`, { dfDim: options.dfDim ?? 64, efDim: options.efDim ?? 256, bJcu: options.bJcu ?? true });
    this.size = options.size;
  }

  /**
   * The discriminator loss on detached fakes (runs on a worker thread). The mismatched-caption
   * term pairs real image k with sentence k+1 (official) or, given `wrongSentEmb` (B, efDim),
   * with row k of it: a caption the loader chose for that image (see `train.mismatch`).
   */
  async dLoss(real: Tensor, fake: Tensor, sentEmb: Tensor, wrongSentEmb?: Tensor): Promise<DiscriminatorLoss> {
    const out = await this.callAsync('d_loss', { real, fake, sent_emb: sentEmb, ...(wrongSentEmb ? { wrong_sent_emb: wrongSentEmb } : {}) });
    return { errD: out.errD, parts: out };
  }

  /** BCE(uncond(fake), 1) + BCE(cond(fake, s), 1), differentiable w.r.t. the fake images. */
  async gLoss(fake: Tensor, sentEmb: Tensor): Promise<{ loss: Tensor; parts: Record<string, Tensor> }> {
    const out = await this.callAsync('g_loss', { fake, sent_emb: sentEmb });
    return { loss: out.g_loss, parts: out };
  }
}
