// SPDX-License-Identifier: MIT
import { describe, expect, it } from 'vitest';
import { rPrecision, rPrecisionOfScores } from '../../src/eval/r_precision.js';

function randn(n: number, seed: number): Float32Array {
  let s = seed;
  const u = () => ((s = (s * 16807) % 2147483647) / 2147483647);
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(u() + 1e-12)) * Math.cos(2 * Math.PI * u()));
}

describe('R-precision on a constructed score matrix', () => {
  /** 40 queries of 5 candidates; the true caption (column 0) has exactly q mod 4 candidates above it. */
  function ranked(queries: number, candidates: number): Float64Array {
    const s = new Float64Array(queries * candidates);
    for (let q = 0; q < queries; q++) {
      const above = q % 4;
      s[q * candidates] = 0.5;
      for (let j = 1; j < candidates; j++) s[q * candidates + j] = j <= above ? 0.9 : 0.1;
    }
    return s;
  }

  it('gives the known top-1/2/3 rates (1/4, 2/4, 3/4) whatever the shuffle', () => {
    const r = rPrecisionOfScores(ranked(40, 5), 40, 5, { groups: 10, seed: 3 });
    expect(r.topK.map((t) => t.k)).toEqual([1, 2, 3]);
    expect(r.topK.map((t) => t.mean)).toEqual([0.25, 0.5, 0.75]);
    expect(r.topK.map((t) => t.hits)).toEqual([10, 20, 30]);
    expect(r.mean).toBe(0.25);
    expect(r.used).toBe(40);
    expect(r.groups).toBe(10);
  });

  it('gives the known group spread: one group has std 0; groups of identical make-up too', () => {
    expect(rPrecisionOfScores(ranked(40, 5), 40, 5, { groups: 1 }).std).toBe(0);
    // every query ranked second: top-1 0 in every group, top-2 1 in every group
    const s = ranked(40, 5).map((v, i) => (i % 5 === 1 ? 0.9 : i % 5 === 0 ? 0.5 : 0.1));
    const r = rPrecisionOfScores(s, 40, 5, { groups: 10 });
    expect(r.topK[0]).toMatchObject({ mean: 0, std: 0 });
    expect(r.topK[1]).toMatchObject({ mean: 1, std: 0 });
  });

  it('computes the population std of the group means (numpy np.std) on a fixed split', () => {
    // 4 queries, 2 groups of 2: hits [1, 1, 0, 1] shuffled; group means are {1, 0.5} in some order
    const s = Float64Array.from([1, 0, 1, 0, 0, 1, 1, 0]);
    const r = rPrecisionOfScores(s, 4, 2, { groups: 2, seed: 0 });
    expect(r.mean).toBe(0.75);
    expect(r.std).toBe(0.25);
  });

  it('counts ties with the true caption as hits (DM-GAN argmax keeps the first index)', () => {
    const r = rPrecisionOfScores(Float64Array.from([0.3, 0.3, 0.3]), 1, 3, { groups: 1 });
    expect(r.mean).toBe(1);
  });

  it('drops the remainder of queries that do not fill a group and refuses a malformed matrix', () => {
    expect(rPrecisionOfScores(ranked(42, 5), 42, 5, { groups: 10 }).used).toBe(40);
    expect(() => rPrecisionOfScores(new Float64Array(9), 2, 5)).toThrow(/2 x 5/);
    expect(() => rPrecisionOfScores(ranked(4, 5), 4, 5, { topK: [0] })).toThrow(/topK/);
  });
});

describe('R-precision of image codes against a caption pool', () => {
  const d = 64;
  const n = 200;
  const sent = randn(n * d, 7);
  const classes = Int32Array.from({ length: n }, (_, i) => i % 40);
  const truth = Int32Array.from({ length: n }, (_, i) => i);

  it('is 1 when every image code equals its caption feature', () => {
    const r = rPrecision(sent.slice(), sent, d, truth, classes, classes);
    expect(r.mean).toBe(1);
    expect(r.hits).toBe(n);
    expect(r.candidates).toBe(100);
  });

  it('is near chance (k/candidates) for unrelated codes', () => {
    const r = rPrecision(randn(n * d, 99), sent, d, truth, classes, classes, { candidates: 10 });
    expect(r.mean).toBeGreaterThan(0);
    expect(r.mean).toBeLessThan(0.3);
    expect(r.topK[2]!.mean).toBeGreaterThan(r.topK[0]!.mean);
  });

  it('only draws mismatched captions from other classes', () => {
    // An image whose code matches a same-class caption exactly still hits: same-class captions are never candidates.
    const img = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      const twin = (i + 40) % n;  // same class (i % 40), different caption
      for (let k = 0; k < d; k++) img[i * d + k] = sent[i * d + k]! * 0.5 + sent[twin * d + k]! * 0.5;
    }
    expect(rPrecision(img, sent, d, truth, classes, classes).mean).toBe(1);
    // a small pool (2 classes): the exhaustive draw path, still other-class only
    const two = Int32Array.from({ length: n }, (_, i) => i % 2);
    const img2 = new Float32Array(n * d);
    for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) img2[i * d + k] = sent[i * d + k]! * 0.5 + sent[((i + 2) % n) * d + k]! * 0.5;
    expect(rPrecision(img2, sent, d, truth, two, two, { candidates: 90 }).mean).toBe(1);
  });

  it('is seedable: the same seed gives the same draw, another seed another', () => {
    const img = randn(n * d, 5);
    const a = rPrecision(img, sent, d, truth, classes, classes, { candidates: 20, seed: 1 });
    const b = rPrecision(img, sent, d, truth, classes, classes, { candidates: 20, seed: 1 });
    const c = rPrecision(img, sent, d, truth, classes, classes, { candidates: 20, seed: 2 });
    expect(b).toEqual(a);
    expect(c.topK.map((t) => t.hits)).not.toEqual(a.topK.map((t) => t.hits));
  });

  it('uses the pool it has and reports the candidates used', () => {
    const r = rPrecision(sent.slice(0, 10 * d), sent.slice(0, 10 * d), d, truth.slice(0, 10), classes.slice(0, 10), classes.slice(0, 10));
    expect(r.candidates).toBe(10);
    expect(r.queries).toBe(10);
  });

  it('rejects mismatched sizes and out-of-pool truths', () => {
    expect(() => rPrecision(new Float32Array(3), sent, d, truth, classes, classes)).toThrow(/imageCodes/);
    expect(() => rPrecision(sent, sent, d, truth.map((t) => t + n), classes, classes)).toThrow(/truth\[0\]/);
  });
});
