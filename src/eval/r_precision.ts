// SPDX-License-Identifier: MIT
/**
 * R-precision as DM-GAN computes it for AttnGAN/MirrorGAN (reference §7): for every generated
 * image, its own caption and `candidates - 1` captions of images of *other* classes are scored
 * by the cosine between the DAMSM global image code and the DAMSM sentence feature; a hit is
 * the true caption ranking first (R = 1). Reported as mean ± std over `groups` equal groups.
 */
import { invalidArg } from '../../lib/errors.js';
import { Rng } from '../util/rng.js';

export interface RPrecisionOptions {
  /** Candidates per query, the true caption included. Default: 100. */
  candidates?: number;
  /** Groups for mean ± std. Default: 10 (fewer when there are fewer queries). */
  groups?: number;
  seed?: number;
}

export interface RPrecisionResult {
  /** Mean top-1 R-precision over the groups, in [0, 1]. */
  mean: number;
  std: number;
  queries: number;
  /** Candidates actually used per query (fewer when the pool is small). */
  candidates: number;
  hits: number;
}

function normalise(x: Float32Array, n: number, d: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += x[i * d + k] ** 2;
    const inv = 1 / Math.max(Math.sqrt(s), 1e-8);
    for (let k = 0; k < d; k++) out[i * d + k] = x[i * d + k] * inv;
  }
  return out;
}

/**
 * @param imageCodes (N × d) global codes of the generated images.
 * @param sentCodes (M × d) sentence features of a caption pool.
 * @param truth (N) index into the pool of each image's own caption.
 * @param poolClasses (M) class of each pool caption's image; imageClasses (N) class of each image.
 */
export function rPrecision(
  imageCodes: Float32Array, sentCodes: Float32Array, d: number, truth: ArrayLike<number>,
  poolClasses: ArrayLike<number>, imageClasses: ArrayLike<number>, options: RPrecisionOptions = {},
): RPrecisionResult {
  const n = truth.length;
  const m = poolClasses.length;
  if (imageCodes.length !== n * d) throw invalidArg('imageCodes', `${n} x ${d} values`, imageCodes.length);
  if (sentCodes.length !== m * d) throw invalidArg('sentCodes', `${m} x ${d} values`, sentCodes.length);
  if (imageClasses.length !== n) throw invalidArg('imageClasses', `${n} classes`, imageClasses.length);
  const want = options.candidates ?? 100;
  const rng = new Rng(options.seed ?? 0);
  const img = normalise(imageCodes, n, d);
  const sent = normalise(sentCodes, m, d);
  const cos = (i: number, j: number) => {
    let s = 0;
    for (let k = 0; k < d; k++) s += img[i * d + k] * sent[j * d + k];
    return s;
  };
  const hit = new Uint8Array(n);
  let used = want;
  for (let i = 0; i < n; i++) {
    const others: number[] = [];
    for (let j = 0; j < m; j++) if (poolClasses[j] !== imageClasses[i]) others.push(j);
    // partial Fisher-Yates: want - 1 distinct mismatched captions
    const k = Math.min(want - 1, others.length);
    used = Math.min(used, k + 1);
    for (let a = 0; a < k; a++) {
      const b = a + rng.int(others.length - a);
      [others[a], others[b]] = [others[b], others[a]];
    }
    const own = cos(i, truth[i]);
    let best = true;
    for (let a = 0; a < k && best; a++) if (cos(i, others[a]) >= own) best = false;
    hit[i] = best ? 1 : 0;
  }
  const groups = Math.max(1, Math.min(options.groups ?? 10, n));
  const size = Math.floor(n / groups);
  const means: number[] = [];
  for (let g = 0; g < groups; g++) {
    let h = 0;
    for (let i = g * size; i < (g + 1) * size; i++) h += hit[i];
    means.push(h / Math.max(size, 1));
  }
  const mean = means.reduce((a, b) => a + b, 0) / means.length;
  const std = Math.sqrt(means.reduce((a, b) => a + (b - mean) ** 2, 0) / means.length);
  return { mean, std, queries: n, candidates: used, hits: hit.reduce((a, b) => a + b, 0) };
}
