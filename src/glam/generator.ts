// SPDX-License-Identifier: MIT
/**
 * GLAM generator (official `G_NET`): conditioning augmentation, stage 1 at 64 px, then one
 * attention stage per doubling (word-level + sentence-level attention). State-dict keys equal
 * the official ones (105 keys / 7,105,392 parameters at the birds config).
 */
import { invalidArg } from '../../lib/errors.js';
import { Module, type ForwardOptions } from '../../lib/module.js';
import type { Tensor } from '../../lib/tensor.js';

export interface GeneratorOptions {
  /** GAN.GF_DIM. Default 32. */
  gfDim?: number;
  /** TEXT.EMBEDDING_DIM of the text encoder. Default 256. */
  efDim?: number;
  /** GAN.CONDITION_DIM. Default 100. */
  cDim?: number;
  /** GAN.Z_DIM. Default 100. */
  zDim?: number;
  /** GAN.R_NUM residual blocks in stages 2 and 3. Default 2. */
  rNum?: number;
  /** Stages: 1 (64 px), 2 (64, 128) or 3 (64, 128, 256). Default 3. */
  branchNum?: number;
  /** 'official' (code), 'paper' (no 1x1 conv before the softmax), 'off' (GLAM ablation). Default 'official'. */
  sentenceAttention?: 'official' | 'paper' | 'off';
  /** 'official' (AttnGAN's tiling quirk, for parity) or 'fixed'. Default 'official'. */
  maskTiling?: 'official' | 'fixed';
}

export interface GeneratorInputs {
  /** (B, zDim) noise. */
  z: Tensor;
  /** (B, efDim) sentence feature. */
  sentEmb: Tensor;
  /** (B, efDim, T) word features (stages 2 and 3). */
  wordsEmb?: Tensor;
  /** (B, T) bool, true at padding. */
  mask?: Tensor;
  /** (B, cDim) CA noise; drawn from LibTorch's generator when omitted. */
  eps?: Tensor;
}

export interface GeneratorOutputs {
  /** One image per stage, (B, 3, 64·2^i, 64·2^i) in [-1, 1]. */
  images: Tensor[];
  /** Word attention of stages 2.. : (B, T, H, W). */
  attention: Tensor[];
  cCode: Tensor;
  mu: Tensor;
  logvar: Tensor;
}

export class Generator extends Module {
  readonly options: Required<GeneratorOptions>;

  constructor(options: GeneratorOptions = {}) {
    const o: Required<GeneratorOptions> = {
      gfDim: options.gfDim ?? 32, efDim: options.efDim ?? 256, cDim: options.cDim ?? 100, zDim: options.zDim ?? 100,
      rNum: options.rNum ?? 2, branchNum: options.branchNum ?? 3,
      sentenceAttention: options.sentenceAttention ?? 'official', maskTiling: options.maskTiling ?? 'official',
    };
    if (![1, 2, 3].includes(o.branchNum)) throw invalidArg('branchNum', '1, 2 or 3', o.branchNum);
    super('G_NET', { ...o });
    this.options = o;
  }

  /** Image sizes of the stages, e.g. [64, 128, 256]. */
  get sizes(): number[] {
    return Array.from({ length: this.options.branchNum }, (_, i) => 64 * 2 ** i);
  }

  private static record(x: GeneratorInputs): Record<string, Tensor> {
    const r: Record<string, Tensor> = { z: x.z, sent_emb: x.sentEmb };
    if (x.wordsEmb) r.words_emb = x.wordsEmb;
    if (x.mask) r.mask = x.mask;
    if (x.eps) r.eps = x.eps;
    return r;
  }

  private unpack(out: Record<string, Tensor>): GeneratorOutputs {
    return {
      images: this.sizes.map((s) => out[`fake_${s}`]),
      attention: this.sizes.slice(1).map((_, i) => out[`att_stage${i + 2}`]),
      cCode: out.c_code,
      mu: out.mu,
      logvar: out.logvar,
    };
  }

  generate(inputs: GeneratorInputs, options: ForwardOptions = {}): GeneratorOutputs {
    return this.unpack(this.forward(Generator.record(inputs), options));
  }

  async generateAsync(inputs: GeneratorInputs, options: ForwardOptions = {}): Promise<GeneratorOutputs> {
    return this.unpack(await this.forwardAsync(Generator.record(inputs), options));
  }
}
