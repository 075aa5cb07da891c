// SPDX-License-Identifier: MIT
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';
import { dispose, maxAbsDiff, randn, saveSafetensors, tensor, type Tensor } from '../../lib/index.js';
import { CaptionEncoder, captionCnnKeyFromTorchvision } from '../../src/stream/index.js';

describe('CAPTION_CNN (ResNet-152 trunk, reference §9.5)', () => {
  it('has the official 937 keys and 58,668,864 parameters, the trunk frozen', () => {
    const enc = new CaptionEncoder({ arch: 'resnet152' });
    expect(enc.kind).toBe('CAPTION_CNN');
    const sd = enc.namedStateDict();
    const keys = [...sd.keys()];
    expect(keys.length).toBe(937);
    const shape = (k: string): number[] => sd.get(k)!.shape;
    expect(shape('resnet.0.weight')).toEqual([64, 3, 7, 7]);
    expect(shape('resnet.1.running_var')).toEqual([64]);
    expect(shape('resnet.4.0.conv1.weight')).toEqual([64, 64, 1, 1]);
    expect(shape('resnet.4.0.downsample.0.weight')).toEqual([256, 64, 1, 1]);
    expect(shape('resnet.5.0.conv2.weight')).toEqual([128, 128, 3, 3]);
    expect(shape('resnet.5.7.conv3.weight')).toEqual([512, 128, 1, 1]);
    expect(shape('resnet.6.35.bn3.weight')).toEqual([1024]);
    expect(shape('resnet.7.0.downsample.1.running_mean')).toEqual([2048]);
    expect(shape('resnet.7.2.conv1.weight')).toEqual([512, 2048, 1, 1]);
    expect(shape('linear.weight')).toEqual([256, 2048]);
    expect(shape('bn.num_batches_tracked')).toEqual([]);
    expect(keys.slice(-7)).toEqual(['linear.weight', 'linear.bias', 'bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked']);
    expect(keys.some((k) => k.includes('.downsample.') && !/^resnet\.[4-7]\.0\./.test(k))).toBe(false);
    expect(enc.numParameters()).toBe(58_668_864);
    const trainable = [...enc.namedParameters()].filter(([, p]) => p.requiresGrad).map(([k]) => k);
    expect(trainable).toEqual(['linear.weight', 'linear.bias', 'bn.weight', 'bn.bias']);
    // torchvision names map onto these keys
    expect(captionCnnKeyFromTorchvision('conv1.weight')).toBe('resnet.0.weight');
    expect(captionCnnKeyFromTorchvision('layer3.35.bn3.weight')).toBe('resnet.6.35.bn3.weight');
    expect(captionCnnKeyFromTorchvision('fc.bias')).toBeNull();
    for (const k of ['layer1.0.downsample.1.running_var', 'bn1.num_batches_tracked']) expect(sd.has(captionCnnKeyFromTorchvision(k)!)).toBe(true);
    dispose(sd);
  });

  it('loads ImageNet trunk weights from a torchvision-named state dict, keeping the head', async () => {
    const source = new CaptionEncoder({ arch: 'resnet152' });
    const sd = source.namedStateDict();
    // the inverse of captionCnnKeyFromTorchvision, plus the classifier CAPTION_CNN drops
    const layer = (n: string): string => (n === '0' ? 'conv1' : n === '1' ? 'bn1' : `layer${Number(n) - 3}`);
    const torchvision = new Map<string, Tensor>();
    for (const [k, t] of sd) {
      const m = /^resnet\.(\d)\.(.*)$/.exec(k);
      if (m) torchvision.set(`${layer(m[1]!)}.${m[2]}`, t);
    }
    torchvision.set('fc.weight', tensor(new Float32Array(10 * 2048), [10, 2048]));
    const dir = mkdtempSync(join(tmpdir(), 'mg-resnet-'));
    try {
      const file = join(dir, 'resnet152.safetensors');
      await saveSafetensors(file, torchvision);
      torchvision.get('fc.weight')!.dispose();  // the other entries are sd's own tensors
      const target = new CaptionEncoder({ arch: 'resnet152' });
      const headBefore = target.namedStateDict().get('linear.weight')!;
      await target.loadTorchvisionTrunk(file);
      const got = target.namedStateDict();
      for (const k of ['resnet.0.weight', 'resnet.6.35.conv3.weight', 'resnet.7.0.downsample.1.running_var']) {
        expect(maxAbsDiff(got.get(k)!, sd.get(k)!), k).toBe(0);
      }
      expect(maxAbsDiff(got.get('linear.weight')!, headBefore)).toBe(0);
      expect(maxAbsDiff(got.get('linear.weight')!, sd.get('linear.weight')!)).toBeGreaterThan(0);
      dispose([got, headBefore]);
      await expect(new CaptionEncoder({ arch: 'compact' }).loadTorchvisionTrunk(file)).rejects.toThrow(/resnet152/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      dispose(sd);
    }
  });

  it('maps a small image to 256-d features with gradients to the image only', () => {
    const enc = new CaptionEncoder({ arch: 'resnet152', imageSize: 32 });  // 32 px keeps the check cheap
    const images = randn([2, 3, 40, 40]);
    images.requiresGrad = true;
    const f = enc.encode(images);
    expect(f.shape).toEqual([2, 256]);
    f.sum().mul(f.sum()).backward();
    expect(images.grad!.abs().sum().item()).toBeGreaterThan(0);
    const params = enc.namedParameters();
    expect(params.get('resnet.0.weight')!.grad).toBeNull();
    expect(params.get('linear.weight')!.grad).not.toBeNull();
    dispose([images, f, params]);
  });
});

describe('CAPTION_CNN_COMPACT', () => {
  it('has a small trunk and the same head and output', () => {
    const enc = new CaptionEncoder({ arch: 'compact' });
    expect(enc.kind).toBe('CAPTION_CNN_COMPACT');
    const sd = enc.namedStateDict();
    expect(sd.get('cnn.0.weight')!.shape).toEqual([32, 3, 3, 3]);
    expect(sd.get('cnn.9.weight')!.shape).toEqual([256, 128, 3, 3]);
    expect(sd.get('linear.weight')!.shape).toEqual([256, 256]);
    expect(sd.get('bn.running_var')!.shape).toEqual([256]);
    expect(enc.numParameters()).toBeLessThan(500_000);
    const f = enc.eval().encode(randn([3, 3, 128, 128]), { grad: false });
    expect(f.shape).toEqual([3, 256]);
    dispose([sd, f]);
  });

  it("normalises its input as configured: 'none' differs from 'imagenet' for the same weights", () => {
    const a = new CaptionEncoder({ arch: 'compact', inputNorm: 'imagenet' }).eval();
    const b = new CaptionEncoder({ arch: 'compact', inputNorm: 'none' }).eval();
    const sd = a.namedStateDict();
    b.loadStateDict(sd);
    const x = tensor(new Array(3 * 64 * 64).fill(0.5), [1, 3, 64, 64]);
    const fa = a.encode(x, { grad: false }), fb = b.encode(x, { grad: false });
    expect(fa.sub(fb).abs().sum().item()).toBeGreaterThan(1e-3);
    // the 'imagenet' encoder equals the 'none' one fed ((x + 1) / 2 - mean) / std by hand
    const mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225];
    const byHand = tensor(Array.from({ length: 3 * 64 * 64 }, (_, i) => {
      const c = Math.floor(i / (64 * 64));
      return (0.75 - mean[c]!) / std[c]!;
    }), [1, 3, 64, 64]);
    const fh = b.encode(byHand, { grad: false });
    expect(fa.sub(fh).abs().sum().item()).toBeLessThan(1e-3);
    dispose([byHand, fh]);
    expect(() => new CaptionEncoder({ inputNorm: 'zscore' as never })).toThrow(/'imagenet' or 'none'/);
    dispose([sd, x, fa, fb]);
  });
});
