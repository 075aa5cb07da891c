// SPDX-License-Identifier: MIT
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispose, maxAbsDiff, Module, type Tensor } from '../../lib/index.js';
import { settledTensorCount } from '../helpers/memory.js';
import { resolveConfig } from '../../src/config/index.js';
import { DataLoader, loadDataset, type LoadedDataset } from '../../src/data/index.js';
import { Discriminator, Generator } from '../../src/glam/index.js';
import { generatorOptions, textEncoderOptions } from '../../src/config/module_options.js';
import { MirrorGAN } from '../../src/model/mirrorgan.js';
import { TextEncoder } from '../../src/stem/index.js';
import { emaDecayAt, GanTrainer, type CaptionLossHook } from '../../src/train/gan_trainer.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-train-'));
let data: LoadedDataset;

beforeAll(async () => {
  data = await loadDataset({ dataset: 'openmoji', openmoji: { limit: 8 }, imageSize: 128, cacheDir: path.join(tmp, 'cache'), progress: false, logger: { warn() {}, info() {} } as never });
}, 120_000);
afterAll(async () => {
  await data?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function tinyConfig(extra: string[] = []) {
  return resolveConfig({
    preset: 'cpu',
    set: ['gan.gfDim=4', 'gan.dfDim=4', 'gan.rNum=1', 'tree.branchNum=2', 'train.batchSize=4', 'train.maxIterations=6',
      'train.sampleInterval=3', 'train.snapshotInterval=2', 'text.wordsNum=8', 'train.seed=5', ...extra],
  });
}

function encoder(): TextEncoder {
  return new TextEncoder({ nTokens: data.vocabulary.size });
}

describe('GLAM structure at the official birds config', () => {
  it('G_NET: 105 keys and 7,105,392 parameters; D_NET64/128/256: 29/41/53 keys', () => {
    const g = new Generator({ gfDim: 32, branchNum: 3 });
    expect(g.namedStateDict().size).toBe(105);
    expect(g.numParameters()).toBe(7_105_392);
    const counts = { 64: [29, 6_313_730], 128: [41, 19_424_002], 256: [53, 71_858_946] } as const;
    for (const size of [64, 128, 256] as const) {
      const d = new Module(`D_NET${size}`, { dfDim: 64, efDim: 256, bJcu: true, officialInit: false });
      expect(d.namedStateDict().size, `D_NET${size} keys`).toBe(counts[size][0]);
      expect(d.numParameters(), `D_NET${size} params`).toBe(counts[size][1]);
    }
  });

  it('output shapes per stage and attention maps that sum to 1 over words', () => {
    const enc = encoder().eval();
    const loader = new DataLoader(data.train, { batchSize: 2, imageSizes: [64, 128], wordsNum: 8, prefetch: 0 });
    return (async () => {
      for await (const batch of loader.epoch(0)) {
        const { batchTensors } = await import('../../src/train/batch_tensors.js');
        const bt = batchTensors(batch, [64, 128]);
        const text = enc.encode(bt.captions, bt.capLens, { grad: false });
        const g = new Generator({ gfDim: 4, branchNum: 2 });
        const { randn } = await import('../../lib/index.js');
        const out = g.generate({ z: randn([2, 100]), sentEmb: text.sentEmb, wordsEmb: text.wordsEmb, mask: text.mask });
        expect(out.images.map((t) => t.shape)).toEqual([[2, 3, 64, 64], [2, 3, 128, 128]]);
        expect(out.attention[0].shape).toEqual([2, batch.maxLength, 64, 64]);
        for (const s of out.attention[0].sum([1]).toArray().slice(0, 100)) expect(s).toBeCloseTo(1, 5);
        dispose([bt, text, out]);
        break;
      }
    })();
  });
});

describe('GanTrainer', () => {
  it('trains a tiny configuration: losses move, samples change, files are written, no leaks', async () => {
    const runDir = path.join(tmp, 'run-a');
    const config = tinyConfig();
    const hookCalls: number[] = [];
    // A stand-in for STREAM: a differentiable function of the fakes, so G gets its gradient.
    const captioner: CaptionLossHook = {
      async loss(fakes: Tensor) {
        hookCalls.push(fakes.shape[3]);
        return fakes.mul(fakes).mean();  // unweighted: the trainer applies train.streamWeight
      },
    };
    const probes = ['an emoji', 'emoji'];
    const trainer = await GanTrainer.create({
      config, runDir, deps: { textEncoder: encoder(), vocabulary: data.vocabulary, train: data.train, test: data.test, captioner, sampleCaptions: probes }, progress: false,
    });
    const g0 = trainer.netG.namedParameters().get('h_net1.fc.0.weight')!.clone();
    const d0 = trainer.netsD[1].namedParameters().get('img_code_s16.0.weight')!.clone();
    const seen: Record<string, number>[] = [];
    const summary = await trainer.run({ onIteration: (i) => void seen.push(i.losses) }, { progress: false });
    expect(summary.iterations).toBe(6);
    expect(seen).toHaveLength(6);
    for (const l of seen) {
      for (const k of ['D0', 'D1', 'G_adv0', 'G_adv1', 'KL', 'STREAM', 'G_total']) expect(Number.isFinite(l[k]), k).toBe(true);
    }
    expect(hookCalls.every((s) => s === 128)).toBe(true);  // STREAM sees the last stage
    // both networks moved
    expect(maxAbsDiff(g0, trainer.netG.namedParameters().get('h_net1.fc.0.weight')!)).toBeGreaterThan(0);
    expect(maxAbsDiff(d0, trainer.netsD[1].namedParameters().get('img_code_s16.0.weight')!)).toBeGreaterThan(0);
    // metrics, samples, checkpoints
    const lines = fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.type === 'iteration')).toHaveLength(6);
    const samples = fs.readdirSync(path.join(runDir, 'samples')).filter((f) => f.endsWith('.png')).sort();
    expect(samples).toEqual(['iter_000000.png', 'iter_000003.png', 'iter_000006.png']);
    const a = fs.readFileSync(path.join(runDir, 'samples', samples[0]));
    const b = fs.readFileSync(path.join(runDir, 'samples', samples[2]));
    expect(a.equals(b)).toBe(false);
    const info = JSON.parse(fs.readFileSync(path.join(runDir, 'samples', 'iter_000006.json'), 'utf8'));
    expect(info.captions.slice(0, 2)).toEqual(probes);  // probes first, then the test draw
    expect(info.captions.length).toBe(2 + data.test.size);
    expect(info.rows).toBe(Math.ceil(info.captions.length / info.cols));
    expect(fs.existsSync(path.join(runDir, 'checkpoints', 'iter_0000006', 'netG_ema.safetensors'))).toBe(true);
    dispose([g0, d0]);
    trainer.dispose();
  });

  it('samples training captions when the test split is empty and there are no probes', async () => {
    // A folder dataset without a `split` field has no test images.
    const emptyTest = Object.create(data.test, { size: { value: 0 } }) as typeof data.test;
    const runDir = path.join(tmp, 'run-notest');
    const trainer = await GanTrainer.create({
      config: tinyConfig(['train.maxIterations=1', 'train.sampleInterval=1', 'train.snapshotInterval=1']), runDir,
      deps: { textEncoder: encoder(), vocabulary: data.vocabulary, train: data.train, test: emptyTest, sampleCaptions: [] }, progress: false,
    });
    await trainer.run({}, { progress: false });
    const info = JSON.parse(fs.readFileSync(path.join(runDir, 'samples', 'iter_000001.json'), 'utf8'));
    expect(info.captions.length).toBe(data.train.size);
    trainer.dispose();
  });

  it('the EMA decay is constant (official) or ramps up with train.emaWarmup', () => {
    expect(emaDecayAt({ emaDecay: 0.999, emaWarmup: false }, 0)).toBe(0.999);
    expect(emaDecayAt({ emaDecay: 0.999, emaWarmup: true }, 0)).toBeCloseTo(0.1, 12);
    expect(emaDecayAt({ emaDecay: 0.999, emaWarmup: true }, 90)).toBeCloseTo(0.91, 12);
    expect(emaDecayAt({ emaDecay: 0.999, emaWarmup: true }, 100_000)).toBe(0.999);
  });

  it('leaks no native tensor per iteration', async () => {
    const trainer = await GanTrainer.create({ config: tinyConfig(), runDir: path.join(tmp, 'run-leak'), deps: { textEncoder: encoder(), vocabulary: data.vocabulary, train: data.train }, progress: false });
    const loader = new DataLoader(data.train, { batchSize: 4, imageSizes: [64, 128], wordsNum: 8, seed: 1, prefetch: 0 });
    let batch;
    for await (const b of loader.epoch(0)) {
      batch = b;
      break;
    }
    await trainer.step(batch!);
    const after1 = await settledTensorCount();
    for (let i = 0; i < 3; i++) await trainer.step(batch!);
    expect(await settledTensorCount()).toBe(after1);
    trainer.dispose();
  });

  it('adversarial gradients reach G through the discriminators', async () => {
    // No STREAM hook: besides the adversarial terms only KL acts on G, and KL reaches ca_net alone.
    const config = tinyConfig(['train.generatorLr=0.01']);
    const trainer = await GanTrainer.create({ config, runDir: path.join(tmp, 'run-c'), deps: { textEncoder: encoder(), vocabulary: data.vocabulary, train: data.train }, progress: false });
    const loader = new DataLoader(data.train, { batchSize: 4, imageSizes: [64, 128], wordsNum: 8, seed: 1, prefetch: 0 });
    let batch;
    for await (const b of loader.epoch(0)) {
      batch = b;
      break;
    }
    for (const o of trainer.optimizersD) o.lr = 0;
    const watch = ['h_net1.fc.0.weight', 'h_net2.att.conv_context.weight', 'img_net2.img.0.weight'];
    const before = watch.map((k) => trainer.netG.namedParameters().get(k)!.clone());
    const dBefore = trainer.netsD[0].namedParameters().get('COND_DNET.outlogits.0.weight')!.clone();
    const losses = await trainer.step(batch!);
    expect(losses.STREAM).toBeUndefined();
    watch.forEach((k, i) => expect(maxAbsDiff(before[i], trainer.netG.namedParameters().get(k)!), k).toBeGreaterThan(0));
    // D at lr 0 did not move, although it received gradients
    expect(maxAbsDiff(dBefore, trainer.netsD[0].namedParameters().get('COND_DNET.outlogits.0.weight')!)).toBe(0);
    trainer.dispose();
  });

  it("the trainer and MirrorGAN.load build the same modules from a run's config", async () => {
    const config = tinyConfig(['train.maxIterations=1', 'train.sampleInterval=1', 'train.snapshotInterval=1', 'gan.maskTiling=fixed', 'gan.sentenceAttention=paper']);
    const textEncoder = new TextEncoder(textEncoderOptions(config, data.vocabulary.size));  // as the pipeline builds it
    const netE = path.join(tmp, 'enc-load.safetensors');
    await textEncoder.save(netE);
    const runDir = path.join(tmp, 'run-load');
    const withNetE = { ...config, train: { ...config.train, netE } };
    const trainer = await GanTrainer.create({ config: withNetE, runDir, deps: { textEncoder, vocabulary: data.vocabulary, train: data.train }, progress: false });
    await trainer.run({}, { progress: false });
    const model = await MirrorGAN.load(runDir);
    expect(model.generator.options).toEqual(trainer.netG.options);
    expect(model.generator.options).toEqual(generatorOptions(config));
    expect(model.generator.options).toMatchObject({ gfDim: 4, rNum: 1, branchNum: 2, maskTiling: 'fixed', sentenceAttention: 'paper' });
    expect(model.textEncoder.options).toEqual(textEncoder.options);
    const shapes = (m: Module) => {
      const sd = m.namedStateDict();
      const out = [...sd].map(([k, t]) => [k, t.shape]);
      dispose(sd);
      return out;
    };
    expect(shapes(model.generator)).toEqual(shapes(trainer.netG));
    trainer.dispose();
  });

  it('resume reproduces the next iterations of an uninterrupted run exactly', async () => {
    const config = tinyConfig(['train.maxIterations=4', 'train.snapshotInterval=2', 'train.sampleInterval=100']);
    const deps = () => ({ textEncoder: encoder(), vocabulary: data.vocabulary, train: data.train });
    // the text encoder must be identical across runs: save one and load it into each
    const encPath = path.join(tmp, 'enc.safetensors');
    await encoder().save(encPath);
    const fresh = async () => {
      const d = deps();
      await d.textEncoder.load(encPath);
      return d;
    };
    const full = await GanTrainer.create({ config, runDir: path.join(tmp, 'run-full'), deps: await fresh(), progress: false });
    const fullLosses: Record<string, number>[] = [];
    await full.run({ onIteration: (i) => void fullLosses.push(i.losses) }, { progress: false });
    full.dispose();

    const cut = await GanTrainer.create({ config: { ...config, train: { ...config.train, maxIterations: 2 } }, runDir: path.join(tmp, 'run-cut'), deps: await fresh(), progress: false });
    await cut.run({}, { progress: false });
    cut.dispose();
    // The run folder as a build from before the loss weights' rename left it (train.lambda1 and
    // train.lambda in config.json); resuming reads that file, as `train --resume` does.
    const saved = path.join(tmp, 'run-cut', 'config.json');
    const { streamWeight, damsmWeight, ...train } = JSON.parse(fs.readFileSync(saved, 'utf8')).train;
    fs.writeFileSync(saved, JSON.stringify({ ...JSON.parse(fs.readFileSync(saved, 'utf8')), train: { ...train, lambda1: streamWeight, lambda: damsmWeight } }));
    const resumedConfig = resolveConfig({ files: [saved], set: ['train.maxIterations=4'] });
    expect(resumedConfig).toEqual(config);
    const resumed = await GanTrainer.create({ config: resumedConfig, runDir: path.join(tmp, 'run-cut'), deps: await fresh(), resume: true, progress: false });
    expect(resumed.iteration).toBe(2);
    const after: Record<string, number>[] = [];
    await resumed.run({ onIteration: (i) => void after.push(i.losses) }, { progress: false });
    expect(after).toHaveLength(2);
    // Same batches, noise, weights, BatchNorm statistics and Adam moments; LibTorch's threaded
    // reductions may round the last bit differently, so compare to 1e-5 relative.
    for (const [i, j] of [[0, 2], [1, 3]]) {
      expect(Object.keys(after[i]).sort()).toEqual(Object.keys(fullLosses[j]).sort());
      for (const k of Object.keys(after[i])) expect(Math.abs(after[i][k] - fullLosses[j][k]), k).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(fullLosses[j][k])));
    }
    resumed.dispose();
  });
});
