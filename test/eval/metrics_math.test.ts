// SPDX-License-Identifier: MIT
// The mathematics of the image metrics against cases with known answers.
import { describe, expect, it } from 'vitest';
import { memory } from '../../lib/index.js';
import { ActivationStatistics, activationStatistics, frechetDistance, type GaussianStats } from '../../src/eval/frechet.js';
import { InceptionScoreAccumulator, inceptionScore } from '../../src/eval/inception_score.js';
import { kernelInceptionDistance } from '../../src/eval/kid.js';
import { Rng } from '../../src/util/rng.js';

function gaussian(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

function randomMatrix(rows: number, cols: number, seed: number, scale = 1, offset = 0): Float64Array {
  const rng = new Rng(seed);
  return Float64Array.from({ length: rows * cols }, () => offset + scale * gaussian(rng));
}

function stats(mu: number[], sigma: number[]): GaussianStats {
  return { dim: mu.length, count: 100, mu: Float64Array.from(mu), sigma: Float64Array.from(sigma) };
}

describe('Inception Score', () => {
  it('is 1 for uniform predictions (p(y|x) = p(y): no information)', () => {
    const C = 1000;
    const r = inceptionScore(new Float64Array(50 * C).fill(1 / C), C);
    expect(r.mean).toBeCloseTo(1, 12);
    expect(r.std).toBeCloseTo(0, 12);
    expect(r.parts).toHaveLength(10);
  });

  it('is the class count for confident, balanced predictions', () => {
    const C = 7;
    const N = 10 * C * 3;  // every part holds each class 3 times
    const probs = new Float64Array(N * C);
    for (let i = 0; i < N; i++) probs[i * C + (i % C)] = 1;
    const r = inceptionScore(probs, C);
    expect(r.mean).toBeCloseTo(C, 10);
    expect(r.std).toBeCloseTo(0, 10);
  });

  it('streams logits to the same value as the direct formula on the parts', () => {
    const C = 5;
    const N = 53;  // parts of 5 or 6 rows: ⌊i·53/10⌋ boundaries
    const logits = randomMatrix(N, C, 3, 2);
    const acc = new InceptionScoreAccumulator(N, C);
    acc.addLogits(logits.subarray(0, 20 * C), 20);
    acc.addLogits(logits.subarray(20 * C), N - 20);
    const got = acc.result();
    // direct: softmax, then OpenAI's per-part exp(mean KL(p || mean p))
    const p = new Float64Array(N * C);
    for (let i = 0; i < N; i++) {
      let z = 0;
      for (let c = 0; c < C; c++) z += Math.exp(logits[i * C + c]!);
      for (let c = 0; c < C; c++) p[i * C + c] = Math.exp(logits[i * C + c]!) / z;
    }
    const parts = Array.from({ length: 10 }, (_, s) => {
      const lo = Math.floor((s * N) / 10), hi = Math.floor(((s + 1) * N) / 10);
      const py = new Array<number>(C).fill(0);
      for (let i = lo; i < hi; i++) for (let c = 0; c < C; c++) py[c] += p[i * C + c]! / (hi - lo);
      let kl = 0;
      for (let i = lo; i < hi; i++) for (let c = 0; c < C; c++) kl += p[i * C + c]! * (Math.log(p[i * C + c]!) - Math.log(py[c]!));
      return Math.exp(kl / (hi - lo));
    });
    got.parts.forEach((v, s) => expect(v).toBeCloseTo(parts[s]!, 12));
    expect(got.mean).toBeGreaterThan(1);
  });

  it('refuses too few images, wrong row counts and a premature result', () => {
    expect(() => new InceptionScoreAccumulator(5, 10)).toThrow(/at least 10/);
    const acc = new InceptionScoreAccumulator(10, 3);
    expect(() => acc.addProbabilities(new Float64Array(7), 2)).toThrow(/row count/);
    expect(() => acc.result()).toThrow(/10 rows/);
  });
});

describe('Fréchet distance', () => {
  it('is 0 for identical statistics', () => {
    const x = randomMatrix(300, 16, 5);
    const s = activationStatistics(x, 300, 16);
    const r = frechetDistance(s, s);
    expect(Math.abs(r.distance)).toBeLessThan(1e-9);
    expect(r.meanTerm).toBe(0);
  });

  it('matches the closed form for commuting (diagonal) covariances: |Δμ|² + Σ (√a − √b)²', () => {
    const a = [4, 1, 0.25, 9];
    const b = [1, 1, 4, 0.01];
    const diag = (v: number[]) => v.flatMap((x, i) => v.map((_, j) => (i === j ? x : 0)));
    const r = frechetDistance(stats([0, 1, 2, 3], diag(a)), stats([1, 1, 0, 3], diag(b)));
    const want = 1 + 4 + a.reduce((s, x, i) => s + (Math.sqrt(x) - Math.sqrt(b[i]!)) ** 2, 0);
    expect(r.distance).toBeCloseTo(want, 12);
  });

  it('matches the closed form for non-commuting 2 x 2 covariances: tr √(S1 S2) = √(tr S1S2 + 2 √(det S1 det S2))', () => {
    const s1 = [2, 0.8, 0.8, 1];
    const s2 = [0.5, -0.3, -0.3, 3];
    const tr12 = s1[0]! * s2[0]! + s1[1]! * s2[2]! + s1[2]! * s2[1]! + s1[3]! * s2[3]!;
    const det = (s: number[]) => s[0]! * s[3]! - s[1]! * s[2]!;
    const traceSqrt = Math.sqrt(tr12 + 2 * Math.sqrt(det(s1) * det(s2)));
    const r = frechetDistance(stats([1, -1], s1), stats([0, 0], s2));
    expect(r.traceSqrt).toBeCloseTo(traceSqrt, 12);
    expect(r.distance).toBeCloseTo(2 + 3 + 3.5 - 2 * traceSqrt, 12);
  });

  it('stays finite and exact on near-singular covariances (fewer samples than dimensions, duplicated features)', () => {
    const d = 128;
    const n = 20;  // rank ≤ 19 of 128
    const base = randomMatrix(n, d / 2, 9);
    const x = new Float64Array(n * d);
    for (let i = 0; i < n; i++) for (let k = 0; k < d / 2; k++) x[i * d + 2 * k] = x[i * d + 2 * k + 1] = base[i * (d / 2) + k]!;
    const s = activationStatistics(x, n, d);
    const shifted: GaussianStats = { ...s, mu: s.mu.map((v, i) => v + (i === 0 ? 3 : 0)) };
    const r = frechetDistance(s, shifted);
    // identical singular covariances: the trace terms cancel, only |Δμ|² = 9 remains
    expect(Number.isFinite(r.distance)).toBe(true);
    let trace = 0;
    for (let i = 0; i < d; i++) trace += s.sigma[i * d + i]!;
    expect(Math.abs(r.distance - 9)).toBeLessThan(1e-9 * trace);
    expect(r.traceSqrt).toBeCloseTo(trace, 8);
    // two different rank-deficient sets: finite, non-negative, symmetric
    const t = activationStatistics(randomMatrix(n, d, 11), n, d);
    const ab = frechetDistance(s, t).distance;
    const ba = frechetDistance(t, s).distance;
    expect(ab).toBeGreaterThan(0);
    expect(Math.abs(ab - ba)).toBeLessThan(1e-9 * ab);
  });

  it('accumulates mean and covariance (n − 1) in batches as np.cov does, even far from the origin', () => {
    const d = 6;
    const n = 57;
    const x = randomMatrix(n, d, 13, 0.01, 1e4);
    const acc = new ActivationStatistics(d);
    const before = memory().numTensors;
    acc.add(x.subarray(0, 10 * d), 10);
    acc.add(x.subarray(10 * d, 40 * d), 30);
    acc.add(x.subarray(40 * d), n - 40);
    const got = acc.result();
    acc.dispose();
    expect(memory().numTensors).toBe(before);
    const mu = Array.from({ length: d }, (_, k) => { let s = 0; for (let i = 0; i < n; i++) s += x[i * d + k]!; return s / n; });
    for (let a = 0; a < d; a++) {
      expect(got.mu[a]).toBeCloseTo(mu[a]!, 9);
      for (let b = 0; b < d; b++) {
        let c = 0;
        for (let i = 0; i < n; i++) c += (x[i * d + a]! - mu[a]!) * (x[i * d + b]! - mu[b]!);
        expect(Math.abs(got.sigma[a * d + b]! - c / (n - 1))).toBeLessThan(1e-12);
      }
    }
  });

  it('refuses statistics of different widths', () => {
    expect(() => frechetDistance(stats([0], [1]), stats([0, 0], [1, 0, 0, 1]))).toThrow(/width/);
  });
});

describe('Kernel Inception Distance', () => {
  /** The unbiased MMD² of all of x against all of y, by the definition (pairs i ≠ j), in plain loops. */
  function direct(x: Float64Array, y: Float64Array, m: number, d: number): number {
    const k = (a: Float64Array, i: number, b: Float64Array, j: number) => {
      let dot = 0;
      for (let c = 0; c < d; c++) dot += a[i * d + c]! * b[j * d + c]!;
      return (dot / d + 1) ** 3;
    };
    let xx = 0, yy = 0, xy = 0;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        if (i !== j) { xx += k(x, i, x, j); yy += k(y, i, y, j); }
        xy += k(x, i, y, j);
      }
    }
    return (xx + yy) / (m * (m - 1)) - (2 * xy) / (m * m);
  }

  it('matches the direct computation when a subset is the whole set (every subset then is)', () => {
    const m = 40, d = 8;
    const x = randomMatrix(m, d, 21);
    const y = randomMatrix(m, d, 22, 1.5, 0.3);
    const want = direct(x, y, m, d);
    const r = kernelInceptionDistance(x, m, y, m, d, { subsets: 5, subsetSize: 1000 });
    expect(r.subsetSize).toBe(m);
    expect(r.mean).toBeCloseTo(want, 10);
    expect(r.std).toBeLessThan(1e-10);
    expect(want).toBeGreaterThan(0);
  });

  it('is near 0 for two samples of one distribution and grows with the shift', () => {
    const d = 8;
    const a = randomMatrix(400, d, 31);
    const b = randomMatrix(400, d, 32);
    const c = randomMatrix(400, d, 33, 1, 0.5);
    const same = kernelInceptionDistance(a, 400, b, 400, d, { subsets: 20, subsetSize: 100, seed: 1 });
    const shifted = kernelInceptionDistance(a, 400, c, 400, d, { subsets: 20, subsetSize: 100, seed: 1 });
    expect(Math.abs(same.mean)).toBeLessThan(3 * same.std + 0.02);
    expect(shifted.mean).toBeGreaterThan(same.mean + 5 * shifted.std / Math.sqrt(20));
  });

  it('refuses sets smaller than 2 vectors', () => {
    expect(() => kernelInceptionDistance(new Float64Array(4), 1, new Float64Array(8), 2, 4)).toThrow(/at least 2/);
  });
});
