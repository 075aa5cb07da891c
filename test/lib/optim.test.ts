// SPDX-License-Identifier: MIT
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Adam, dispose, manualSeed, maxAbsDiff, Module, randn, tensor, tidy } from '../../lib/index.js';

function lossOf(m: Module, x: ReturnType<typeof randn>) {
  return m.forward({ input: x }).output.pow(2).mean();
}

describe('Adam', () => {
  it('one step equals the textbook Adam update', () => {
    const p = tensor([1, -2, 3], [3], { requiresGrad: true });
    const opt = new Adam([p], { lr: 0.1, betas: [0.5, 0.999], eps: 1e-8 });
    tidy(() => p.pow(2).sum().backward());  // grad = 2p
    opt.step();
    // step 1: m = (1-b1) g, v = (1-b2) g^2, mhat = g, vhat = g^2 -> p -= lr * g / (|g| + eps)
    const got = p.toArray();
    [1, -2, 3].forEach((v, i) => expect(got[i]).toBeCloseTo(v - 0.1 * Math.sign(v), 5));
    expect(opt.lr).toBe(0.1);
    opt.lr = 0.05;
    expect(opt.lr).toBe(0.05);
  });

  it('a small module trains: loss falls', () => {
    manualSeed(3);
    const m = new Module('Linear', { inFeatures: 8, outFeatures: 4 });
    const opt = new Adam(m, { lr: 0.05 });
    const x = randn([16, 8]);
    const first = tidy(() => lossOf(m, x).item());
    for (let i = 0; i < 30; i++) {
      tidy(() => {
        opt.zeroGrad();
        lossOf(m, x).backward();
        opt.step();
      });
    }
    const last = tidy(() => lossOf(m, x).item());
    expect(last).toBeLessThan(first * 0.2);
    x.dispose();
  });

  it('saved state resumes exactly like an uninterrupted run', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-adam-'));
    manualSeed(7);
    const x = randn([6, 5]);
    const a = new Module('Linear', { inFeatures: 5, outFeatures: 3 });
    const b = new Module('Linear', { inFeatures: 5, outFeatures: 3 });
    b.loadStateDict(a.namedStateDict());
    const optA = new Adam(a, { lr: 0.01, betas: [0.5, 0.999] });
    const step = (m: Module, o: Adam) => tidy(() => {
      o.zeroGrad();
      lossOf(m, x).backward();
      o.step();
    });
    for (let i = 0; i < 3; i++) step(a, optA);
    await a.save(path.join(dir, 'm.safetensors'));
    await optA.save(path.join(dir, 'adam.safetensors'));
    // "restart": fresh module + optimizer restored from disk
    await b.load(path.join(dir, 'm.safetensors'));
    const optB = new Adam(b, { lr: 0.5 });
    await optB.load(path.join(dir, 'adam.safetensors'));
    expect(optB.options).toEqual({ lr: 0.01, betas: [0.5, 0.999], eps: 1e-8, weightDecay: 0 });
    for (let i = 0; i < 3; i++) {
      step(a, optA);
      step(b, optB);
    }
    const wa = a.namedStateDict();
    const wb = b.namedStateDict();
    for (const k of wa.keys()) expect(maxAbsDiff(wa.get(k)!, wb.get(k)!)).toBe(0);
    dispose([x, wa, wb]);
    fs.rmSync(dir, { recursive: true });
  });

  it('refuses NaN gradients and leaves the weights unchanged', () => {
    const p = tensor([1, 2], [2], { requiresGrad: true });
    const opt = new Adam([p], { lr: 0.1 });
    tidy(() => p.mul(Number.NaN).sum().backward());
    expect(() => opt.step()).toThrow(expect.objectContaining({ code: 'ERR_NON_FINITE' }));
    expect(p.toArray()).toEqual([1, 2]);
  });

  it('checks all gradients at once and names the first non-finite parameter (stepAsync too)', async () => {
    const ps = [0, 1, 2, 3].map((i) => tensor([i, i + 1], [2], { requiresGrad: true }));
    const opt = new Adam(ps, { lr: 0.1 });
    tidy(() => ps.map((p, i) => p.mul(i === 2 ? Number.POSITIVE_INFINITY : 1).sum()).reduce((a, b) => a.add(b)).backward());
    await expect(opt.stepAsync()).rejects.toMatchObject({ code: 'ERR_NON_FINITE', message: expect.stringContaining('gradient of parameter 2 contains NaN or Inf') });
    expect(ps.map((p) => p.toArray())).toEqual([[0, 1], [1, 2], [2, 3], [3, 4]]);
    opt.zeroGrad();
    tidy(() => ps.map((p) => p.sum()).reduce((a, b) => a.add(b)).backward());
    await opt.stepAsync();
    expect(ps[0].toArray()).not.toEqual([0, 1]);
  });

  it('stepAsync holds the module lock', async () => {
    const m = new Module('Linear', { inFeatures: 4, outFeatures: 4 });
    const opt = new Adam(m);
    tidy(() => m.forward({ input: randn([2, 4]) }).output.sum().backward());
    const pending = opt.stepAsync();
    expect(() => m.forward({ input: randn([2, 4]) })).toThrow(expect.objectContaining({ code: 'ERR_BUSY' }));
    await pending;
    expect(() => tidy(() => m.forward({ input: randn([2, 4]) }))).not.toThrow();
  });
});
