// SPDX-License-Identifier: MIT
/**
 * The noise of one generated sample, from its seed alone: z (`gan.zDim`) and CA_NET's ε
 * (`gan.conditionDim`), standard normal draws of the project's seeded generator
 * (src/util/rng.ts, sfc32) through Box–Muller. Drawn in JS rather than by LibTorch's global
 * generator so that a sample's noise depends on nothing but its seed: not on the batch it is
 * generated in, the device, the thread count, nor on other code reseeding LibTorch.
 */
import { checkInt } from '../../lib/errors.js';
import { Rng } from '../util/rng.js';

/** Largest seed: the generator mixes 32 bits of it (deriveSeed). */
export const MAX_SEED = 2 ** 32 - 1;

/** z and ε of one sample. */
export interface SampleNoise {
  /** (zDim) noise of G_NET's first stage. */
  z: Float32Array;
  /** (cDim) conditioning-augmentation noise (c = μ + σ·ε). */
  eps: Float32Array;
}

/** Refuses a seed that is not an integer in [0, MAX_SEED - count + 1] (samples take seed, seed + 1, ...). */
export function checkSeed(name: string, seed: unknown, count = 1): number {
  return checkInt(name, seed, 0, MAX_SEED - count + 1);
}

/** Fills `out` with N(0, 1) draws of `rng` (Box–Muller, both values of each pair used). */
function fillNormal(rng: Rng, out: Float32Array): Float32Array {
  for (let i = 0; i < out.length; i += 2) {
    const u1 = 1 - rng.next();  // (0, 1]: log stays finite
    const u2 = rng.next();
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

/** The noise of the sample with `seed`: z first, then ε, from one stream. */
export function sampleNoise(seed: number, zDim: number, cDim: number): SampleNoise {
  const rng = new Rng(checkSeed('seed', seed));
  return { z: fillNormal(rng, new Float32Array(zDim)), eps: fillNormal(rng, new Float32Array(cDim)) };
}

/**
 * Spherical interpolation between two Gaussian noise vectors (the usual path between GAN
 * latents: points along it keep the norm a Gaussian sample has, where a straight line would pass
 * through low-norm vectors the generator never saw). Falls back to a straight line for
 * (nearly) parallel vectors.
 */
export function slerp(a: Float32Array, b: Float32Array, t: number): Float32Array {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += (a[i] as number) * (b[i] as number);
    na += (a[i] as number) ** 2;
    nb += (b[i] as number) ** 2;
  }
  const cos = Math.min(1, Math.max(-1, dot / (Math.sqrt(na * nb) || 1)));
  const omega = Math.acos(cos);
  const out = new Float32Array(a.length);
  const sin = Math.sin(omega);
  const [wa, wb] = sin < 1e-6 ? [1 - t, t] : [Math.sin((1 - t) * omega) / sin, Math.sin(t * omega) / sin];
  for (let i = 0; i < a.length; i++) out[i] = wa * (a[i] as number) + wb * (b[i] as number);
  return out;
}

/** Straight-line interpolation (text features, whose scale the text encoder sets). */
export function lerp(a: Float32Array, b: Float32Array, t: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (1 - t) * (a[i] as number) + t * (b[i] as number);
  return out;
}
