// SPDX-License-Identifier: MIT
import { describe, expect, it } from 'vitest';
import { Adam, dispose, manualSeed, memory, rand, randn, tensor, tidy, type Tensor } from '../../lib/index.js';
import { CompactImageEncoder, damsmSentLoss, damsmWordsLoss, TextEncoder } from '../../src/stem/index.js';

describe('CNN_ENCODER_COMPACT', () => {
  it('gives (B, nef, grid, grid) regions and a (B, nef) code, resizing other input sizes', () => {
    manualSeed(11);
    const enc = new CompactImageEncoder();
    expect(enc.options).toEqual({ ndf: 32, imageSize: 64, gridSize: 8, nef: 256 });
    expect(enc.numParameters()).toBe(936_896);
    const keys = [...enc.namedStateDict().keys()];
    expect(keys.slice(0, 3)).toEqual(['down.0.weight', 'down.1.weight', 'down.1.bias']);
    expect(keys).toEqual(expect.arrayContaining(['refine.0.weight', 'emb_features.weight', 'global.0.weight', 'emb_cnn_code.weight', 'emb_cnn_code.bias']));
    tidy(() => {
      const x = rand([2, 3, 64, 64]).mul(2).sub(1);
      const { features, cnnCode } = enc.encode(x);
      expect(features.shape).toEqual([2, 256, 8, 8]);
      expect(cnnCode.shape).toEqual([2, 256]);
      const y = rand([2, 3, 100, 80]).mul(2).sub(1);
      expect(enc.encode(y).features.shape).toEqual([2, 256, 8, 8]);
    });
    const big = new CompactImageEncoder({ ndf: 8, imageSize: 128, gridSize: 16, nef: 32 });
    tidy(() => {
      const { features, cnnCode } = big.eval().encode(randn([1, 3, 128, 128]));
      expect(features.shape).toEqual([1, 32, 16, 16]);
      expect(cnnCode.shape).toEqual([1, 32]);
    });
  });

  it('is trainable end to end: every parameter receives a gradient', () => {
    manualSeed(12);
    const enc = new CompactImageEncoder({ ndf: 8, nef: 16 });
    tidy(() => {
      const { features, cnnCode } = enc.encode(randn([3, 3, 64, 64]));
      features.pow(2).mean().add(cnnCode.pow(2).mean()).backward();
    });
    const params = enc.namedParameters();
    for (const [k, p] of params) {
      expect(p.requiresGrad, k).toBe(true);
      const g = p.grad;
      expect(g, k).not.toBeNull();
      expect(g!.abs().sum().item(), k).toBeGreaterThan(0);
      g!.dispose();
    }
    dispose(params);
  });

  it('refuses grids that do not divide the image size by a power of two', () => {
    expect(() => new CompactImageEncoder({ imageSize: 64, gridSize: 6 })).toThrow(/power of two/);
    expect(() => new CompactImageEncoder({ imageSize: 8, gridSize: 8 })).toThrow(/power of two/);
    const enc = new CompactImageEncoder({ ndf: 4, nef: 8 });
    const gray = randn([1, 1, 64, 64]);
    expect(() => enc.encode(gray)).toThrow(/images/);
    gray.dispose();
  });
});

describe('tiny DAMSM pretraining (compact image encoder + text encoder)', () => {
  it('the DAMSM loss falls within a few dozen Adam steps and no tensor leaks', () => {
    manualSeed(2024);
    const B = 6, L = 7, nTokens = 24, nef = 64;
    const text = new TextEncoder({ nTokens, nInput: 32, nHidden: nef });
    const image = new CompactImageEncoder({ ndf: 8, imageSize: 32, gridSize: 4, nef });
    text.train();
    image.train();
    // B distinct random captions, lengths sorted in decreasing order as the packed LSTM needs
    const lens = [7, 6, 6, 5, 4, 3];
    const ids: number[] = [];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
    for (let b = 0; b < B; b++) for (let t = 0; t < L; t++) ids.push(t < lens[b] ? 1 + (next() % (nTokens - 1)) : 0);
    const captions = tensor(ids, [B, L], { dtype: 'int64' });
    const capLens = tensor(lens, [B], { dtype: 'int64' });
    const classIds = tensor([0, 1, 2, 3, 4, 5], [B], { dtype: 'int64' });
    const images = rand([B, 3, 32, 32]).mul(2).sub(1);
    const adam = new Adam([text, image], { lr: 0.002, betas: [0.5, 0.999] });
    const baseline = memory().numTensors;
    const losses: number[] = [];
    for (let step = 0; step < 40; step++) {
      adam.zeroGrad();
      const loss = tidy(() => {
        const { wordsEmb, sentEmb } = text.encode(captions, capLens);
        const { features, cnnCode } = image.encode(images);
        const w = damsmWordsLoss({ imgFeatures: features, wordsEmb, capLens, classIds });
        const s = damsmSentLoss({ cnnCode, sentEmb, classIds });
        const total: Tensor = w.loss0.add(w.loss1).add(s.loss0).add(s.loss1);
        total.backward();
        return total.item();
      });
      adam.step();
      losses.push(loss);
    }
    expect(memory().numTensors).toBe(baseline);
    const first = losses.slice(0, 3).reduce((a, b) => a + b) / 3;
    const last = losses.slice(-3).reduce((a, b) => a + b) / 3;
    console.log(`tiny DAMSM: loss ${first.toFixed(3)} -> ${last.toFixed(3)} in 40 steps`);
    expect(losses.every(Number.isFinite)).toBe(true);
    // four cross entropies over 6 candidates: 4 ln 6 = 7.17 for uniform scores; memorising the
    // 6 pairs takes the sum far below both that and the starting value
    expect(last).toBeLessThan(0.5 * first);
    expect(last).toBeLessThan(0.25 * 4 * Math.log(B));
    dispose([captions, capLens, classIds, images]);
  });
});
