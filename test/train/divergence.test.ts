// SPDX-License-Identifier: MIT
// The divergence guard (issue #18 item 8): an iteration with a NaN/Inf loss or gradient changes
// nothing (no optimizer step, no EMA update, G's BatchNorm statistics put back) and is logged;
// `train.maxNonFiniteSteps` of them in a row stop training with ERR_DIVERGED, naming the loss and
// keeping the last good checkpoint.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MirrorganError } from '../../lib/errors.js';
import { getNumThreads, setNumThreads } from '../../lib/runtime.js';
import { copyInto, dispose, full, maxAbsDiff, type Tensor } from '../../lib/tensor.js';
import { loadSafetensors } from '../../lib/safetensors.js';
import type { Module } from '../../lib/module.js';
import { resolveConfig } from '../../src/config/index.js';
import { textEncoderOptions } from '../../src/config/module_options.js';
import { DataLoader, loadDataset, type Batch, type LoadedDataset } from '../../src/data/index.js';
import { TextEncoder } from '../../src/stem/index.js';
import { listCheckpoints } from '../../src/train/checkpoint.js';
import { GanTrainer, type CaptionLossHook } from '../../src/train/gan_trainer.js';
import { tempFolder } from '../cli/helpers.js';

const threads = getNumThreads();
const tmp = tempFolder('mg-diverge-');
let data: LoadedDataset;
beforeAll(async () => {
  setNumThreads(1);  // a tiny model gains nothing from more, and a busy machine's cores are shared
  data = await loadDataset({ dataset: 'openmoji', openmoji: { limit: 8 }, imageSize: 64, cacheDir: path.join(tmp.dir, 'cache'), progress: false, logger: { warn() {}, info() {} } });
}, 120_000);
afterAll(async () => {
  setNumThreads(threads);
  await data?.close();
  tmp.remove();
});

const SET = ['gan.gfDim=4', 'gan.dfDim=4', 'gan.rNum=1', 'gan.zDim=8', 'gan.conditionDim=8', 'tree.branchNum=1', 'text.embeddingDim=16', 'text.wordsNum=8',
  'train.batchSize=4', 'train.seed=5', 'train.streamWeight=0', 'train.damsmWeight=0', 'train.sampleInterval=1000', 'train.snapshotInterval=2'];

async function trainer(runDir: string, extra: string[] = [], log: string[] = [], captioner?: CaptionLossHook): Promise<GanTrainer> {
  const config = resolveConfig({ preset: 'cpu', set: [...SET, ...extra] });
  const textEncoder = new TextEncoder(textEncoderOptions(config, data.vocabulary.size));
  return GanTrainer.create({
    config, runDir, progress: false, deps: { textEncoder, vocabulary: data.vocabulary, train: data.train, captioner },
    logger: { warn: (m) => log.push(m), info: (m) => log.push(m) },
  });
}

/** Copies of every tensor of the modules' state dicts (weights and BatchNorm statistics). */
function snapshot(modules: Module[]): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  modules.forEach((m, i) => {
    const sd = m.namedStateDict();
    for (const [k, t] of sd) out.set(`${i}.${k}`, t.clone());
    dispose(sd);
  });
  return out;
}

async function changed(a: Map<string, Tensor>, b: Map<string, Tensor>): Promise<string[]> {
  const out: string[] = [];
  for (const [k, t] of a) {
    const x = await t.data();
    const y = await (b.get(k) as Tensor).data();
    if (x.length !== y.length || x.some((v, i) => !Object.is(v, y[i]))) out.push(k);
  }
  return out;
}

async function batches(t: GanTrainer): Promise<Batch[]> {
  const loader = new DataLoader(data.train, { batchSize: 4, imageSizes: t.netG.sizes, wordsNum: 8, seed: 5, prefetch: 0 });
  const out: Batch[] = [];
  for (const epoch of [0, 1]) {
    for await (const b of loader.epoch(epoch)) {
      out.push(b);
      break;
    }
  }
  return out;
}

describe('the divergence guard', () => {
  it('skips an iteration whose input turns NaN whole: no step of any network, no EMA update, statistics restored', async () => {
    const t = await trainer(path.join(tmp.dir, 'input'));
    const [first, second] = await batches(t);
    const modules = () => [t.netG, t.netGEma, ...t.netsD];
    const before = snapshot(modules());
    await t.step({ ...first, images: first.images.map((im) => new Float32Array(im.length).fill(Number.NaN)) });
    expect(t.skipped).toBe("non-finite input (D_NET64: input 'real' contains NaN or Inf)");
    const after = snapshot(modules());
    expect(await changed(before, after)).toEqual([]);  // G's BatchNorm statistics of its forward put back too
    // The next finite batch trains as usual: every network moves.
    await t.step(second);
    expect(t.skipped).toBeNull();
    const moved = await changed(after, snapshot(modules()));
    for (const prefix of ['0.', '1.', '2.']) expect(moved.some((k) => k.startsWith(prefix)), prefix).toBe(true);
    t.dispose();
  });

  it("a NaN loss of G's stops G's step and the EMA update (D's finite steps stay); a NaN gradient behind a finite loss too", async () => {
    let mode: 'nan-loss' | 'nan-gradient' = 'nan-loss';
    // STREAM's stand-in: NaN itself, or sqrt(0 · fakes), finite (0) with a NaN gradient.
    const captioner: CaptionLossHook = { loss: async (fakes) => (mode === 'nan-loss' ? fakes.mean().mul(Number.NaN) : fakes.mul(0).sqrt().sum()) };
    const t = await trainer(path.join(tmp.dir, 'loss'), ['train.streamWeight=1'], [], captioner);
    const [first, second] = await batches(t);
    for (const [m, batch, reason] of [['nan-loss', first, /^loss STREAM = NaN$/], ['nan-gradient', second, /^gradients of G_adv0 \+ KL \+ STREAM \+ G_total \(Adam\.step: gradient of parameter \d+ contains NaN or Inf; the step was skipped\)$/]] as const) {
      mode = m;
      const g = snapshot([t.netG, t.netGEma]);
      const d = snapshot(t.netsD);
      const losses = await t.step(batch);
      expect(t.skipped, m).toMatch(reason);
      expect(Number.isFinite(losses.D0), m).toBe(true);
      expect(await changed(g, snapshot([t.netG, t.netGEma])), m).toEqual([]);
      expect((await changed(d, snapshot(t.netsD))).length, m).toBeGreaterThan(0);
    }
    t.dispose();
  });

  it('stops after train.maxNonFiniteSteps in a row with ERR_DIVERGED, logged, the last good checkpoint kept', async () => {
    const run = path.join(tmp.dir, 'many');
    const log: string[] = [];
    const t = await trainer(run, ['train.maxIterations=8', 'train.maxNonFiniteSteps=2'], log);
    // After the checkpoint of iteration 2, G's weights turn NaN (as a diverged update would leave them).
    const poison = async (_dir: string, iteration: number) => {
      if (iteration !== 2) return;
      const ps = t.netG.parameters();
      const nan = ps.map((p) => full(p.shape, Number.NaN));
      copyInto(ps, nan);
      dispose([ps, nan]);
    };
    const err = await t.run({ onCheckpoint: poison }, { progress: false }).then(() => null, (e: MirrorganError) => e);
    expect(err?.code).toBe('ERR_DIVERGED');
    const reason = "non-finite input (D_NET64: input 'fake' contains NaN or Inf)";
    expect(err?.message).toBe(
      `training diverged: 2 iterations in a row up to iteration 4 had non-finite values (last: ${reason}); no checkpoint of this state was written, ` +
        `the last good one is ${path.join(run, 'checkpoints', 'iter_0000002')}. Lower train.generatorLr / train.discriminatorLr, or check the data and the initial weights`,
    );
    expect((await listCheckpoints(run)).map((c) => c.iteration)).toEqual([2]);
    const records = fs.readFileSync(path.join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.type === 'iteration');
    expect(records.map((r) => [r.iteration, r.skipped ?? null])).toEqual([[1, null], [2, null], [3, reason], [4, reason]]);
    expect(log).toContain(`iteration 3: skipped, ${reason} (1 in a row)`);
    // D did not move after iteration 2, and G's BatchNorm statistics are those of iteration 2.
    const now = path.join(tmp.dir, 'netD0-now.safetensors');
    await t.netsD[0].save(now);
    expect(fs.readFileSync(now).equals(fs.readFileSync(path.join(run, 'checkpoints', 'iter_0000002', 'netD0.safetensors')))).toBe(true);
    const saved = await loadSafetensors(path.join(run, 'checkpoints', 'iter_0000002', 'netG.safetensors'));
    const sd = t.netG.namedStateDict();
    const buffers = [...sd.keys()].filter((k) => k.includes('running_'));
    expect(buffers.length).toBeGreaterThan(0);
    for (const k of buffers) expect(maxAbsDiff(sd.get(k) as Tensor, saved.tensors.get(k) as Tensor), k).toBe(0);
    dispose([sd, saved.tensors]);
    t.dispose();
  });
});
