// SPDX-License-Identifier: MIT
// `mirrorgan eval`: score a trained run (R-precision, DAMSM FID/KID, re-description BLEU and
// CIDEr-D, the OpenMoji probe; IS, FID and KID with converted Inception weights), or run the λ
// ablation with --ablation.
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { MirrorganError } from '../../lib/errors.js';
import { runAblation, formatAblation, ABLATION_DEFAULTS } from '../eval/ablation.js';
import { evaluateRun, type EvalReport } from '../eval/evaluate.js';
import { formatMetric, METRIC_NAMES } from '../eval/metrics.js';
import { R_PRECISION_DEFAULTS } from '../eval/r_precision.js';
import { integerAtLeast, resolveRunOption, runOptionHelp } from './options.js';
import { printOut } from './output.js';
import { ensureWritableFolder } from './writable.js';

interface EvalCliOptions {
  run?: string;
  out?: string;
  images?: string;
  samples: number;
  seed: number;
  batchSize: number;
  metrics: string;
  weights?: string;
  damsm?: string;
  captioner?: string;
  candidates: number;
  groups: number;
  probeSeeds: number;
  conditioningNoise: boolean;
  progress: boolean;
  json?: boolean;
  ablation?: boolean;
  lambdas: string;
  seeds: number;
  iterations: number;
  set: string[];
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function lambdaList(value: string): string {
  const parts = value.split(',').map((x) => Number(x.trim()));
  if (parts.length < 2 || parts.some((l) => !Number.isFinite(l) || l < 0) || !parts.includes(0)) {
    throw new InvalidArgumentError('expected comma-separated λ values >= 0, including 0 (e.g. 0,10)');
  }
  return value;
}

/** The lines `mirrorgan eval` prints for one evaluation. */
export function formatEvalReport(r: EvalReport): string {
  const width = Math.max(...r.metrics.map((m) => m.label.length), 10);
  const lines = [
    `run        ${r.run}${r.checkpoint ? ` (iteration ${r.checkpoint.iteration})` : ''}`,
    `samples    ${r.samples.count} ${r.samples.source === 'generated' ? `generated, seed ${r.samples.seed}` : `from ${r.samples.dir}`}, ${r.samples.imageSize} px`,
    '',
    ...r.metrics.map((m) => `${m.label.padEnd(width)}  ${formatMetric(m)}`),
    ...r.skipped.map((s) => `skipped ${s.metric}: ${s.reason}`),
    '',
    `time       ${r.seconds.total.toFixed(1)} s (samples ${r.seconds.samples.toFixed(1)} s, scoring ${r.seconds.scoring.toFixed(1)} s, probe ${r.seconds.probe.toFixed(1)} s)`,
    `written    ${path.join(r.out, 'eval.json')}`,
    `           ${path.join(r.out, 'index.html')}`,
  ];
  return lines.join('\n');
}

export function evalCommand(): Command {
  return new Command('eval')
    .description('evaluate a trained run: R-precision, FID/KID in DAMSM space, BLEU/CIDEr-D of STREAM re-descriptions, the OpenMoji probe; IS, FID and KID with converted Inception weights')
    .option('--run <folder>', runOptionHelp())
    .option('-o, --out <dir>', 'evaluation folder (default <run>/eval/iter-<N>-n<samples>-seed<seed>); a rerun continues its sample generation')
    .option('--images <dir>', 'score these images (each with a same-named .txt caption file) instead of generating')
    .option('--samples <n>', 'samples to generate (the published protocol: 30000)', integerAtLeast(2), R_PRECISION_DEFAULTS.queries)
    .option('--seed <n>', 'seeds the captions, the noise, R-precision and KID', integerAtLeast(0), 0)
    .option('--batch-size <n>', 'images per generator call and scoring batch', integerAtLeast(1), 50)
    .option('--metrics <list>', `offline | all | names from ${METRIC_NAMES.join(', ')} (comma-separated)`, 'offline')
    .option('--weights <dir>', 'folder of the converted Inception weights (default <cache>/weights; see docs/evaluation.md)')
    .option('--damsm <dir>', 'DAMSM encoders to score with (default: the run\'s)')
    .option('--captioner <dir>', 'STREAM captioner to re-describe with (default: the run\'s)')
    .option('--candidates <n>', 'R-precision candidates per query, the true caption included', integerAtLeast(2), R_PRECISION_DEFAULTS.candidates)
    .option('--groups <n>', 'R-precision groups for mean ± std', integerAtLeast(1), R_PRECISION_DEFAULTS.groups)
    .option('--probe-seeds <n>', 'noise seeds of the OpenMoji probe', integerAtLeast(1), 8)
    .option('--no-conditioning-noise', 'use the mean of the sentence code (CA_NET) instead of sampling it')
    .option('--no-progress', 'no progress bars on stderr')
    .option('--json', 'print eval.json (or ablation.json) instead of the table')
    .option('--ablation', `the λ ablation: train λ = 0 and λ > 0 with several seeds, evaluate every run the same way (needs --out)`)
    .option('--lambdas <list>', 'ablation: λ (train.streamWeight) values, 0 included', lambdaList, ABLATION_DEFAULTS.lambdas.join(','))
    .option('--seeds <n>', 'ablation: training seeds per λ', integerAtLeast(1), ABLATION_DEFAULTS.seeds)
    .option('--iterations <n>', 'ablation: GAN iterations per run', integerAtLeast(1), ABLATION_DEFAULTS.iterations)
    .option('--set <key=value>', 'ablation: config override for every run (repeatable)', collect, [])
    .action(async (opts: EvalCliOptions) => {
      if (opts.ablation) {
        if (!opts.out) throw new MirrorganError('ERR_INVALID_ARG', 'Expected a folder for --out with --ablation (its runs and table go there; a rerun continues)');
        await ensureWritableFolder(opts.out);
        const report = await runAblation({
          out: opts.out, lambdas: opts.lambdas.split(',').map(Number), seeds: opts.seeds, iterations: opts.iterations,
          samples: opts.samples === R_PRECISION_DEFAULTS.queries ? undefined : opts.samples, set: opts.set, metrics: opts.metrics,
          weightsDir: opts.weights, progress: opts.progress,
        });
        printOut(opts.json ? JSON.stringify(report, null, 1) : formatAblation(report));
        return;
      }
      if (!opts.run) throw new MirrorganError('ERR_INVALID_ARG', 'Expected a run folder for --run (or --ablation)');
      await resolveRunOption(opts.run);
      if (opts.out) await ensureWritableFolder(opts.out);
      const report = await evaluateRun({
        run: opts.run, out: opts.out, images: opts.images, samples: opts.samples, seed: opts.seed, batchSize: opts.batchSize,
        metrics: opts.metrics, weightsDir: opts.weights, damsm: opts.damsm, captioner: opts.captioner, candidates: opts.candidates,
        groups: opts.groups, probeSeeds: opts.probeSeeds, conditioningNoise: opts.conditioningNoise, progress: opts.progress,
      });
      printOut(opts.json ? JSON.stringify(report, null, 1) : formatEvalReport(report));
    });
}
