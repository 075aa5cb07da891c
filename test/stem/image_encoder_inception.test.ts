// SPDX-License-Identifier: MIT
import { describe, expect, it } from 'vitest';
import { dispose, manualSeed, rand, tidy } from '../../lib/index.js';
import { InceptionImageEncoder } from '../../src/stem/index.js';

/** Conv weight shape of every BasicConv2d, from reference §9.4 (torchvision Inception-v3). */
function referenceConvShapes(): Map<string, number[]> {
  const m = new Map<string, number[]>();
  const add = (path: string, out: number, inp: number, kh: number, kw = kh) => m.set(`${path}.conv.weight`, [out, inp, kh, kw]);
  add('Conv2d_1a_3x3', 32, 3, 3);
  add('Conv2d_2a_3x3', 32, 32, 3);
  add('Conv2d_2b_3x3', 64, 32, 3);
  add('Conv2d_3b_1x1', 80, 64, 1);
  add('Conv2d_4a_3x3', 192, 80, 3);
  for (const [name, inp, pool] of [['Mixed_5b', 192, 32], ['Mixed_5c', 256, 64], ['Mixed_5d', 288, 64]] as const) {
    add(`${name}.branch1x1`, 64, inp, 1);
    add(`${name}.branch5x5_1`, 48, inp, 1);
    add(`${name}.branch5x5_2`, 64, 48, 5);
    add(`${name}.branch3x3dbl_1`, 64, inp, 1);
    add(`${name}.branch3x3dbl_2`, 96, 64, 3);
    add(`${name}.branch3x3dbl_3`, 96, 96, 3);
    add(`${name}.branch_pool`, pool, inp, 1);
  }
  add('Mixed_6a.branch3x3', 384, 288, 3);
  add('Mixed_6a.branch3x3dbl_1', 64, 288, 1);
  add('Mixed_6a.branch3x3dbl_2', 96, 64, 3);
  add('Mixed_6a.branch3x3dbl_3', 96, 96, 3);
  for (const [name, c7] of [['Mixed_6b', 128], ['Mixed_6c', 160], ['Mixed_6d', 160], ['Mixed_6e', 192]] as const) {
    add(`${name}.branch1x1`, 192, 768, 1);
    add(`${name}.branch7x7_1`, c7, 768, 1);
    add(`${name}.branch7x7_2`, c7, c7, 1, 7);
    add(`${name}.branch7x7_3`, 192, c7, 7, 1);
    add(`${name}.branch7x7dbl_1`, c7, 768, 1);
    add(`${name}.branch7x7dbl_2`, c7, c7, 7, 1);
    add(`${name}.branch7x7dbl_3`, c7, c7, 1, 7);
    add(`${name}.branch7x7dbl_4`, c7, c7, 7, 1);
    add(`${name}.branch7x7dbl_5`, 192, c7, 1, 7);
    add(`${name}.branch_pool`, 192, 768, 1);
  }
  add('Mixed_7a.branch3x3_1', 192, 768, 1);
  add('Mixed_7a.branch3x3_2', 320, 192, 3);
  add('Mixed_7a.branch7x7x3_1', 192, 768, 1);
  add('Mixed_7a.branch7x7x3_2', 192, 192, 1, 7);
  add('Mixed_7a.branch7x7x3_3', 192, 192, 7, 1);
  add('Mixed_7a.branch7x7x3_4', 192, 192, 3);
  for (const [name, inp] of [['Mixed_7b', 1280], ['Mixed_7c', 2048]] as const) {
    add(`${name}.branch1x1`, 320, inp, 1);
    add(`${name}.branch3x3_1`, 384, inp, 1);
    add(`${name}.branch3x3_2a`, 384, 384, 1, 3);
    add(`${name}.branch3x3_2b`, 384, 384, 3, 1);
    add(`${name}.branch3x3dbl_1`, 448, inp, 1);
    add(`${name}.branch3x3dbl_2`, 384, 448, 3);
    add(`${name}.branch3x3dbl_3a`, 384, 384, 1, 3);
    add(`${name}.branch3x3dbl_3b`, 384, 384, 3, 1);
    add(`${name}.branch_pool`, 192, inp, 1);
  }
  return m;
}

describe('CNN_ENCODER (Inception-v3 DAMSM image encoder)', () => {
  const enc = new InceptionImageEncoder();

  it('has the official 567 keys, shapes and 22,506,720 parameters (reference §9.4)', () => {
    const sd = enc.namedStateDict();
    const expected = new Map<string, number[]>();
    for (const [key, shape] of referenceConvShapes()) {
      const path = key.slice(0, -'.conv.weight'.length);
      expected.set(key, shape);
      for (const b of ['weight', 'bias', 'running_mean', 'running_var']) expected.set(`${path}.bn.${b}`, [shape[0]]);
      expected.set(`${path}.bn.num_batches_tracked`, []);
    }
    expected.set('emb_features.weight', [256, 768, 1, 1]);
    expected.set('emb_cnn_code.weight', [256, 2048]);
    expected.set('emb_cnn_code.bias', [256]);
    expect(referenceConvShapes().size).toBe(94);
    expect(sd.size).toBe(567);
    // same keys in the same (registration) order, same shapes
    expect([...sd.keys()]).toEqual([...expected.keys()]);
    for (const [k, t] of sd) expect(t.shape, k).toEqual(expected.get(k));
    expect(enc.numParameters()).toBe(22_506_720);
    dispose(sd);
  });

  it('freezes the trunk: only emb_features and emb_cnn_code (721,152 parameters) are trainable, init U(-0.1, 0.1)', () => {
    const params = enc.namedParameters();
    let trainable = 0;
    for (const [k, p] of params) {
      const isEmb = k.startsWith('emb_');
      expect(p.requiresGrad, k).toBe(isEmb);
      if (isEmb) trainable += p.size;
    }
    expect(trainable).toBe(721_152);
    for (const k of ['emb_features.weight', 'emb_cnn_code.weight']) {
      const v = params.get(k)!.toArray();
      const lo = v.reduce((a, b) => Math.min(a, b), Infinity);
      const hi = v.reduce((a, b) => Math.max(a, b), -Infinity);
      expect(lo, k).toBeGreaterThanOrEqual(Math.fround(-0.1));  // float32 bounds of U(-0.1, 0.1)
      expect(hi, k).toBeLessThanOrEqual(Math.fround(0.1));
      expect(hi - lo, k).toBeGreaterThan(0.19);
    }
    dispose(params);
  });

  it('maps any image size to 256 x 17 x 17 regions and a 256-d code; gradients reach only the embeddings', () => {
    manualSeed(21);
    enc.train();
    tidy(() => {
      const images = rand([2, 3, 64, 64]).mul(2).sub(1);
      images.requiresGrad = true;
      const { features, cnnCode } = enc.encode(images);
      expect(features.shape).toEqual([2, 256, 17, 17]);
      expect(cnnCode.shape).toEqual([2, 256]);
      expect(features.allFinite() && cnnCode.allFinite()).toBe(true);
      features.mean().add(cnnCode.pow(2).mean()).backward();
      // the frozen trunk still back-propagates to the input (as in the official module)
      expect(images.grad).not.toBeNull();
    });
    const params = enc.namedParameters();
    for (const [k, p] of params) {
      const g = p.grad;
      if (k.startsWith('emb_')) {
        expect(g, k).not.toBeNull();
        expect(g!.abs().sum().item(), k).toBeGreaterThan(0);
      } else {
        expect(g, k).toBeNull();
      }
      g?.dispose();
    }
    dispose(params);
    enc.zeroGrad();
    // as in official pretraining, train() lets the frozen trunk's BatchNorm update its statistics
    const sd = enc.namedStateDict();
    expect(sd.get('Mixed_7c.branch_pool.bn.num_batches_tracked')!.item()).toBe(1);
    expect(sd.get('Conv2d_1a_3x3.bn.running_mean')!.abs().sum().item()).toBeGreaterThan(0);
    dispose(sd);
  });
});
