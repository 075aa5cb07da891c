// SPDX-License-Identifier: MIT
import { describe, expect, it } from 'vitest';
import { rPrecision } from '../../src/eval/r_precision.js';

function randn(n: number, seed: number): Float32Array {
  let s = seed;
  const u = () => ((s = (s * 16807) % 2147483647) / 2147483647);
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(u() + 1e-12)) * Math.cos(2 * Math.PI * u()));
}

describe('R-precision', () => {
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

  it('is near chance (1/candidates) for unrelated codes', () => {
    const r = rPrecision(randn(n * d, 99), sent, d, truth, classes, classes, { candidates: 10 });
    expect(r.mean).toBeGreaterThan(0);
    expect(r.mean).toBeLessThan(0.3);
  });

  it('only draws mismatched captions from other classes', () => {
    // An image whose code matches a same-class caption exactly still hits: same-class captions are never candidates.
    const img = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      const twin = (i + 40) % n;  // same class (i % 40), different caption
      for (let k = 0; k < d; k++) img[i * d + k] = sent[i * d + k] * 0.5 + sent[twin * d + k] * 0.5;
    }
    const r = rPrecision(img, sent, d, truth, classes, classes);
    expect(r.mean).toBe(1);
  });

  it('uses the pool it has and reports the candidates used', () => {
    const r = rPrecision(sent.slice(0, 10 * d), sent.slice(0, 10 * d), d, truth.slice(0, 10), classes.slice(0, 10), classes.slice(0, 10));
    expect(r.candidates).toBe(10);
    expect(r.queries).toBe(10);
  });

  it('rejects mismatched sizes', () => {
    expect(() => rPrecision(new Float32Array(3), sent, d, truth, classes, classes)).toThrow(/imageCodes/);
  });
});
