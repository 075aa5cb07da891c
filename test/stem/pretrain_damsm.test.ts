// SPDX-License-Identifier: MIT
// DAMSM pretraining: clip_grad_norm against hand computations, top-1 retrieval counting, and a
// tiny end-to-end run on an OpenMoji subset (loss falls, files, metrics, resume, determinism).
import { copyFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { clipGradNorm, clipGradNormAsync, dispose, manualSeed, memory, tensor, type Tensor } from '../../lib/index.js';
import { pretrainDamsmCommand } from '../../src/cli/damsm.js';
import { resolveConfig } from '../../src/config/load.js';
import { loadDataset, type LoadedDataset } from '../../src/data/index.js';
import { readMetrics } from '../../src/report/metrics.js';
import { Vocabulary } from '../../src/text/vocabulary.js';
import {
  DAMSM_FILES, pretrainDamsm, TextEncoder, top1Hits,
  type DamsmEpochRecord, type DamsmState, type PretrainDamsmOptions,
} from '../../src/stem/index.js';

/** Leaf tensors whose .grad is exactly `grads[i]` (backward of sum(x * g)). */
function withGrads(grads: number[][]): Tensor[] {
  return grads.map((g) => {
    const x = tensor(g.map(() => 1), [g.length], { requiresGrad: true });
    const w = tensor(g, [g.length]);
    const y = x.mul(w).sum();
    y.backward();
    dispose([w, y]);
    return x;
  });
}

function gradsOf(ts: Tensor[]): number[][] {
  return ts.map((t) => {
    const g = t.grad!;
    const a = g.toArray();
    g.dispose();
    return a;
  });
}

describe('clip_grad_norm (torch.nn.utils.clip_grad_norm_)', () => {
  it('scales all gradients by max_norm / (total + 1e-6) when the total 2-norm is larger', () => {
    const ps = withGrads([[3, 4], [0, 12]]);  // total = sqrt(9 + 16 + 144) = 13
    const total = clipGradNorm(ps, { maxNorm: 1.3 });
    expect(total).toBeCloseTo(13, 5);
    const coef = 1.3 / (13 + 1e-6);
    const got = gradsOf(ps);
    [[3, 4], [0, 12]].forEach((g, i) => g.forEach((v, j) => expect(got[i]![j]).toBeCloseTo(v * coef, 6)));
    // after clipping the norm is max_norm (up to the 1e-6)
    expect(clipGradNorm(ps, { maxNorm: 100 })).toBeCloseTo(1.3, 5);
    dispose(ps);
  });

  it('leaves gradients alone when the norm is within max_norm', () => {
    const ps = withGrads([[0.1, -0.2], [0.2]]);
    expect(clipGradNorm(ps, { maxNorm: 0.5 })).toBeCloseTo(0.3, 6);
    expect(gradsOf(ps)).toEqual([[Math.fround(0.1), Math.fround(-0.2)], [Math.fround(0.2)]]);
    dispose(ps);
  });

  it('supports the 1-norm and the max norm, and skips tensors without a gradient', async () => {
    const ps = withGrads([[1, -2], [3]]);
    const noGrad = tensor([100, 100], [2], { requiresGrad: true });
    expect(await clipGradNormAsync(new Map([['a', ps[0]!], ['b', ps[1]!], ['c', noGrad]]), { maxNorm: 60, normType: 1 })).toBeCloseTo(6, 6);
    expect(clipGradNorm([...ps, noGrad], { maxNorm: 1.5, normType: Infinity })).toBeCloseTo(3, 6);
    const coef = 1.5 / (3 + 1e-6);
    const got = gradsOf(ps);
    expect(got[0]![1]).toBeCloseTo(-2 * coef, 6);
    expect(got[1]![0]).toBeCloseTo(3 * coef, 6);
    expect(noGrad.grad).toBeNull();
    expect(clipGradNorm([noGrad], { maxNorm: 1 })).toBe(0);
    dispose([...ps, noGrad]);
  });

  it('clips a module: the text encoder gradients end with norm max_norm', () => {
    manualSeed(3);
    const enc = new TextEncoder({ nTokens: 20, nInput: 8, nHidden: 8 }).train();
    const caps = tensor([1, 2, 3, 4, 5, 6], [2, 3], { dtype: 'int64' });
    const lens = tensor([3, 3], [2], { dtype: 'int64' });
    const { wordsEmb, sentEmb, mask } = enc.encode(caps, lens);
    const loss = wordsEmb.pow(2).sum().add(sentEmb.sum());
    loss.backward();
    const before = clipGradNorm(enc, { maxNorm: 0.25 });
    expect(before).toBeGreaterThan(0.25);
    expect(clipGradNorm(enc, { maxNorm: 1e9 })).toBeCloseTo(0.25, 5);
    dispose([caps, lens, wordsEmb, sentEmb, mask, loss]);
  });

  it('rejects a bad max_norm or norm type', () => {
    const ps = withGrads([[1]]);
    expect(() => clipGradNorm(ps, { maxNorm: -1 })).toThrow(/maxNorm/);
    expect(() => clipGradNorm(ps, { maxNorm: 1, normType: 0 })).toThrow(/normType/);
    dispose(ps);
  });
});

describe('top1Hits', () => {
  it('counts image->text per row and text->image per column, skipping same-class candidates', () => {
    // rows images, columns captions
    const s = Float32Array.from([
      5, 1, 6,   // image 0: caption 2 wins (a miss) ...
      0, 4, 1,   // image 1: own caption wins
      1, 2, 3,   // image 2: own caption wins
    ]);
    expect(top1Hits(s, 3)).toEqual({ i2t: 2, t2i: 2 });  // caption 0 -> image 0 (5 > 0, 1); caption 1 -> image 1; caption 2 -> image 0 (6 > 3)
    // images 0 and 2 of the same class: their cross pairs are not candidates
    expect(top1Hits(s, 3, [7, 8, 7])).toEqual({ i2t: 3, t2i: 3 });
    // ties are misses
    expect(top1Hits(Float32Array.from([1, 1, 0, 2]), 2)).toEqual({ i2t: 1, t2i: 2 });
  });
});

describe('pretrainDamsm on a tiny OpenMoji subset', () => {
  let root: string;
  let data: LoadedDataset;
  const quiet = { warn: () => undefined, info: () => undefined };
  const base = (outDir: string, epochs: number, extra: Partial<PretrainDamsmOptions> = {}): PretrainDamsmOptions => ({
    outDir,
    config: resolveConfig({ preset: 'cpu', set: [`damsm.epochs=${epochs}`, 'damsm.batchSize=8', 'text.embeddingDim=32', 'train.seed=7'] }),
    dataset: data,
    compactEncoder: { ndf: 8 },
    textEncoder: { nInput: 16 },
    progress: false,
    logger: quiet,
    ...extra,
  });
  const records: Record<string, DamsmEpochRecord[]> = {};

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mg-damsm-'));
    data = await loadDataset({ dataset: 'openmoji', openmoji: { limit: 40, testFraction: 0.25 }, imageSize: 64, cacheDir: join(root, 'cache'), progress: false, logger: quiet });
  });
  afterAll(async () => {
    await data?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('trains 2 epochs: the loss falls and every file is written', async () => {
    const out = join(root, 'a');
    const seen: number[] = [];
    const live = memory().numTensors;
    const s = await pretrainDamsm(base(out, 2), { onIteration: (i) => void seen.push(i.loss.total) });
    expect(memory().numTensors).toBe(live);  // every tensor of every iteration and validation freed
    records.a = s.final ? [...JSON.parse(await readFile(join(out, DAMSM_FILES.state), 'utf8')).history] : [];
    expect(data.train.size).toBeGreaterThanOrEqual(24);
    expect(s).toMatchObject({ epochs: 2, epochsRun: 2, stopped: false });
    const perEpoch = Math.floor(data.train.size / 8);
    expect(s.iterations).toBe(2 * perEpoch);
    expect(seen).toHaveLength(2 * perEpoch);
    const [e1, e2] = records.a as [DamsmEpochRecord, DamsmEpochRecord];
    expect(e2.loss.total).toBeLessThan(e1.loss.total);
    expect(e1.lr).toBe(0.002);
    expect(e2.lr).toBeCloseTo(0.002 * 0.98, 12);
    for (const r of [e1, e2]) {
      expect(r.loss.total).toBeCloseTo(r.loss.w0 + r.loss.w1 + r.loss.s0 + r.loss.s1, 4);
      expect(r.val).not.toBeNull();
      // One validation batch of 8 is the whole pool of 8: both retrieval paths (the sentence-loss
      // matrix per batch, the pool's cosine matrix) must find the same top-1 hits.
      expect([r.val!.batches, r.val!.batch_size, r.val!.pool_size]).toEqual([1, 8, 8]);
      expect(r.val!.pool_r1_t2i).toBe(r.val!.r1_t2i);
      expect(r.val!.pool_r1_i2t).toBe(r.val!.r1_i2t);
      expect(Number.isInteger(r.val!.r1_t2i * 8) && Number.isInteger(r.val!.r1_i2t * 8)).toBe(true);
      expect(Number.isFinite(r.val!.loss)).toBe(true);
    }
    for (const f of Object.values(DAMSM_FILES).filter((f) => f !== DAMSM_FILES.optimizer)) expect((await stat(join(out, f))).size).toBeGreaterThan(0);
    await expect(stat(join(out, `${DAMSM_FILES.textEncoder}.pending`))).rejects.toThrow();
    // the vocabulary and config saved beside the weights
    const vocab = Vocabulary.fromJSON(JSON.parse(await readFile(join(out, DAMSM_FILES.vocabulary), 'utf8')));
    expect(vocab.size).toBe(data.vocabulary.size);
    expect(JSON.parse(await readFile(join(out, DAMSM_FILES.config), 'utf8')).damsm.batchSize).toBe(8);
    // the weights load into a fresh encoder
    const state = JSON.parse(await readFile(join(out, DAMSM_FILES.state), 'utf8')) as DamsmState;
    expect(state).toMatchObject({ format: 'mirrorgan-damsm-state', epoch: 2, iteration: 2 * perEpoch });
    const { metadata } = await new TextEncoder(state.textEncoder).load(join(out, DAMSM_FILES.textEncoder));
    expect(metadata.epoch).toBe('2');
    // metrics.jsonl: one pretrain line per epoch, in the report reader's terms too
    const lines = (await readFile(join(out, DAMSM_FILES.metrics), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.type, l.phase, l.epoch])).toEqual([['pretrain', 'damsm', 1], ['pretrain', 'damsm', 2]]);
    for (const l of lines) {
      expect(Object.keys(l.loss).sort()).toEqual(['s0', 's1', 'total', 'w0', 'w1']);
      expect(typeof l.val.loss).toBe('number');
      expect(typeof l.val.r1_t2i).toBe('number');
      expect(typeof l.val.r1_i2t).toBe('number');
      expect(typeof l.time).toBe('number');
      expect(typeof l.elapsed).toBe('number');
      expect(typeof l.lr).toBe('number');
    }
    const parsed = await readMetrics(join(out, DAMSM_FILES.metrics));
    expect(parsed.pretrain.map((p) => p.epoch)).toEqual([1, 2]);
    expect(parsed.skippedLines).toBe(0);
  });

  it('resumes from epoch 2 and retraces an uninterrupted run; the same seed gives the same losses', async () => {
    const out = join(root, 'a');
    // a half-written commit of a later epoch must be discarded
    await writeFile(join(out, `${DAMSM_FILES.textEncoder}.pending`), 'garbage');
    // ... and one of the committed epoch completes its commit (a crash between the state file and the rename)
    await copyFile(join(out, DAMSM_FILES.imageEncoder), join(out, `${DAMSM_FILES.imageEncoder}.pending`));
    await writeFile(join(out, DAMSM_FILES.imageEncoder), 'stale');
    const resumed = await pretrainDamsm(base(out, 3, { resume: true }));
    expect(resumed).toMatchObject({ epochs: 3, epochsRun: 1 });
    await expect(stat(join(out, `${DAMSM_FILES.textEncoder}.pending`))).rejects.toThrow();
    await expect(stat(join(out, `${DAMSM_FILES.imageEncoder}.pending`))).rejects.toThrow();
    const lines = (await readFile(join(out, DAMSM_FILES.metrics), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.epoch)).toEqual([1, 2, 3]);

    const straight = await pretrainDamsm(base(join(root, 'b'), 3));
    const b = (JSON.parse(await readFile(join(root, 'b', DAMSM_FILES.state), 'utf8')) as DamsmState).history;
    // same seed, same first epoch
    expect(b[0]!.loss.total).toBeCloseTo(records.a![0]!.loss.total, 5);
    // resumed epoch 3 == uninterrupted epoch 3 (fresh Adam per epoch, per-iteration seeds)
    expect(resumed.final!.loss.total).toBeCloseTo(straight.final!.loss.total, 4);
    expect(resumed.final!.val!.loss).toBeCloseTo(straight.final!.val!.loss, 4);
    expect(resumed.lr).toBeCloseTo(straight.lr, 12);

    // nothing left to do: returns the folder's summary without training
    const again = await pretrainDamsm(base(out, 3, { resume: true }));
    expect(again).toMatchObject({ epochs: 3, epochsRun: 0 });
    expect(again.final!.epoch).toBe(3);
  });

  it('stops on an abort signal and keeps the last completed epoch', async () => {
    const aborted = new AbortController();
    aborted.abort();
    const s = await pretrainDamsm(base(join(root, 'd'), 3, { signal: aborted.signal }));
    expect(s).toMatchObject({ epochs: 0, epochsRun: 0, stopped: true, final: null });
    const ac = new AbortController();
    const s2 = await pretrainDamsm(base(join(root, 'e'), 3, { signal: ac.signal }), { onEpoch: () => ac.abort() });
    expect(s2).toMatchObject({ epochs: 1, epochsRun: 1, stopped: true });
    expect((JSON.parse(await readFile(join(root, 'e', DAMSM_FILES.state), 'utf8')) as DamsmState).epoch).toBe(1);
  });

  it('runs from the command line', async () => {
    const out = join(root, 'cli');
    const chunks: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((c: string | Uint8Array) => (chunks.push(String(c)), true)) as typeof process.stdout.write;
    const errWrite = process.stderr.write.bind(process.stderr);
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      await pretrainDamsmCommand().exitOverride().parseAsync([
        '--preset', 'cpu', '--set', 'dataset.limit=40', '--set', `dataset.cacheDir=${join(root, 'cache')}`,
        '--set', 'damsm.batchSize=8', '--set', 'text.embeddingDim=32', '--epochs', '1', '--out', out, '--no-progress',
      ], { from: 'user' });
    } finally {
      process.stdout.write = write;
      process.stderr.write = errWrite;
    }
    const line = chunks.join('');
    expect(line).toMatch(/^damsm: 1 epoch \(1 this run\) in .*R@1 text→image [\d.]+% image→text [\d.]+%/);
    const state = JSON.parse(await readFile(join(out, DAMSM_FILES.state), 'utf8')) as DamsmState;
    expect(state.epoch).toBe(1);
    expect(JSON.parse(await readFile(join(out, DAMSM_FILES.config), 'utf8')).damsm.epochs).toBe(1);
  });
});
