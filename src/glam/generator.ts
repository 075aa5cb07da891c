// SPDX-License-Identifier: MIT
/**
 * GLAM generator (official `G_NET`): conditioning augmentation, stage 1 at 64 px, then one
 * attention stage per doubling (word-level + sentence-level attention). State-dict keys equal
 * the official ones (105 keys / 7,105,392 parameters at the birds config).
 */
import { Module, type ForwardOptions } from '../../lib/module.js';
import type { Tensor } from '../../lib/tensor.js';
import { GENERATOR_KEYS, withSchemaDefaults } from '../config/module_options.js';
import type { MirrorGANConfig } from '../config/schema.js';

/**
 * G_NET's options. Each one is set from a config key (`generatorOptions(config)` in
 * src/config/module_options.ts); one left out takes that key's default and range from the
 * config schema (the official CUB values: GF_DIM 32, 3 stages, ...).
 */
export interface GeneratorOptions {
  /** GAN.GF_DIM (`gan.gfDim`). */
  gfDim?: number;
  /** TEXT.EMBEDDING_DIM of the text encoder (`text.embeddingDim`). */
  efDim?: number;
  /** GAN.CONDITION_DIM (`gan.conditionDim`). */
  cDim?: number;
  /** GAN.Z_DIM (`gan.zDim`). */
  zDim?: number;
  /** GAN.R_NUM residual blocks in stages 2 and 3 (`gan.rNum`). */
  rNum?: number;
  /** TREE.BRANCH_NUM stages: 1 (64 px), 2 (64, 128) or 3 (64, 128, 256) (`tree.branchNum`). */
  branchNum?: number;
  /** 'official' (code), 'paper' (no 1x1 conv before the softmax), 'off' (GLAM ablation) (`gan.sentenceAttention`). */
  sentenceAttention?: MirrorGANConfig['gan']['sentenceAttention'];
  /** 'official' (AttnGAN's tiling quirk, for parity) or 'fixed' (`gan.maskTiling`). */
  maskTiling?: MirrorGANConfig['gan']['maskTiling'];
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
    const given = withSchemaDefaults(options, GENERATOR_KEYS) as Required<GeneratorOptions>;
    const o = Object.fromEntries(Object.keys(GENERATOR_KEYS).map((k) => [k, given[k as keyof GeneratorOptions]])) as Required<GeneratorOptions>;
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
