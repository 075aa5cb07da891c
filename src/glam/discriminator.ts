// SPDX-License-Identifier: MIT
/**
 * Discriminators D_NET64 / D_NET128 / D_NET256 with the official losses: `dLoss` is
 * miscc/losses.py discriminator_loss (real, fake and mismatched-caption terms), `gLoss` the
 * generator-side adversarial term of one stage.
 */
import { invalidArg } from '../../lib/errors.js';
import { Module } from '../../lib/module.js';
import type { Tensor } from '../../lib/tensor.js';
import { DISCRIMINATOR_KEYS, withSchemaDefaults } from '../config/module_options.js';

/**
 * A discriminator's options (`discriminatorOptions(config, size)` in src/config/module_options.ts);
 * `dfDim` and `efDim` left out take their config key's default and range from the schema.
 */
export interface DiscriminatorOptions {
  /** Image size this discriminator judges: 64, 128 or 256. */
  size: number;
  /** GAN.DF_DIM (`gan.dfDim`). */
  dfDim?: number;
  /** Sentence feature width, TEXT.EMBEDDING_DIM (`text.embeddingDim`). */
  efDim?: number;
  /** With the unconditional head (b_jcu, MirrorGAN model.py D_NET*). Default true. */
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
    const o = withSchemaDefaults(options, DISCRIMINATOR_KEYS);
    if (o.bJcu !== undefined && typeof o.bJcu !== 'boolean') throw invalidArg('bJcu', 'a boolean', o.bJcu);
    super(`D_NET${options.size}`, { dfDim: o.dfDim, efDim: o.efDim, bJcu: o.bJcu ?? true });
    this.size = options.size;
  }

  /**
   * The discriminator loss on detached fakes (runs on a worker thread). The mismatched-caption
   * term pairs real image k with sentence k+1 of the batch, as the official code does.
   */
  async dLoss(real: Tensor, fake: Tensor, sentEmb: Tensor): Promise<DiscriminatorLoss> {
    const out = await this.callAsync('d_loss', { real, fake, sent_emb: sentEmb });
    return { errD: out.errD, parts: out };
  }

  /** BCE(uncond(fake), 1) + BCE(cond(fake, s), 1), differentiable w.r.t. the fake images. */
  async gLoss(fake: Tensor, sentEmb: Tensor): Promise<{ loss: Tensor; parts: Record<string, Tensor> }> {
    const out = await this.callAsync('g_loss', { fake, sent_emb: sentEmb });
    return { loss: out.g_loss, parts: out };
  }
}
