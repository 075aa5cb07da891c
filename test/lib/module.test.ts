// SPDX-License-Identifier: MIT
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { callNative, dispose, manualSeed, memory, Module, moduleKinds, randn, saveSafetensors, tensor, tidy } from '../../lib/index.js';
import type { Tensor } from '../../lib/tensor.js';
import { loadFixture, worstOutputViolation } from '../helpers/parity.js';

describe('native modules', () => {
  it('lists registered kinds', () => {
    expect(moduleKinds()).toEqual(expect.arrayContaining(['CA_NET', 'Linear']));
  });

  it('autograd through a Linear module matches the analytic gradient', () => {
    manualSeed(1);
    const lin = new Module('Linear', { inFeatures: 3, outFeatures: 2 });
    const x = tensor([1, 2, 3, -1, 0.5, 2], [2, 3]);
    const { output } = lin.forward({ input: x });
    const loss = output.pow(2).mean();  // L = mean(y^2) over N = 4 entries
    loss.backward();
    const params = lin.namedParameters();
    const W = params.get('weight')!;
    const b = params.get('bias')!;
    const y = output.dataSync() as Float32Array;
    const xs = x.dataSync() as Float32Array;
    // dL/dW[o][i] = sum_n (2/N) y[n][o] x[n][i];  dL/db[o] = sum_n (2/N) y[n][o]
    const gW = W.grad!.dataSync() as Float32Array;
    const gb = b.grad!.dataSync() as Float32Array;
    for (let o = 0; o < 2; o++) {
      let sb = 0;
      for (let n = 0; n < 2; n++) sb += 0.5 * y[n * 2 + o];
      expect(gb[o]).toBeCloseTo(sb, 5);
      for (let i = 0; i < 3; i++) {
        let s = 0;
        for (let n = 0; n < 2; n++) s += 0.5 * y[n * 2 + o] * xs[n * 3 + i];
        expect(gW[o * 3 + i]).toBeCloseTo(s, 5);
      }
    }
    lin.zeroGrad();
    expect(lin.namedParameters().get('weight')!.grad).toBeNull();
  });

  it('forward with grad: false records no graph', () => {
    const lin = new Module('Linear', { inFeatures: 2, outFeatures: 2 });
    const { output } = lin.forward({ input: randn([1, 2]) }, { grad: false });
    expect(output.requiresGrad).toBe(false);
  });

  it('state dict keys are the official names, in PyTorch order, and load back', async () => {
    const ca = new Module('CA_NET', { tDim: 256, cDim: 100 });
    const sd = ca.namedStateDict();
    expect([...sd.keys()]).toEqual(['fc.weight', 'fc.bias']);
    expect(sd.get('fc.weight')!.shape).toEqual([400, 256]);
    expect(ca.numParameters()).toBe(400 * 256 + 400);
    const other = new Module('CA_NET', { tDim: 256, cDim: 100 });
    other.loadStateDict(sd);
    const sd2 = other.namedStateDict();
    expect(sd2.get('fc.bias')!.toArray()).toEqual(sd.get('fc.bias')!.toArray());
    // loaded weights are copies, not aliases
    tidy(() => {
      const w = sd2.get('fc.bias')!;
      expect(w.isDisposed).toBe(false);
    });
    dispose([sd, sd2]);
  });

  it('train()/eval() switch the mode', () => {
    const ca = new Module('CA_NET', { tDim: 256, cDim: 100 });
    expect(ca.training).toBe(true);
    expect(ca.eval().training).toBe(false);
    expect(ca.train().training).toBe(true);
    expect(ca.device).toBe('cpu');
    expect(ca.to('cpu').device).toBe('cpu');
  });

  it('setRequiresGrad(false) freezes every parameter', () => {
    const ca = new Module('CA_NET', { tDim: 256, cDim: 100 }).setRequiresGrad(false);
    expect(ca.parameters().every((p) => !p.requiresGrad)).toBe(true);
  });

  it('CA_NET reproduces the official module (parity fixture)', async () => {
    const { tensors: fx } = await loadFixture('ca_net');
    const ca = new Module('CA_NET', { tDim: 256, cDim: 100 });
    ca.loadStateDict(new Map([...fx].filter(([k]) => k === 'fc.weight' || k === 'fc.bias')));
    const out = ca.forward({ sent_emb: fx.get('in.text_embedding')!, eps: fx.get('in.eps')! });
    for (const k of ['c_code', 'mu', 'logvar']) {
      expect(worstOutputViolation(out[k], fx.get(`out.${k}`)!), k).toBeLessThanOrEqual(0);
    }
    const { loss } = callNative('kl_loss', { mu: out.mu, logvar: out.logvar });
    expect(worstOutputViolation(loss, fx.get('out.kl_loss')!)).toBeLessThanOrEqual(0);
    // gradients reach the CA weights through the KL term
    loss.backward();
    const g = ca.namedParameters().get('fc.weight')!.grad!;
    expect(g.shape).toEqual([400, 256]);
    expect(g.abs().sum().item()).toBeGreaterThan(0);
    // The fixture stores no gradient for CA_NET: check autograd against a central difference of
    // the KL loss along a random direction D of fc.weight (dL/dW . D; the loss summed in float64).
    const klAt = (w: Tensor): number => {
      const m = new Module('CA_NET', { tDim: 256, cDim: 100 });
      m.loadStateDict(new Map([['fc.weight', w], ['fc.bias', fx.get('fc.bias')!]]));
      const o = m.forward({ sent_emb: fx.get('in.text_embedding')!, eps: fx.get('in.eps')! }, { grad: false });
      return callNative('kl_loss', { mu: o.mu.to('float64'), logvar: o.logvar.to('float64') }).loss.item();
    };
    manualSeed(7);
    const w0 = fx.get('fc.weight')!;
    const D = randn([400, 256]);
    const h = 1e-3;
    const numeric = (klAt(w0.add(D.mul(h))) - klAt(w0.sub(D.mul(h)))) / (2 * h);
    const analytic = g.mul(D).sum().item();
    expect(Math.abs(numeric - analytic)).toBeLessThanOrEqual(2e-4 * Math.abs(analytic));
    dispose(fx);
  });

  it('forwardAsync keeps the event loop free and frees its inputs normally', async () => {
    const lin = new Module('Linear', { inFeatures: 512, outFeatures: 512 });
    const x = randn([2048, 512]);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const results = [];
    for (let i = 0; i < 5; i++) results.push((await lin.forwardAsync({ input: x }, { grad: false })).output);
    clearInterval(timer);
    expect(results[0].shape).toEqual([2048, 512]);
    expect(ticks).toBeGreaterThan(0);
    dispose([x, results]);
  });

  it('does not leak handles over repeated forward/backward', () => {
    const lin = new Module('Linear', { inFeatures: 4, outFeatures: 3 });
    const before = memory().numTensors;
    for (let i = 0; i < 50; i++) {
      tidy(() => {
        lin.forward({ input: randn([5, 4]) }).output.mean().backward();
      });
    }
    expect(memory().numTensors).toBe(before);
  });
});

describe('module memory', () => {
  it('memory() counts a module and the bytes of its weights until dispose() frees them; later calls are ERR_DISPOSED', () => {
    const before = memory();
    const lin = new Module('Linear', { inFeatures: 30, outFeatures: 20 });
    expect(memory()).toMatchObject({ numModules: before.numModules + 1, moduleBytes: before.moduleBytes + (30 * 20 + 20) * 4 });
    lin.dispose();
    expect(memory()).toMatchObject({ numModules: before.numModules, moduleBytes: before.moduleBytes });
    expect(lin.isDisposed).toBe(true);
    expect(lin.kind).toBe('Linear');
    expect(() => lin.forward({ input: tensor([1], [1, 1]) })).toThrow(expect.objectContaining({ code: 'ERR_DISPOSED', message: 'Linear was disposed and cannot be used' }));
    lin.dispose();  // twice: nothing
    {
      using scoped = new Module('Linear', { inFeatures: 3, outFeatures: 2 });
      expect(scoped.isDisposed).toBe(false);
      expect(memory().numModules).toBe(before.numModules + 1);
    }
    expect(memory().numModules).toBe(before.numModules);
  });

  it('refuses dispose() while an async job runs, and a parameter handle outlives its module', async () => {
    const lin = new Module('Linear', { inFeatures: 4, outFeatures: 4 });
    const weight = lin.namedParameters().get('weight')!;
    const running = lin.forwardAsync({ input: randn([2, 4]) });
    expect(() => lin.dispose()).toThrow(expect.objectContaining({ code: 'ERR_BUSY' }));
    dispose(await running);
    lin.dispose();
    expect(weight.shape).toEqual([4, 4]);  // the storage stays while the handle lives
    weight.dispose();
  });

  it('stores float16 and widens it again when a module loads it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-half-'));
    const a = new Module('Linear', { inFeatures: 3, outFeatures: 2 });
    const b = new Module('Linear', { inFeatures: 3, outFeatures: 2 });
    try {
      const sd = a.namedStateDict();
      const half = new Map([...sd].map(([k, t]) => [k, t.to('float16')]));
      expect(half.get('weight')!.dtype as string).toBe('float16');
      await saveSafetensors(path.join(dir, 'half.safetensors'), half);
      await b.load(path.join(dir, 'half.safetensors'));
      const [wa, wb] = [sd.get('weight')!.dataSync() as Float32Array, b.namedStateDict().get('weight')!.dataSync() as Float32Array];
      for (let i = 0; i < wa.length; i++) expect(Math.abs(wb[i]! - wa[i]!)).toBeLessThanOrEqual(Math.abs(wa[i]!) * 2 ** -10);
      expect(b.namedStateDict().get('weight')!.dtype).toBe('float32');
      dispose([sd, half]);
    } finally {
      a.dispose();
      b.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
