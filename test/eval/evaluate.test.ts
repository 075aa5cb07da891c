// SPDX-License-Identifier: MIT
// `mirrorgan eval` end to end on a tiny run: the library and the CLI give the same numbers,
// sample generation resumes, a folder of images is scored, evaluations during training reach
// metrics.jsonl and the report, and the Inception metrics run through the same session.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { memory } from '../../lib/index.js';
import { run } from '../../src/cli/main.js';
import { loadDataset, type LoadedDataset } from '../../src/data/index.js';
import { evaluateRun, type EvalReport } from '../../src/eval/evaluate.js';
import { FidInceptionV3, InceptionV3 } from '../../src/eval/inception.js';
import { captionPool, drawQueries, evaluationSplit } from '../../src/eval/queries.js';
import { readSampleBatch, sampleFile } from '../../src/eval/samples.js';
import { EvalSession } from '../../src/eval/session.js';
import { MirrorGAN } from '../../src/model/mirrorgan.js';
import { readRunMetrics } from '../../src/report/run_folder.js';
import { checkpointName } from '../../src/train/checkpoint.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-eval-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const cacheDir = path.join(tmp, 'cache');
const runDir = path.join(tmp, 'run');

const TINY = [
  `dataset.cacheDir=${cacheDir}`, 'dataset.limit=40', 'text.embeddingDim=32', 'text.wordsNum=8',
  'damsm.epochs=1', 'damsm.batchSize=8', 'stream.epochs=1', 'stream.batchSize=8', 'stream.hiddenSize=16', 'stream.embedSize=32',
  'gan.gfDim=4', 'gan.dfDim=4', 'gan.rNum=1', 'gan.zDim=8', 'gan.conditionDim=8', 'train.batchSize=4',
  'train.maxIterations=2', 'train.sampleInterval=2', 'train.snapshotInterval=2', 'train.seed=3',
  'train.evalInterval=1', 'train.evalSamples=20',
];

/** Runs the CLI, returning exit code and stdout. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c) => ((stdout += String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c) => ((stderr += String(c)), true));
  try {
    return { code: await run(['node', 'mirrorgan', ...args]), stdout, stderr };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

const values = (r: Pick<EvalReport, 'metrics'>) => Object.fromEntries(r.metrics.map((m) => [m.key, [m.value, m.std ?? null]]));
const COMMON = { samples: 24, batchSize: 8, probeSeeds: 1, cacheDir, progress: false };

describe('evaluation of a tiny run', () => {
  let report: EvalReport;

  beforeAll(async () => {
    await MirrorGAN.train({ preset: 'cpu', set: TINY, runDir, progress: false });
  }, 300_000);

  it('writes evaluations during training to metrics.jsonl, and the report charts them', async () => {
    const m = await readRunMetrics(runDir);
    expect(m.evals.map((e) => e.iteration)).toEqual([1, 2]);
    for (const e of m.evals) {
      expect(Object.keys(e.metrics).sort()).toEqual(['bleu', 'cider_d', 'fid_damsm', 'kid_damsm', 'r_precision']);
      expect(e.samples).toBe(20);
      expect(e.metrics.r_precision).toBeGreaterThanOrEqual(0);
      expect(e.metrics.fid_damsm).toBeGreaterThan(0);
    }
    expect(m.unknownRecords).toBe(0);
    // the evaluation at a checkpoint's iteration scores it for retention (state.json)
    const state = JSON.parse(fs.readFileSync(path.join(runDir, 'checkpoints', checkpointName(2), 'state.json'), 'utf8'));
    expect(state.score).toEqual({ name: 'R-precision', value: m.evals[1]!.metrics.r_precision, higherIsBetter: true });
    const html = fs.readFileSync(path.join(runDir, 'report.html'), 'utf8');
    expect(html).toContain('id="eval-r_precision"');
    expect(html).toContain('No evaluation yet');
  });

  it('evaluates the run: every offline metric, eval.json and index.html', async () => {
    report = await evaluateRun({ run: runDir, ...COMMON });
    expect(report.metrics.map((m) => m.key)).toEqual(['r_precision', 'fid_damsm', 'kid_damsm', 'bleu', 'cider_d', 'probe_colour', 'probe_shape']);
    expect(report.skipped).toEqual([]);
    expect(report.samples).toMatchObject({ source: 'generated', count: 24, imageSize: 128, seed: 0 });
    const r = report.metrics[0]!;
    expect(r.samples).toBe(24);
    expect(r.details?.topK).toHaveLength(3);
    for (const m of report.metrics) {
      expect(Number.isFinite(m.value), m.key).toBe(true);
      expect(m.protocol, m.key).toMatch(/\/1: /);
    }
    const dir = path.join(runDir, 'eval', `iter-2-n24-seed0`);
    expect(report.out).toBe(dir);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'eval.json'), 'utf8'));
    expect(values(json)).toEqual(values(report));
    const html = fs.readFileSync(path.join(dir, 'index.html'), 'utf8');
    expect(html).toContain('data-metric="r_precision"');
    expect(html).toContain('data:image/png;base64,');
    expect(fs.existsSync(sampleFile(dir, 23))).toBe(true);
    // the real images' features are cached (the evaluations during training already wrote them)
    const cache = (report.metrics[1]!.details!.reference as { cache: string }).cache;
    expect(cache.startsWith(path.join(cacheDir, 'eval-reference'))).toBe(true);
    expect(fs.existsSync(cache)).toBe(true);
  }, 300_000);

  it('the CLI gives the same numbers as the library, and the report links the evaluation', async () => {
    const out = path.join(tmp, 'cli-eval');
    const { code, stdout, stderr } = await cli(['eval', '--run', runDir, '--out', out, '--samples', '24', '--batch-size', '8', '--probe-seeds', '1', '--no-progress', '--json']);
    expect(code, stderr).toBe(0);
    const fromCli = JSON.parse(stdout) as EvalReport;
    expect(values(fromCli)).toEqual(values(report));
    const table = await cli(['eval', '--run', runDir, '--out', out, '--samples', '24', '--batch-size', '8', '--probe-seeds', '1', '--no-progress']);
    expect(table.stdout).toMatch(/R-precision \(top-1 of \d+\)\s+\d+\.\d ± \d+\.\d %/);
    expect(table.stdout).toContain(path.join(out, 'eval.json'));
    expect((await cli(['report', runDir])).code).toBe(0);
    const html = fs.readFileSync(path.join(runDir, 'report.html'), 'utf8');
    expect(html).toContain('Latest evaluation');
    expect(html).toMatch(/href="eval\/[^"]+\/index\.html"/);
  }, 300_000);

  it('continues a stopped sample generation and refuses another plan in the same folder', async () => {
    const out = path.join(tmp, 'resumed');
    const dir = path.join(out, 'samples');
    await evaluateRun({ run: runDir, out, ...COMMON, metrics: 'r_precision' });
    const kept = fs.readFileSync(sampleFile(out, 3));
    // as if stopped after the first batch: later files gone, progress at 8
    for (let i = 8; i < 24; i++) fs.rmSync(sampleFile(out, i));
    fs.writeFileSync(path.join(dir, 'progress.json'), '{"done": 8}\n');
    const again = await evaluateRun({ run: runDir, out, ...COMMON, metrics: 'r_precision' });
    expect(fs.existsSync(sampleFile(out, 23))).toBe(true);
    expect(fs.readFileSync(sampleFile(out, 3)).equals(kept)).toBe(true);
    expect(values(again).r_precision).toEqual(values(report).r_precision);
    await expect(evaluateRun({ run: runDir, out, ...COMMON, seed: 5, metrics: 'r_precision' })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringContaining('another plan') });
  }, 300_000);

  it('scores a folder of images with captions (no probe: it needs the generator)', async () => {
    const folder = path.join(tmp, 'folder');
    fs.mkdirSync(folder);
    const model = await MirrorGAN.load(runDir);
    const caps = ['red circle', 'a smiling face', 'blue heart', 'green square', 'yellow star'].filter((c) => model.vocabulary.encodeCaption(c).unknown.length === 0);
    expect(caps.length).toBeGreaterThanOrEqual(2);
    const images = await model.generate(caps, { seed: 2 });
    images.forEach((img, i) => {
      fs.writeFileSync(path.join(folder, `img${i}.png`), img.png);
      fs.writeFileSync(path.join(folder, `img${i}.txt`), `${caps[i]}\n${caps[i]} emoji\n`);
    });
    const r = await evaluateRun({ run: runDir, images: folder, ...COMMON });
    expect(r.samples).toMatchObject({ source: 'folder', count: caps.length, seed: null });
    expect(r.skipped.map((s) => s.metric)).toEqual(['probe']);
    expect(r.metrics.map((m) => m.key)).toContain('r_precision');
    fs.rmSync(path.join(folder, 'img0.txt'));
    await expect(evaluateRun({ run: runDir, images: folder, ...COMMON })).rejects.toMatchObject({ code: 'ERR_FILE', message: expect.stringContaining('img0.txt') });
  }, 300_000);

  it('names the missing Inception weights file and how to convert it; bad selections are usage errors', async () => {
    const weights = path.join(tmp, 'no-weights');
    const r = await cli(['eval', '--run', runDir, '--metrics', 'fid', '--weights', weights, '--samples', '24', '--no-progress']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(path.join(weights, 'pt_inception-2015-12-05-6726825d.safetensors'));
    expect(r.stderr).toContain('python3 scripts/pth2safetensors.py pt_inception-2015-12-05-6726825d.pth');
    expect(r.stderr).toContain('[ERR_FILE]');
    const bad = await cli(['eval', '--run', runDir, '--metrics', 'fid,ssim']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("received 'ssim'");
    expect((await cli(['eval', '--samples', '24'])).code).toBe(2);  // neither --run nor --ablation
  }, 120_000);

  it('computes IS, FID and KID through the session with the Inception networks (untrained weights)', async () => {
    const model = await MirrorGAN.load(runDir);
    const data: LoadedDataset = await loadDataset({ dataset: 'openmoji', cacheDir, imageSize: 128, openmoji: { limit: 40, skinTones: 'base' }, progress: false });
    const before = memory().numTensors;
    try {
      const split = evaluationSplit(data);
      const pool = captionPool(split);
      const queries = drawQueries(pool, 10, 0);
      const set = { files: Array.from({ length: 10 }, (_, i) => sampleFile(path.join(runDir, 'eval', 'iter-2-n24-seed0'), i)), queries, imageSize: 128 };
      const session = await EvalSession.create({
        model, pool, metrics: ['is', 'fid', 'kid'], total: 10, imageSize: 128,
        networks: { inception: new InceptionV3().eval(), fidInception: { net: new FidInceptionV3().eval(), id: 'untrained' } },
        reference: { split, source: 'test', cacheDir: path.join(tmp, 'ref') }, kid: { subsets: 5 },
      });
      const images = await readSampleBatch(set, 0, 10);
      await session.add(images, queries);
      images.dispose();
      const out = await session.finish();
      session.dispose();
      expect(out.map((m) => m.key)).toEqual(['is', 'fid', 'kid']);
      expect(out[0]!.value).toBeGreaterThanOrEqual(1);
      expect(out[0]!.details!.splits).toBe(10);
      expect(out[1]!.value).toBeGreaterThan(0);
      expect(Number.isFinite(out[2]!.value)).toBe(true);
      expect(out[2]!.details!.subsetSize).toBe(Math.min(10, split.size));
    } finally {
      await data.close();
    }
    expect(memory().numTensors).toBeLessThanOrEqual(before);
  }, 300_000);
});
