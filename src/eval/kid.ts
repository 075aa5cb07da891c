// SPDX-License-Identifier: MIT
/**
 * Kernel Inception Distance (Bińkowski et al., 2018): the unbiased estimate of the squared MMD
 * between two feature sets under the polynomial kernel k(x, y) = (γ x·y + c)^degree (γ = 1/dim,
 * c = 1, degree 3), averaged over random subsets of m vectors from each set, as the authors'
 * `polynomial_mmd_averages` and clean-fid / torch-fidelity compute it:
 *
 *   MMD²_u = [Σ_{i≠j} k(x_i, x_j) + Σ_{i≠j} k(y_i, y_j)] / (m(m − 1)) − 2 Σ_{i,j} k(x_i, y_j) / m²
 *
 * m = min(subsetSize, |X|, |Y|); subsets drawn without replacement, seeded. Unbiased: unlike FID
 * it has no bias that depends on the sample count, so small evaluations compare fairly.
 */
import { invalidArg } from '../../lib/errors.js';
import { tensor, tidy } from '../../lib/tensor.js';
import { Rng } from '../util/rng.js';

export interface KidOptions {
  /** Number of subset pairs. Default 100. */
  subsets?: number;
  /** Vectors per subset (capped by both set sizes). Default 1000. */
  subsetSize?: number;
  /** Kernel degree. Default 3. */
  degree?: number;
  /** Kernel scale γ. Default 1 / dim. */
  gamma?: number;
  /** Kernel offset c. Default 1. */
  coef0?: number;
  seed?: number;
}

export interface KidResult {
  /** Mean MMD² over the subsets (can be slightly negative: the estimate is unbiased). */
  mean: number;
  std: number;
  subsets: number;
  subsetSize: number;
}

/** Rows `idx` of a row-major (·, dim) matrix, as float64. */
function rows(x: ArrayLike<number>, idx: ArrayLike<number>, dim: number): Float64Array {
  const out = new Float64Array(idx.length * dim);
  for (let r = 0; r < idx.length; r++) {
    const base = (idx[r] as number) * dim;
    for (let k = 0; k < dim; k++) out[r * dim + k] = x[base + k] as number;
  }
  return out;
}

/** m distinct indices of [0, n) (partial Fisher–Yates). */
function draw(n: number, m: number, rng: Rng): Int32Array {
  const all = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < m; i++) {
    const j = i + rng.int(n - i);
    [all[i], all[j]] = [all[j] as number, all[i] as number];
  }
  return all.slice(0, m);
}

/** MMD²_u of two equal-size sets under the polynomial kernel (one subset pair). */
export function polynomialMmd(x: Float64Array, y: Float64Array, m: number, dim: number, gamma: number, coef0: number, degree: number): number {
  return tidy(() => {
    const X = tensor(x, [m, dim]);
    const Y = tensor(y, [m, dim]);
    const k = (a: typeof X, b: typeof X) => a.matmul(b.transpose(0, 1)).mul(gamma).add(coef0).pow(degree).sum().item();
    const diag = (v: Float64Array) => {
      let s = 0;
      for (let i = 0; i < m; i++) {
        let dot = 0;
        for (let c = 0; c < dim; c++) dot += (v[i * dim + c] as number) ** 2;
        s += (gamma * dot + coef0) ** degree;
      }
      return s;
    };
    return (k(X, X) - diag(x) + k(Y, Y) - diag(y)) / (m * (m - 1)) - (2 * k(X, Y)) / (m * m);
  });
}

/** KID between feature sets x (nx × dim) and y (ny × dim), row-major. */
export function kernelInceptionDistance(x: ArrayLike<number>, nx: number, y: ArrayLike<number>, ny: number, dim: number, options: KidOptions = {}): KidResult {
  if (x.length !== nx * dim) throw invalidArg('x', `${nx} x ${dim} values`, x.length);
  if (y.length !== ny * dim) throw invalidArg('y', `${ny} x ${dim} values`, y.length);
  const subsets = options.subsets ?? 100;
  if (!Number.isInteger(subsets) || subsets < 1) throw invalidArg('subsets', 'a positive integer', subsets);
  const m = Math.min(options.subsetSize ?? 1000, nx, ny);
  if (!Number.isInteger(m) || m < 2) throw invalidArg('subsetSize', 'an integer of at least 2 (and at least 2 vectors per set)', m);
  const gamma = options.gamma ?? 1 / dim;
  const coef0 = options.coef0 ?? 1;
  const degree = options.degree ?? 3;
  const rng = new Rng(options.seed ?? 0);
  const values: number[] = [];
  for (let s = 0; s < subsets; s++) {
    const xs = rows(x, draw(nx, m, rng), dim);
    const ys = rows(y, draw(ny, m, rng), dim);
    values.push(polynomialMmd(xs, ys, m, dim, gamma, coef0, degree));
  }
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  return { mean, std, subsets, subsetSize: m };
}
