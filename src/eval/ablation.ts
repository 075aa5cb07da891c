// SPDX-License-Identifier: MIT
/**
 * The paper's λ ablation, honestly: the same configuration trained at λ = 0 (no STREAM term) and
 * at λ > 0, each with several training seeds, every run evaluated the same way (same captions,
 * noise, DAMSM encoders and captioner), and each metric reported as mean ± std over the seeds
 * with a plain statement of whether the difference between the λ exceeds the seed-to-seed spread.
 *
 * The first run (the first λ > 0, first seed) pretrains STEM and STREAM; every other run reuses
 * both (`train.netE`, `train.captioner`), so λ and the GAN seed are the only differences, and the
 * λ = 0 runs are judged by the same captioner as the others. Runs live in
 * `<out>/lambda-<λ>-seed-<seed>/`; a rerun continues unfinished runs and skips finished ones and
 * their evaluations. Results go to `<out>/ablation.json` and `<out>/ablation.md`.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { MirrorganError } from '../../lib/errors.js';
import { resolveConfig } from '../config/index.js';
import { datasetImageSizeOf, openMojiOptionsOf } from '../config/schema.js';
import { loadDataset, stderrLogger } from '../data/index.js';
import { DAMSM_FILES } from '../stem/pretrain_damsm.js';
import { latestCheckpoint, readState } from '../train/checkpoint.js';
import { trainPipeline } from '../train/pipeline.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { evaluateRun, type EvalReport } from './evaluate.js';
import { formatMetric, type MetricResult } from './metrics.js';

/**
 * Sized for about an hour per λ on 2 CPU cores with the cpu preset (docs/evaluation.md): 3 seeds ×
 * 1,500 GAN iterations (~15 min each at the preset's ~1.7 it/s) plus each run's evaluation.
 */
export const ABLATION_DEFAULTS = { lambdas: [0, 10], seeds: 3, iterations: 1500, samples: 3000, preset: 'cpu' } as const;

export interface AblationOptions {
  out: string;
  /** train.streamWeight (λ) values; 0 must be one of them. Default [0, 10]. */
  lambdas?: readonly number[];
  /** Training seeds per λ (train.seed = 1, 2, …). Default 3. */
  seeds?: number;
  /** GAN iterations per run. Default 1,500. */
  iterations?: number;
  /** Samples per evaluation. Default 3,000. */
  samples?: number;
  /** Configuration preset. Default 'cpu'. */
  preset?: string;
  /** Overrides for every run (`key=value`). */
  set?: readonly string[];
  /** Metric selection for every evaluation (default 'offline'). */
  metrics?: string;
  weightsDir?: string;
  progress?: boolean;
}

export interface AblationRun {
  lambda: number;
  seed: number;
  run: string;
  iterations: number;
  trainSeconds: number;
  evalSeconds: number;
  metrics: MetricResult[];
}

export interface ArmSummary {
  lambda: number;
  /** Per metric key: mean and sample standard deviation (n − 1) over the seeds. */
  metrics: Record<string, { label: string; mean: number; std: number; n: number; percent: boolean; better: 'higher' | 'lower' }>;
}

export interface AblationComparison {
  key: string;
  label: string;
  lambda: number;
  /** mean(λ) − mean(λ = 0) */
  difference: number;
  /** std(λ) + std(λ = 0): the seed-to-seed spread the difference is held against. */
  spread: number;
  exceeds: boolean;
  /** Whether the difference goes the metric's better way. */
  better: boolean;
  statement: string;
}

export interface AblationReport {
  out: string;
  preset: string;
  iterations: number;
  seeds: number;
  samples: number;
  set: string[];
  runs: AblationRun[];
  arms: ArmSummary[];
  comparisons: AblationComparison[];
}

function runDirOf(out: string, lambda: number, seed: number): string {
  return path.join(out, `lambda-${lambda}-seed-${seed}`);
}

async function finishedIterations(runDir: string): Promise<number> {
  const ckpt = await latestCheckpoint(runDir);
  return ckpt ? Number((await readState(ckpt)).iteration) : 0;
}

/** A finished evaluation of an earlier call (remove its eval.json to score again). */
async function readEvalReport(dir: string): Promise<EvalReport | null> {
  try {
    return JSON.parse(await fs.readFile(path.join(dir, 'eval.json'), 'utf8')) as EvalReport;
  } catch {
    return null;
  }
}

function meanStd(values: number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = values.length > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1)) : 0;
  return { mean, std };
}

export function summariseArms(runs: readonly AblationRun[]): { arms: ArmSummary[]; comparisons: AblationComparison[] } {
  const lambdas = [...new Set(runs.map((r) => r.lambda))].sort((a, b) => a - b);
  const arms = lambdas.map((lambda): ArmSummary => {
    const mine = runs.filter((r) => r.lambda === lambda);
    const keys = [...new Set(mine.flatMap((r) => r.metrics.map((m) => m.key)))];
    const metrics: ArmSummary['metrics'] = {};
    for (const key of keys) {
      const found = mine.map((r) => r.metrics.find((m) => m.key === key)).filter((m): m is MetricResult => m !== undefined);
      if (found.length !== mine.length) continue;  // a metric some runs lack is not compared
      const { mean, std } = meanStd(found.map((m) => m.value));
      metrics[key] = { label: found[0]!.label, mean, std, n: found.length, percent: found[0]!.percent, better: found[0]!.better };
    }
    return { lambda, metrics };
  });
  const base = arms.find((a) => a.lambda === 0);
  const comparisons: AblationComparison[] = [];
  for (const arm of arms.filter((a) => a.lambda !== 0)) {
    for (const [key, m] of Object.entries(arm.metrics)) {
      const b = base?.metrics[key];
      if (!b) continue;
      const difference = m.mean - b.mean;
      const spread = m.std + b.std;
      const exceeds = Math.abs(difference) > spread;
      const better = m.better === 'higher' ? difference > 0 : difference < 0;
      const f = (v: number) => formatMetric({ value: v, percent: m.percent });
      const statement = exceeds
        ? `λ = ${arm.lambda} is ${better ? 'better' : 'worse'} than λ = 0 by ${f(Math.abs(difference))}, more than the seed-to-seed spread (${f(spread)})`
        : `λ = ${arm.lambda} and λ = 0 differ by ${f(Math.abs(difference))}, within the seed-to-seed spread (${f(spread)}): no difference shown`;
      comparisons.push({ key, label: m.label, lambda: arm.lambda, difference, spread, exceeds, better, statement });
    }
  }
  return { arms, comparisons };
}

/** The Markdown table of an ablation (also what the command prints). */
export function formatAblation(r: AblationReport): string {
  const lambdas = r.arms.map((a) => a.lambda);
  const head = `| metric | ${lambdas.map((l) => `λ = ${l}`).join(' | ')} | difference (λ > 0 − λ = 0) |`;
  const keys = Object.keys(r.arms[0]?.metrics ?? {});
  const rows = keys.map((key) => {
    const cells = r.arms.map((a) => {
      const m = a.metrics[key];
      return m ? formatMetric({ value: m.mean, std: m.std, percent: m.percent }) : '–';
    });
    const diffs = r.comparisons.filter((c) => c.key === key).map((c) => `${c.exceeds ? '**' : ''}${c.difference >= 0 ? '+' : '−'}${formatMetric({ value: Math.abs(c.difference), percent: r.arms[0]!.metrics[key]!.percent })}${c.exceeds ? '**' : ''}`);
    return `| ${r.arms[0]!.metrics[key]!.label} | ${cells.join(' | ')} | ${diffs.join(', ')} |`;
  });
  return [
    `λ ablation: preset ${r.preset}, ${r.iterations} GAN iterations per run, ${r.seeds} seeds per λ, ${r.samples} samples per evaluation${r.set.length ? `, ${r.set.join(' ')}` : ''}`,
    'mean ± std over the seeds (sample std); a difference in bold exceeds the sum of the two stds',
    '',
    head,
    `|---|${lambdas.map(() => '---|').join('')}---|`,
    ...rows,
    '',
    ...r.comparisons.map((c) => `- ${c.label}: ${c.statement}`),
  ].join('\n');
}

export async function runAblation(options: AblationOptions): Promise<AblationReport> {
  const lambdas = [...(options.lambdas ?? ABLATION_DEFAULTS.lambdas)];
  if (!lambdas.includes(0) || lambdas.length < 2 || lambdas.some((l) => !(l >= 0))) {
    throw new MirrorganError('ERR_INVALID_ARG', `Expected λ values >= 0 including 0 and at least one other for lambdas but received ${lambdas.join(',')}`);
  }
  const seeds = options.seeds ?? ABLATION_DEFAULTS.seeds;
  const iterations = options.iterations ?? ABLATION_DEFAULTS.iterations;
  const samples = options.samples ?? ABLATION_DEFAULTS.samples;
  const preset = options.preset ?? ABLATION_DEFAULTS.preset;
  const set = [...(options.set ?? [])];
  const progress = options.progress ?? true;
  const out = path.resolve(options.out);
  await fs.mkdir(out, { recursive: true });
  const order = [lambdas.find((l) => l > 0)!, ...lambdas.filter((l) => l !== lambdas.find((x) => x > 0))];
  const base = runDirOf(out, order[0]!, 1);
  const shared = [`train.netE=${path.join(base, 'damsm', DAMSM_FILES.textEncoder)}`, `train.captioner=${path.join(base, 'stream')}`];
  const configOf = (lambda: number, seed: number, isBase: boolean) => resolveConfig({
    preset, set: [...set, `train.streamWeight=${lambda}`, `train.seed=${seed}`, `train.maxIterations=${iterations}`, ...(isBase ? [] : shared)],
  });
  const first = configOf(order[0]!, 1, true);
  const data = await loadDataset({
    dataset: first.dataset.name, root: first.dataset.root || undefined, cacheDir: first.dataset.cacheDir || undefined,
    imageSize: datasetImageSizeOf(first),
    openmoji: openMojiOptionsOf(first.dataset), logger: stderrLogger, progress: progress ? 'auto' : false,
  });
  const runs: AblationRun[] = [];
  try {
    for (const lambda of order) {
      for (let seed = 1; seed <= seeds; seed++) {
        const runDir = runDirOf(out, lambda, seed);
        const config = configOf(lambda, seed, runDir === base);
        const t0 = Date.now();
        const done = await finishedIterations(runDir);
        if (done < iterations) {
          stderrLogger.info(`ablation: training λ = ${lambda}, seed ${seed} (${iterations} iterations) in ${runDir}`);
          await trainPipeline({ config, runDir, resume: done > 0, progress, dataset: data });
        }
        const trainSeconds = (Date.now() - t0) / 1000;
        const t1 = Date.now();
        const evalOut = path.join(runDir, 'eval', `ablation-n${samples}`);
        const report: EvalReport = await readEvalReport(evalOut) ?? await evaluateRun({
          run: runDir, out: evalOut, samples, seed: 0, metrics: options.metrics, weightsDir: options.weightsDir, progress, dataset: data,
          damsm: path.join(base, 'damsm'), captioner: path.join(base, 'stream'),
        });
        runs.push({ lambda, seed, run: runDir, iterations, trainSeconds, evalSeconds: (Date.now() - t1) / 1000, metrics: report.metrics });
      }
    }
  } finally {
    await data.close();
  }
  const { arms, comparisons } = summariseArms(runs);
  const report: AblationReport = { out, preset, iterations, seeds, samples, set, runs, arms, comparisons };
  await writeJsonAtomic(path.join(out, 'ablation.json'), report);
  await writeFileAtomic(path.join(out, 'ablation.md'), `${formatAblation(report)}\n`);
  return report;
}
