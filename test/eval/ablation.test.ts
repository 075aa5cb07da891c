// SPDX-License-Identifier: MIT
// The λ ablation on a tiny configuration: trains λ = 0 and λ = 1 with two seeds each (sharing
// one STEM and STREAM), evaluates every run the same way, tabulates mean ± std and says whether
// the difference exceeds the seed spread; a rerun continues instead of starting over.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../src/cli/main.js';
import { runAblation, summariseArms, type AblationReport, type AblationRun } from '../../src/eval/ablation.js';
import { metricResult } from '../../src/eval/metrics.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-ablation-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const TINY = [
  `dataset.cacheDir=${path.join(tmp, 'cache')}`, 'dataset.limit=40', 'text.embeddingDim=32', 'text.wordsNum=8',
  'damsm.epochs=1', 'damsm.batchSize=8', 'stream.epochs=1', 'stream.batchSize=8', 'stream.hiddenSize=16', 'stream.embedSize=32',
  'gan.gfDim=4', 'gan.dfDim=4', 'gan.rNum=1', 'gan.zDim=8', 'gan.conditionDim=8', 'train.batchSize=4',
  'train.sampleInterval=2', 'train.snapshotInterval=2',
];

describe('the comparison rule', () => {
  const runOf = (lambda: number, seed: number, r: number, fid: number): AblationRun => ({
    lambda, seed, run: `r${lambda}-${seed}`, iterations: 1, trainSeconds: 0, evalSeconds: 0,
    metrics: [metricResult('r_precision', r, 10), metricResult('fid_damsm', fid, 10)],
  });

  it('gives mean ± sample std per λ and a difference that must exceed the sum of the stds', () => {
    const { arms, comparisons } = summariseArms([
      runOf(0, 1, 0.1, 5), runOf(0, 2, 0.2, 6), runOf(0, 3, 0.3, 7),
      runOf(10, 1, 0.5, 6.5), runOf(10, 2, 0.6, 5.5), runOf(10, 3, 0.7, 6),
    ]);
    expect(arms.map((a) => a.lambda)).toEqual([0, 10]);
    expect(arms[0]!.metrics.r_precision!.mean).toBeCloseTo(0.2, 12);
    expect(arms[0]!.metrics.r_precision!.std).toBeCloseTo(0.1, 12);  // sample std of 0.1, 0.2, 0.3
    const r = comparisons.find((c) => c.key === 'r_precision')!;
    expect(r.difference).toBeCloseTo(0.4, 12);
    expect(r.spread).toBeCloseTo(0.2, 12);
    expect(r).toMatchObject({ exceeds: true, better: true });
    expect(r.statement).toContain('better than λ = 0');
    const f = comparisons.find((c) => c.key === 'fid_damsm')!;
    expect(f.difference).toBeCloseTo(0, 12);
    expect(f.exceeds).toBe(false);
    expect(f.statement).toContain('within the seed-to-seed spread');
  });
});

describe('npx mirrorgan eval --ablation (tiny)', () => {
  const out = path.join(tmp, 'ablation');
  let first: AblationReport;

  it('trains every λ × seed, evaluates each the same way and writes ablation.json / .md', async () => {
    let stdout = '';
    let stderr = '';
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((c) => ((stdout += String(c)), true));
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((c) => ((stderr += String(c)), true));
    let code: number;
    try {
      code = await run(['node', 'mirrorgan', 'eval', '--ablation', '--out', out, '--lambdas', '0,1', '--seeds', '2', '--iterations', '2',
        '--samples', '20', '--metrics', 'r_precision,fid_damsm,bleu', '--no-progress', ...TINY.flatMap((s) => ['--set', s])]);
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('| metric | λ = 0 | λ = 1 |');
    expect(stdout).toMatch(/R-precision \(top-1 of \d+\): λ = 1/);
    first = JSON.parse(fs.readFileSync(path.join(out, 'ablation.json'), 'utf8'));
    expect(first.runs.map((r) => [r.lambda, r.seed])).toEqual([[1, 1], [1, 2], [0, 1], [0, 2]]);
    expect(first.arms.map((a) => Object.keys(a.metrics))).toEqual([['r_precision', 'fid_damsm', 'bleu'], ['r_precision', 'fid_damsm', 'bleu']]);
    expect(first.comparisons).toHaveLength(3);
    // STEM and STREAM pretrained once (by the first run); the others, λ = 0 included, use them
    expect(fs.existsSync(path.join(out, 'lambda-1-seed-1', 'damsm'))).toBe(true);
    expect(fs.existsSync(path.join(out, 'lambda-0-seed-2', 'damsm'))).toBe(false);
    const cfg = JSON.parse(fs.readFileSync(path.join(out, 'lambda-0-seed-2', 'config.json'), 'utf8'));
    expect(cfg.train).toMatchObject({ streamWeight: 0, seed: 2, maxIterations: 2, captioner: path.join(out, 'lambda-1-seed-1', 'stream') });
    // the seeds differ: two λ = 0 generators draw different samples for the same captions and noise
    const a = fs.readFileSync(path.join(out, 'lambda-0-seed-1', 'eval', 'ablation-n20', 'samples', '000000.png'));
    const b = fs.readFileSync(path.join(out, 'lambda-0-seed-2', 'eval', 'ablation-n20', 'samples', '000000.png'));
    expect(a.equals(b)).toBe(false);
    expect(fs.readFileSync(path.join(out, 'ablation.md'), 'utf8')).toContain('2 seeds per λ, 20 samples per evaluation');
  }, 600_000);

  it('a rerun reuses finished runs and evaluations', async () => {
    const evalJson = path.join(out, 'lambda-0-seed-1', 'eval', 'ablation-n20', 'eval.json');
    const before = fs.statSync(evalJson).mtimeMs;
    const again = await runAblation({ out, lambdas: [0, 1], seeds: 2, iterations: 2, samples: 20, metrics: 'r_precision,fid_damsm,bleu', set: TINY, progress: false });
    expect(fs.statSync(evalJson).mtimeMs).toBe(before);
    expect(again.arms).toEqual(first.arms);
    expect(again.runs.every((r) => r.trainSeconds < 5)).toBe(true);
  }, 300_000);
});
