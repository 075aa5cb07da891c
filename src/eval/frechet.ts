// SPDX-License-Identifier: MIT
/**
 * Activation statistics (mean and covariance of feature vectors) and the Fréchet distance between
 * the Gaussians they describe: FID (Heusel et al., 2017) when the features are pytorch-fid's
 * pool3, the "DAMSM FID" of this project when they are a run's DAMSM image codes.
 *
 * The covariance is numpy's `np.cov(rowvar=False)` (divisor n − 1), accumulated batch by batch in
 * float64 on data shifted by the first batch's mean (so the sum of squares does not cancel). The
 * distance's matrix square root is native (native/eval/frechet_distance.cpp): symmetric
 * eigenproblems only, finite for rank-deficient covariances.
 */
import { invalidArg } from '../../lib/errors.js';
import { callNative } from '../../lib/module.js';
import { dispose, keep, tensor, tidy, type Tensor } from '../../lib/tensor.js';

/** Mean and covariance of `count` feature vectors of `dim` values. */
export interface GaussianStats {
  dim: number;
  count: number;
  /** (dim) */
  mu: Float64Array;
  /** (dim, dim), row-major. */
  sigma: Float64Array;
}

/** Accumulates features batch by batch; {@link result} gives their {@link GaussianStats}. */
export class ActivationStatistics {
  readonly dim: number;
  #count = 0;
  #shift: Tensor | null = null;  // (dim) f64, the first batch's mean
  #sum: Tensor | null = null;    // (dim) f64, Σ (x − shift)
  #scatter: Tensor | null = null;  // (dim, dim) f64, Σ (x − shift)ᵀ (x − shift)

  constructor(dim: number) {
    if (!Number.isInteger(dim) || dim < 1) throw invalidArg('dim', 'a positive integer', dim);
    this.dim = dim;
  }

  get count(): number {
    return this.#count;
  }

  /** Adds `rows` feature vectors (row-major, rows × dim). */
  add(features: ArrayLike<number>, rows: number): void {
    if (!Number.isInteger(rows) || rows < 0 || features.length !== rows * this.dim) {
      throw invalidArg('rows', `the row count of ${features.length} values of width ${this.dim}`, rows);
    }
    if (rows === 0) return;
    const x64 = Float64Array.from(features);
    for (const v of x64) if (!Number.isFinite(v)) throw invalidArg('features', 'finite values', v);
    const next = tidy(() => {
      const x = tensor(x64, [rows, this.dim]);  // (rows, dim)
      const shift = this.#shift ?? x.mean([0]);
      const xc = x.sub(shift);
      const sum = xc.sum([0]);
      const scatter = xc.transpose(0, 1).matmul(xc);  // (dim, dim)
      return {
        shift,
        sum: this.#sum ? this.#sum.add(sum) : sum,
        scatter: this.#scatter ? this.#scatter.add(scatter) : scatter,
      };
    });
    dispose([this.#sum, this.#scatter]);
    this.#shift = keep(next.shift);
    this.#sum = keep(next.sum);
    this.#scatter = keep(next.scatter);
    this.#count += rows;
  }

  /** Mean and covariance (divisor n − 1) of everything added; needs at least 2 vectors. */
  result(): GaussianStats {
    const n = this.#count;
    if (n < 2) throw invalidArg('features', 'at least 2 feature vectors for a covariance', n);
    const d = this.dim;
    const shift = this.#shift!.dataSync() as Float64Array;
    const sum = this.#sum!.dataSync() as Float64Array;
    const scatter = this.#scatter!.dataSync() as Float64Array;
    const m = sum.map((s) => s / n);
    const mu = m.map((v, i) => v + (shift[i] as number));
    const sigma = new Float64Array(d * d);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) sigma[i * d + j] = ((scatter[i * d + j] as number) - n * (m[i] as number) * (m[j] as number)) / (n - 1);
    }
    return { dim: d, count: n, mu, sigma };
  }

  /** Frees the native accumulators. */
  dispose(): void {
    dispose([this.#shift, this.#sum, this.#scatter]);
    this.#shift = this.#sum = this.#scatter = null;
  }
}

/** The statistics of `rows` feature vectors at once. */
export function activationStatistics(features: ArrayLike<number>, rows: number, dim: number): GaussianStats {
  const acc = new ActivationStatistics(dim);
  try {
    acc.add(features, rows);
    return acc.result();
  } finally {
    acc.dispose();
  }
}

export interface FrechetResult {
  /** |mu1 − mu2|² + tr S1 + tr S2 − 2 tr (S1 S2)^½ */
  distance: number;
  /** |mu1 − mu2|² */
  meanTerm: number;
  /** tr (S1 S2)^½ */
  traceSqrt: number;
}

/** The Fréchet distance between two feature distributions' Gaussians. */
export function frechetDistance(a: GaussianStats, b: GaussianStats): FrechetResult {
  if (a.dim !== b.dim) throw invalidArg('b.dim', `the same width as a (${a.dim})`, b.dim);
  const d = a.dim;
  for (const [name, s] of [['a', a], ['b', b]] as const) {
    if (s.mu.length !== d || s.sigma.length !== d * d) throw invalidArg(`${name}.sigma`, `a ${d} x ${d} covariance and a ${d}-vector mean`, s.sigma.length);
  }
  return tidy(() => {
    const out = callNative('frechet_distance', {
      mu1: tensor(a.mu, [d]), sigma1: tensor(a.sigma, [d, d]), mu2: tensor(b.mu, [d]), sigma2: tensor(b.sigma, [d, d]),
    });
    return { distance: out.distance.item(), meanTerm: out.mean_term.item(), traceSqrt: out.trace_sqrt.item() };
  });
}
