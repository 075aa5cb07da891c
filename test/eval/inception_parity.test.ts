// SPDX-License-Identifier: MIT
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispose, loadSafetensors, maxAbsDiff, saveSafetensors, tensor, tidy, type Tensor } from '../../lib/index.js';
import type { Module } from '../../lib/module.js';
import { FidInceptionV3, InceptionV3, loadInceptionWeights, INCEPTION_WEIGHTS } from '../../src/eval/inception.js';
import { formulaTensor } from '../helpers/formula_weights.js';
import { repoRoot, worstOutputViolation } from '../helpers/parity.js';

const FIXTURE = path.join(repoRoot, 'test', 'fixtures', 'inception');

/** Fills every parameter and buffer with the fixture's formula; the load is strict. */
function loadFormula(net: Module): number {
  const sd = net.namedStateDict();
  const weights = new Map([...sd].map(([k, t]) => [k, formulaTensor(k, t.shape)]));
  dispose(sd);
  expect(net.loadStateDict(weights)).toEqual({ missing: [], unexpected: [] });
  dispose(weights);
  net.eval();
  return weights.size;
}

/** uint8 images -> float32 in [0, 1], as the fixture script's u8.float() / 255. */
function unit(u8: Tensor): Tensor {
  return u8.to('float32').div(255);
}

describe('Inception-v3 parity with torchvision 0.14 and pytorch-fid (inception fixture)', () => {
  let fx: Map<string, Tensor>;
  let sidecar: { state_dict_keys: { is: number; fid: number } };
  beforeAll(async () => {
    ({ tensors: fx } = await loadSafetensors(path.join(FIXTURE, 'inception.safetensors')));
    sidecar = JSON.parse(fs.readFileSync(path.join(FIXTURE, 'inception.json'), 'utf8'));
  });
  afterAll(() => dispose(fx));

  it('INCEPTION_V3: torchvision inception_v3 (transform_input) logits and pool features of ImageNet-normalised 299 px images', () => {
    const net = new InceptionV3();
    expect(loadFormula(net)).toBe(sidecar.state_dict_keys.is);
    tidy(() => {
      const mean = tensor([0.485, 0.456, 0.406], [1, 3, 1, 1]);
      const std = tensor([0.229, 0.224, 0.225], [1, 3, 1, 1]);
      const { logits, pool } = net.classify(unit(fx.get('in.images299')!).sub(mean).div(std), { grad: false });
      expect(logits.shape).toEqual([3, 1000]);
      expect(pool.shape).toEqual([3, 2048]);
      expect(worstOutputViolation(logits, fx.get('out.is.logits')!)).toBe(0);
      expect(worstOutputViolation(pool, fx.get('out.is.pool')!)).toBe(0);
      console.log(`inception parity (torchvision): max |diff| logits ${maxAbsDiff(logits, fx.get('out.is.logits')!).toExponential(2)}, pool ${maxAbsDiff(pool, fx.get('out.is.pool')!).toExponential(2)}`);
      // The evaluator's own path: images in [-1, 1], normalised inside classifyImages.
      const viaImages = net.classifyImages(unit(fx.get('in.images299')!).mul(2).sub(1));
      expect(worstOutputViolation(viaImages.logits, fx.get('out.is.logits')!)).toBe(0);
    });
  });

  it('FID_INCEPTION_V3: pytorch-fid pool3 features and 1008 logits, at 299 px and resized from 128 px inside', () => {
    const net = new FidInceptionV3();
    expect(loadFormula(net)).toBe(sidecar.state_dict_keys.fid);
    tidy(() => {
      const a = net.features(unit(fx.get('in.images299')!), { grad: false });
      const b = net.features(unit(fx.get('in.images128')!), { grad: false });
      expect(a.pool.shape).toEqual([3, 2048]);
      expect(b.logits.shape).toEqual([2, 1008]);
      const want = { logits: fx.get('out.fid.logits')!, pool: fx.get('out.fid.pool')! };
      const rows = (t: Tensor, from: number, n: number) => t.indexSelect(0, tensor(BigInt64Array.from({ length: n }, (_, i) => BigInt(from + i)), [n]));
      expect(worstOutputViolation(a.pool, rows(want.pool, 0, 3))).toBe(0);
      expect(worstOutputViolation(a.logits, rows(want.logits, 0, 3))).toBe(0);
      expect(worstOutputViolation(b.pool, rows(want.pool, 3, 2))).toBe(0);
      expect(worstOutputViolation(b.logits, rows(want.logits, 3, 2))).toBe(0);
      console.log(`inception parity (pytorch-fid): max |diff| pool ${maxAbsDiff(a.pool, rows(want.pool, 0, 3)).toExponential(2)}, resized pool ${maxAbsDiff(b.pool, rows(want.pool, 3, 2)).toExponential(2)}`);
      const viaImages = net.featuresOfImages(unit(fx.get('in.images128')!).mul(2).sub(1));
      expect(worstOutputViolation(viaImages.pool, rows(want.pool, 3, 2))).toBe(0);
    });
  });

  it('tells the variants apart: under the same trunk weights, torchvision\'s blocks give other pool features than the FID blocks', () => {
    // out.is.pool saw the same [-1, 1] input as out.fid.pool's first rows (transform_input undoes
    // the normalisation), through identically named, identically filled layers: only the
    // branch_pool pooling of the FID blocks differs, and that moves the features far past the tolerance.
    const fid = fx.get('out.fid.pool')!.indexSelect(0, tensor(BigInt64Array.from([0n, 1n, 2n]), [3]));
    expect(worstOutputViolation(fx.get('out.is.pool')!, fid)).toBeGreaterThan(1e-2);
    fid.dispose();
  });
});

describe('Inception weights', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-inception-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a missing file names the published .pth and the conversion command', async () => {
    const file = path.join(dir, INCEPTION_WEIGHTS.fid.file);
    await expect(loadInceptionWeights('fid', file)).rejects.toMatchObject({
      code: 'ERR_FILE',
      message: expect.stringContaining(`python3 scripts/pth2safetensors.py pt_inception-2015-12-05-6726825d.pth ${file}`),
    });
    await expect(loadInceptionWeights('is', path.join(dir, 'x.safetensors'))).rejects.toThrow(/inception_v3_google-0cc3c7bd\.pth/);
  });

  it('loads a torchvision checkpoint with its AuxLogits keys, and refuses other leftovers', async () => {
    const net = new InceptionV3();
    const sd = net.namedStateDict();
    const file = path.join(dir, 'tv.safetensors');
    await saveSafetensors(file, new Map([...sd, ['AuxLogits.fc.weight', tensor(new Float32Array(4), [1, 4])]]));
    const loaded = await loadInceptionWeights('is', file);
    expect(loaded.training).toBe(false);
    const bad = path.join(dir, 'bad.safetensors');
    await saveSafetensors(bad, new Map([...sd, ['head.weight', tensor(new Float32Array(4), [1, 4])]]));
    await expect(loadInceptionWeights('is', bad)).rejects.toMatchObject({ code: 'ERR_STATE_DICT', message: expect.stringContaining('head.weight') });
    // the IS checkpoint is not the FID network's (fc has 1000 rows, not 1008)
    await expect(loadInceptionWeights('fid', file)).rejects.toMatchObject({ code: 'ERR_STATE_DICT' });
    dispose(sd);
  });
});
