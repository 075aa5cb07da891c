// SPDX-License-Identifier: MIT
/**
 * MirrorGAN's generator loss, written once and the way the paper writes it (the paper's
 * L_G = Σ_i L_G_i + λ L_stream, with the terms the official code keeps from AttnGAN: CA_NET's KL,
 * and the DAMSM term that MirrorGAN's miscc/losses.py switches off with TRAIN.SMOOTH.LAMBDA = 0):
 *
 *   L_G = Σ_i L_G_i^adv + λ_stream · L_stream + L_KL + λ_damsm · L_damsm
 *
 * - L_G_i^adv: stage i's adversarial term, unconditional + conditional (miscc/losses.py
 *   generator_loss), from that stage's discriminator;
 * - L_stream: STREAM's caption cross entropy on the last stage's fakes, unweighted;
 *   λ_stream = `train.streamWeight` (official TRAIN.SMOOTH.LAMBDA1);
 * - L_KL: CA_NET's KL term (conditioning augmentation);
 * - L_damsm: AttnGAN's DAMSM word + sentence loss on the last stage, unweighted;
 *   λ_damsm = `train.damsmWeight` (official TRAIN.SMOOTH.LAMBDA; 0 in MirrorGAN).
 *
 * Both weights are applied here and nowhere else. A weighted term is given as a function and is
 * computed only when its weight is above 0 (λ_stream = 0 never runs the captioner).
 */
import { invalidArg } from '../../lib/errors.js';
import { tidy, type Tensor } from '../../lib/tensor.js';
import type { MirrorGANConfig } from '../config/schema.js';

/** The terms of L_G, by what they are. */
export interface GeneratorLossTerms {
  /** L_G_i^adv of each stage i (scalars), in stage order. */
  adversarial: readonly Tensor[];
  /** L_KL (scalar). */
  kl: Tensor;
  /** Computes the unweighted L_stream (scalar); omitted = no captioner (AttnGAN-style G). */
  stream?: () => Promise<Tensor>;
  /** Computes the unweighted L_damsm (scalar); omitted = no DAMSM image encoder. */
  damsm?: () => Promise<Tensor>;
}

/** The weights of L_G's weighted terms. */
export interface GeneratorLossWeights {
  /** λ_stream, `train.streamWeight` (TRAIN.SMOOTH.LAMBDA1). */
  stream: number;
  /** λ_damsm, `train.damsmWeight` (TRAIN.SMOOTH.LAMBDA). */
  damsm: number;
}

/** L_G and each of its terms as it entered the sum. */
export interface GeneratorLoss {
  /** L_G (scalar), the value to back-propagate. */
  total: Tensor;
  /**
   * The summands, weights applied, in summation order: `G_adv0`, `G_adv1`, ..., `KL`, then
   * `STREAM` (λ_stream · L_stream) and `DAMSM` (λ_damsm · L_damsm) where computed. The
   * adversarial and KL tensors are the caller's own; the weighted ones are new (the caller
   * disposes them with `total`).
   */
  terms: Record<string, Tensor>;
}

/** The weights of `config`. */
export function generatorLossWeights(config: MirrorGANConfig): GeneratorLossWeights {
  return { stream: config.train.streamWeight, damsm: config.train.damsmWeight };
}

function checkWeight(name: string, w: unknown): void {
  if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) throw invalidArg(name, 'a finite number >= 0', w);
}

/** λ · L for a term computed on demand; the unweighted tensor is released. */
async function weighted(term: () => Promise<Tensor>, weight: number): Promise<Tensor> {
  const raw = await term();
  try {
    return raw.mul(weight);
  } finally {
    raw.dispose();
  }
}

/** L_G from its terms (see the file comment). */
export async function generatorLoss(terms: GeneratorLossTerms, weights: GeneratorLossWeights): Promise<GeneratorLoss> {
  if (!terms || !Array.isArray(terms.adversarial) || terms.adversarial.length === 0) {
    throw invalidArg('terms.adversarial', 'one adversarial term per stage', terms?.adversarial);
  }
  checkWeight('weights.stream', weights?.stream);
  checkWeight('weights.damsm', weights?.damsm);
  const summands: Record<string, Tensor> = {};
  terms.adversarial.forEach((t, i) => (summands[`G_adv${i}`] = t));
  summands.KL = terms.kl;
  try {
    if (terms.stream && weights.stream > 0) summands.STREAM = await weighted(terms.stream, weights.stream);
    if (terms.damsm && weights.damsm > 0) summands.DAMSM = await weighted(terms.damsm, weights.damsm);
  } catch (e) {
    summands.STREAM?.dispose();
    throw e;
  }
  const total = tidy(() => Object.values(summands).reduce((sum, t) => sum.add(t)));
  return { total, terms: summands };
}
