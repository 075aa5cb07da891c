// SPDX-License-Identifier: MIT
/**
 * R-precision as DM-GAN computes it for AttnGAN / MirrorGAN (reference §7; DM-GAN code/trainer.py
 * `sampling`): for every generated image, its own caption and `candidates − 1` captions of images
 * of *other* classes are scored by the cosine between the DAMSM global image code and the DAMSM
 * sentence feature; the query is a hit at R = 1 when no candidate scores higher than the true
 * caption (DM-GAN's `argmax == 0`, which keeps the first of equal scores: ties count as hits).
 * Top-2 and top-3 count the true caption ranked within the first 2 or 3. The hits are shuffled
 * (seeded) and cut into `groups` equal groups (30,000 queries → 10 × 3,000); the score is the mean
 * and the population standard deviation (numpy's np.std) of the group means.
 *
 * Two departures, both documented in docs/evaluation.md: DM-GAN's group slices drop the last
 * query of each group (`R[i*3000:(i+1)*3000-1]`), here every query of a group counts; and the
 * mismatched captions are drawn without repetition (DM-GAN's `get_mis_caption` may repeat one).
 */
import { invalidArg } from '../../lib/errors.js';
import { Rng } from '../util/rng.js';

/** The published protocol's sizes. */
export const R_PRECISION_DEFAULTS = { candidates: 100, groups: 10, queries: 30_000, topK: [1, 2, 3] } as const;

export interface RPrecisionOptions {
  /** Candidates per query, the true caption included. Default 100. */
  candidates?: number;
  /** Groups for mean ± std. Default 10 (fewer when there are fewer queries). */
  groups?: number;
  /** The ranks reported (R-precision at 1, 2, 3). Default [1, 2, 3]. */
  topK?: readonly number[];
  /** Seeds the mismatched-caption draw and the shuffle before grouping. Default 0. */
  seed?: number;
}

/** Hits within the first k, as mean ± std over the groups (fractions in [0, 1]). */
export interface RPrecisionAtK {
  k: number;
  mean: number;
  std: number;
  /** Queries (in the groups) whose true caption ranked within the first k. */
  hits: number;
}

export interface RPrecisionResult {
  /** Top-1 R-precision: the mean over the groups, in [0, 1]. */
  mean: number;
  std: number;
  /** Top-1 hits of the queries in the groups. */
  hits: number;
  /** Every requested k (1 first). */
  topK: RPrecisionAtK[];
  /** Queries given. */
  queries: number;
  /** Queries in the groups: groups × ⌊queries / groups⌋ (the remainder after the shuffle is left out). */
  used: number;
  groups: number;
  /** Candidates per query (fewer than asked when the pool of other-class captions is small). */
  candidates: number;
}

/**
 * The grouped top-k rates from a score matrix: `scores` (queries × candidates, row-major) has the
 * true caption's score in column 0 and the mismatched captions' after it.
 */
export function rPrecisionOfScores(scores: ArrayLike<number>, queries: number, candidates: number, options: Omit<RPrecisionOptions, 'candidates'> = {}): RPrecisionResult {
  if (!Number.isInteger(queries) || queries < 1) throw invalidArg('queries', 'a positive integer', queries);
  if (!Number.isInteger(candidates) || candidates < 1) throw invalidArg('candidates', 'a positive integer', candidates);
  if (scores.length !== queries * candidates) throw invalidArg('scores', `${queries} x ${candidates} values`, scores.length);
  const topK = [...(options.topK ?? R_PRECISION_DEFAULTS.topK)];
  if (topK.length === 0 || topK.some((k) => !Number.isInteger(k) || k < 1)) throw invalidArg('topK', 'positive integers', topK.join(','));
  // rank[q]: candidates scoring strictly higher than the true caption.
  const rank = new Int32Array(queries);
  for (let q = 0; q < queries; q++) {
    const own = scores[q * candidates] as number;
    let higher = 0;
    for (let j = 1; j < candidates; j++) if ((scores[q * candidates + j] as number) > own) higher++;
    rank[q] = Number.isFinite(own) ? higher : candidates;
  }
  const groups = Math.max(1, Math.min(options.groups ?? R_PRECISION_DEFAULTS.groups, queries));
  const size = Math.floor(queries / groups);
  const order = new Rng(options.seed ?? 0).shuffle(Array.from({ length: queries }, (_, i) => i));
  const atK = topK.map((k): RPrecisionAtK => {
    const means: number[] = [];
    let hits = 0;
    for (let g = 0; g < groups; g++) {
      let h = 0;
      for (let i = g * size; i < (g + 1) * size; i++) if ((rank[order[i] as number] as number) < k) h++;
      hits += h;
      means.push(h / size);
    }
    const mean = means.reduce((a, b) => a + b, 0) / groups;
    const std = Math.sqrt(means.reduce((a, b) => a + (b - mean) ** 2, 0) / groups);
    return { k, mean, std, hits };
  });
  const top1 = atK.find((r) => r.k === 1) ?? atK[0]!;
  return { mean: top1.mean, std: top1.std, hits: top1.hits, topK: atK, queries, used: groups * size, groups, candidates };
}

function normalise(x: ArrayLike<number>, n: number, d: number): Float64Array {
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += (x[i * d + k] as number) ** 2;
    // DM-GAN: scores / (|a| |b|).clamp(min=1e-8)
    const inv = 1 / Math.max(Math.sqrt(s), 1e-8);
    for (let k = 0; k < d; k++) out[i * d + k] = (x[i * d + k] as number) * inv;
  }
  return out;
}

/**
 * R-precision of generated images against a caption pool.
 * @param imageCodes (N × d) DAMSM global codes of the generated images.
 * @param sentCodes (M × d) DAMSM sentence features of the caption pool.
 * @param truth (N) index into the pool of each image's own caption.
 * @param poolClasses (M) class of each pool caption's image; imageClasses (N) class of each image.
 */
export function rPrecision(
  imageCodes: ArrayLike<number>, sentCodes: ArrayLike<number>, d: number, truth: ArrayLike<number>,
  poolClasses: ArrayLike<number>, imageClasses: ArrayLike<number>, options: RPrecisionOptions = {},
): RPrecisionResult {
  const n = truth.length;
  const m = poolClasses.length;
  if (imageCodes.length !== n * d) throw invalidArg('imageCodes', `${n} x ${d} values`, imageCodes.length);
  if (sentCodes.length !== m * d) throw invalidArg('sentCodes', `${m} x ${d} values`, sentCodes.length);
  if (imageClasses.length !== n) throw invalidArg('imageClasses', `${n} classes`, imageClasses.length);
  for (let i = 0; i < n; i++) {
    const t = truth[i] as number;
    if (!Number.isInteger(t) || t < 0 || t >= m) throw invalidArg(`truth[${i}]`, `a pool index below ${m}`, t);
  }
  const want = options.candidates ?? R_PRECISION_DEFAULTS.candidates;
  if (!Number.isInteger(want) || want < 2) throw invalidArg('candidates', 'an integer of at least 2', want);
  const rng = new Rng(options.seed ?? 0);
  const img = normalise(imageCodes, n, d);
  const sent = normalise(sentCodes, m, d);
  // Candidates per query: all queries get the same number, bounded by the smallest other-class pool.
  const byClass = new Map<number, number>();
  for (let j = 0; j < m; j++) byClass.set(poolClasses[j] as number, (byClass.get(poolClasses[j] as number) ?? 0) + 1);
  let k = want;
  for (let i = 0; i < n; i++) k = Math.min(k, m - (byClass.get(imageClasses[i] as number) ?? 0) + 1);
  if (k < 2) throw invalidArg('caption pool', 'captions of at least one other class for every image', m);
  const scores = new Float64Array(n * k);
  const cos = (i: number, j: number): number => {
    let s = 0;
    for (let c = 0; c < d; c++) s += (img[i * d + c] as number) * (sent[j * d + c] as number);
    return s;
  };
  const others: number[] = [];
  const chosen = new Set<number>();
  for (let i = 0; i < n; i++) {
    scores[i * k] = cos(i, truth[i] as number);
    const cls = imageClasses[i] as number;
    const eligible = m - (byClass.get(cls) ?? 0);
    if (eligible > 2 * (k - 1)) {
      // Mostly other classes: draw with rejection (same class or already drawn).
      chosen.clear();
      while (chosen.size < k - 1) {
        const j = rng.int(m);
        if (poolClasses[j] !== cls && !chosen.has(j)) {
          scores[i * k + 1 + chosen.size] = cos(i, j);
          chosen.add(j);
        }
      }
      continue;
    }
    // A small pool: partial Fisher–Yates over the other-class captions.
    others.length = 0;
    for (let j = 0; j < m; j++) if (poolClasses[j] !== cls) others.push(j);
    for (let a = 0; a < k - 1; a++) {
      const b = a + rng.int(others.length - a);
      [others[a], others[b]] = [others[b] as number, others[a] as number];
      scores[i * k + 1 + a] = cos(i, others[a] as number);
    }
  }
  return rPrecisionOfScores(scores, n, k, { ...options, seed: rng.nextUint32() });
}
