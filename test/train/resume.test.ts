// SPDX-License-Identifier: MIT
// Resume never throws work away (issue #18): the GAN phase of the pipeline on a tiny model with a
// given text encoder (no pretraining), resumed from damaged, half-written and hint-less run
// folders; deterministic mode; a checkpoint write that fails.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MirrorganError } from '../../lib/errors.js';
import { Module } from '../../lib/module.js';
import { getDeterministic, getNumThreads, setNumThreads } from '../../lib/runtime.js';
import { resolveConfig, type MirrorGANConfig } from '../../src/config/index.js';
import { textEncoderOptions } from '../../src/config/module_options.js';
import { loadDataset, type LoadedDataset } from '../../src/data/index.js';
import { TextEncoder } from '../../src/stem/index.js';
import { checkCheckpoint } from '../../src/train/checkpoint_manifest.js';
import { listCheckpoints } from '../../src/train/checkpoint.js';
import type { CheckpointScorer } from '../../src/train/checkpoint_retention.js';
import { trainPipeline, type TrainPipelineResult } from '../../src/train/pipeline.js';
import { tempFolder } from '../cli/helpers.js';

const threads = getNumThreads();
const tmp = tempFolder('mg-resume-');
let data: LoadedDataset;
let netE: string;

const SET = [
  'gan.gfDim=4', 'gan.dfDim=4', 'gan.rNum=1', 'gan.zDim=8', 'gan.conditionDim=8', 'tree.branchNum=1', 'text.embeddingDim=16',
  'text.wordsNum=8', 'train.batchSize=4', 'train.seed=11', 'train.streamWeight=0', 'train.damsmWeight=0',
  'train.snapshotInterval=2', 'train.sampleInterval=1000', 'train.keepCheckpoints=3',
];

function config(extra: string[] = []): MirrorGANConfig {
  return resolveConfig({ preset: 'cpu', set: [...SET, `train.netE=${netE}`, ...extra] });
}

beforeAll(async () => {
  setNumThreads(1);  // a tiny model gains nothing from more, and a busy machine's cores are shared
  data = await loadDataset({ dataset: 'openmoji', openmoji: { limit: 8 }, imageSize: 64, cacheDir: path.join(tmp.dir, 'cache'), progress: false, logger: { warn() {}, info() {} } });
  netE = path.join(tmp.dir, 'text_encoder.safetensors');
  await new TextEncoder(textEncoderOptions(resolveConfig({ preset: 'cpu', set: SET }), data.vocabulary.size)).save(netE);
}, 120_000);
afterAll(async () => {
  setNumThreads(threads);
  await data?.close();
  tmp.remove();
});

interface Trained {
  result: TrainPipelineResult;
  iterations: number[];
  log: string[];
}

async function train(runDir: string, iterations: number, options: { resume?: boolean; extra?: string[]; scorer?: CheckpointScorer } = {}): Promise<Trained> {
  const log: string[] = [];
  const seen: number[] = [];
  const result = await trainPipeline({
    config: config([`train.maxIterations=${iterations}`, ...(options.extra ?? [])]), runDir, resume: options.resume, progress: false, dataset: data,
    logger: { warn: (m) => log.push(`warn: ${m}`), info: (m) => log.push(`info: ${m}`) }, scorer: options.scorer,
  }, { onIteration: (i) => void seen.push(i.iteration) });
  return { result, iterations: seen, log };
}

const ckpts = async (run: string) => (await listCheckpoints(run)).map((c) => c.iteration);
const ckptDir = (run: string, it: number) => path.join(run, 'checkpoints', `iter_${String(it).padStart(7, '0')}`);
const metricIterations = (run: string) => fs.readFileSync(path.join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.type === 'iteration').map((r) => r.iteration as number);

describe('resume finds the newest checkpoint that checks out', () => {
  const run = path.join(tmp.dir, 'hint');

  it('with latest.json unreadable or naming a missing folder it continues from the newest iter_* and loses none (found 1)', async () => {
    await train(run, 4);
    expect(await ckpts(run)).toEqual([4, 2]);
    const latest = path.join(run, 'checkpoints', 'latest.json');
    fs.writeFileSync(latest, '{"checkpoint": "iter_000');
    // Without --resume the run is refused, not started over over its checkpoints.
    await expect(train(run, 6)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringContaining('already holds a training run') });
    const r = await train(run, 6, { resume: true });
    expect(r.iterations).toEqual([5, 6]);
    expect(r.log).toContain(`info: resume: continuing from ${ckptDir(run, 4)} (iteration 4)`);
    expect(await ckpts(run)).toEqual([6, 4, 2]);

    fs.writeFileSync(latest, JSON.stringify({ checkpoint: 'iter_0000099', iteration: 99 }));
    const again = await train(run, 8, { resume: true });
    expect(again.iterations).toEqual([7, 8]);
    expect(await ckpts(run)).toEqual([8, 6, 4]);  // keepCheckpoints = 3
    expect(metricIterations(run)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('falls back from a truncated netG.safetensors or state.json to the previous checkpoint, naming what it skipped (found 2)', async () => {
    const g = path.join(ckptDir(run, 8), 'netG.safetensors');
    const size = fs.statSync(g).size;
    fs.truncateSync(g, 100);
    const r = await train(run, 8, { resume: true });
    expect(r.log).toContain(`warn: resume: skipped ${ckptDir(run, 8)} (netG.safetensors has 100 bytes, the manifest says ${size}); kept as ${ckptDir(run, 8)}.corrupt`);
    expect(r.log).toContain(`info: resume: continuing from ${ckptDir(run, 6)} (iteration 6)`);
    expect(r.iterations).toEqual([7, 8]);
    expect(await checkCheckpoint(ckptDir(run, 8), 8)).toEqual({ status: 'complete', iteration: 8 });

    fs.rmSync(`${ckptDir(run, 8)}.corrupt`, { recursive: true });
    fs.writeFileSync(path.join(ckptDir(run, 8), 'state.json'), '{"iteration": 8, "ep');
    const s = await train(run, 8, { resume: true });
    expect(s.log.find((l) => l.startsWith('warn: resume: skipped'))).toMatch(/iter_0000008 \(state\.json has \d+ bytes, the manifest says \d+\); kept as .*iter_0000008\.corrupt$/);
    expect(s.iterations).toEqual([7, 8]);
    expect(metricIterations(run)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('falls back from a damaged checkpoint of a build without manifests, found when it fails to load', async () => {
    const dir = ckptDir(run, 8);
    fs.rmSync(`${dir}.corrupt`, { recursive: true, force: true });
    fs.rmSync(path.join(dir, 'manifest.json'));
    fs.truncateSync(path.join(dir, 'netD0.safetensors'), 50);
    const r = await train(run, 8, { resume: true });
    expect(r.log.find((l) => l.startsWith('warn: resume: skipped'))).toMatch(new RegExp(`^warn: resume: skipped ${dir} \\(.*netD0\\.safetensors.*\\); kept as ${dir}\\.corrupt$`));
    expect(r.iterations).toEqual([7, 8]);
  });

  it('refuses to start over when no checkpoint can be restored, and changes nothing', async () => {
    const bad = path.join(tmp.dir, 'all-bad');
    await train(bad, 4);
    for (const it of [2, 4]) fs.truncateSync(path.join(ckptDir(bad, it), 'netG.safetensors'), 10);
    const before = fs.readdirSync(path.join(bad, 'checkpoints')).sort();
    const err = await train(bad, 6, { resume: true }).then(() => null, (e: MirrorganError) => e);
    expect(err?.code).toBe('ERR_FILE');
    expect(err?.message).toMatch(/^cannot resume .*: none of its 2 checkpoints can be restored \(.*iter_0000004: netG\.safetensors has 10 bytes.*iter_0000002: netG\.safetensors has 10 bytes.*\); nothing was changed/);
    expect(fs.readdirSync(path.join(bad, 'checkpoints')).sort()).toEqual(before);
  });

  it('removes what a killed run left: temporary checkpoint folders and the metrics past the checkpoint (found 4)', async () => {
    const killed = path.join(tmp.dir, 'leftovers');
    await train(killed, 4);
    // As a kill at iteration 7, during the write of a checkpoint, leaves the folder (and older builds' names).
    const root = path.join(killed, 'checkpoints');
    fs.mkdirSync(path.join(root, '.iter_0000006.tmp-999999999'));
    fs.mkdirSync(path.join(root, '.iter_0000006.999999998.0a0b0c0d.tmp'));
    fs.writeFileSync(path.join(killed, '.config.json.999999997.01234567.tmp'), '{');
    const lines = [5, 6, 7].map((i) => JSON.stringify({ type: 'iteration', iteration: i, epoch: 0, loss: { D0: 1 } }));
    fs.appendFileSync(path.join(killed, 'metrics.jsonl'), `${lines.join('\n')}\n{"type":"iter`);
    const r = await train(killed, 8, { resume: true });
    expect(r.iterations).toEqual([5, 6, 7, 8]);
    expect(fs.readdirSync(root).sort()).toEqual(['iter_0000004', 'iter_0000006', 'iter_0000008', 'latest.json']);
    expect(fs.readdirSync(killed).filter((f) => f.startsWith('.'))).toEqual([]);
    expect(metricIterations(killed)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // Each epoch once, its mean over all its iterations (the resumed part included).
    const epochs = fs.readFileSync(path.join(killed, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((x) => x.type === 'epoch');
    expect(epochs.map((e) => e.epoch)).toEqual([...new Set(epochs.map((e) => e.epoch))]);
  });
});

describe('deterministic mode (train.deterministic, found 5)', () => {
  it('a run resumed half-way equals an uninterrupted one bit for bit', async () => {
    const straight = path.join(tmp.dir, 'det-straight');
    const cut = path.join(tmp.dir, 'det-cut');
    const det = ['train.deterministic=true', 'train.snapshotInterval=3'];
    const full = await train(straight, 6, { extra: det });
    await train(cut, 3, { extra: det });
    const resumed = await train(cut, 6, { resume: true, extra: det });
    expect(getDeterministic()).toBe(false);  // the pipeline gives the process-wide mode back
    expect(resumed.iterations).toEqual([4, 5, 6]);
    const files = fs.readdirSync(ckptDir(straight, 6)).filter((f) => f.endsWith('.safetensors')).sort();
    expect(files).toEqual(['netD0.safetensors', 'netG.safetensors', 'netG_ema.safetensors', 'optimizerD0.safetensors', 'optimizerG.safetensors']);
    for (const f of files) expect(fs.readFileSync(path.join(ckptDir(cut, 6), f)).equals(fs.readFileSync(path.join(ckptDir(straight, 6), f))), f).toBe(true);
    expect(resumed.result.gan.lastLosses).toEqual(full.result.gan.lastLosses);
  });
});

describe('a checkpoint that cannot be written (item 9)', () => {
  /** Makes the saves into the checkpoint of iteration 4 fail as a full disk does: its first `attempts` writes. */
  function diskFullAt4(attempts = Number.POSITIVE_INFINITY) {
    const real = Module.prototype.save;
    const failed = new Set<string>();
    return vi.spyOn(Module.prototype, 'save').mockImplementation(function (this: Module, file: string, meta?: Record<string, string>) {
      const attempt = path.dirname(file);
      if (file.includes('iter_0000004') && (failed.has(attempt) || failed.size < attempts)) {
        failed.add(attempt);
        return Promise.reject(new MirrorganError('ERR_FILE', `Cannot write ${file}: ENOSPC: no space left on device`));
      }
      return real.call(this, file, meta);
    });
  }

  it("stops training by default, the previous checkpoint intact and no temporary left", async () => {
    const run = path.join(tmp.dir, 'disk-full-stop');
    const spy = diskFullAt4();
    const err = await train(run, 6).then(() => null, (e: MirrorganError) => e).finally(() => spy.mockRestore());
    expect(err?.code).toBe('ERR_FILE');
    expect(err?.message).toMatch(new RegExp(`^cannot write the checkpoint ${ckptDir(run, 4)}: .*ENOSPC.*; training stopped at iteration 4, the last checkpoint ${ckptDir(run, 2)} is intact$`));
    expect(fs.readdirSync(path.join(run, 'checkpoints')).sort()).toEqual(['iter_0000002', 'latest.json']);
    expect(await checkCheckpoint(ckptDir(run, 2), 2)).toEqual({ status: 'complete', iteration: 2 });
    const records = fs.readFileSync(path.join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(records.filter((x) => x.type === 'checkpoint_error').map((x) => x.iteration)).toEqual([4]);
    // --resume continues from the checkpoint that stayed.
    expect((await train(run, 6, { resume: true })).iterations).toEqual([3, 4, 5, 6]);
  });

  it("with train.onCheckpointError=continue reports it and trains on; the next checkpoint is written", async () => {
    const run = path.join(tmp.dir, 'disk-full-continue');
    const spy = diskFullAt4();
    const r = await train(run, 6, { extra: ['train.onCheckpointError=continue'] }).finally(() => spy.mockRestore());
    expect(r.iterations).toEqual([1, 2, 3, 4, 5, 6]);
    expect(r.log.find((l) => l.includes('ENOSPC'))).toMatch(/^warn: cannot write the checkpoint .*iter_0000004: .*; training continues \(train\.onCheckpointError = continue\)/);
    expect(await ckpts(run)).toEqual([6, 2]);
    expect(r.result.gan.checkpoint).toBe(ckptDir(run, 6));
    // When the failed one is the last iteration's, the end of training tries it again.
    const end = path.join(tmp.dir, 'disk-full-at-the-end');
    const once = diskFullAt4(1);
    const e = await train(end, 4, { extra: ['train.onCheckpointError=continue'] }).finally(() => once.mockRestore());
    expect(e.log.filter((l) => l.includes('ENOSPC'))).toHaveLength(1);
    expect(e.result.gan.checkpoint).toBe(ckptDir(end, 4));
    expect(await ckpts(end)).toEqual([4, 2]);
  });
});

describe('retention by score (item 10)', () => {
  it('keeps the newest train.keepCheckpoints plus the best-scored checkpoint', async () => {
    const run = path.join(tmp.dir, 'best');
    const scores: Record<number, number> = { 2: 0.3, 4: 0.8, 6: 0.1, 8: 0.2, 10: 0.4 };
    const scorer: CheckpointScorer = { name: 'fake R-precision', higherIsBetter: true, score: (it) => scores[it] ?? null };
    await train(run, 10, { scorer, extra: ['train.keepCheckpoints=2'] });
    expect(await ckpts(run)).toEqual([10, 8, 4]);
    const state = JSON.parse(fs.readFileSync(path.join(ckptDir(run, 4), 'state.json'), 'utf8'));
    expect(state.score).toEqual({ name: 'fake R-precision', value: 0.8, higherIsBetter: true });
  });
});
