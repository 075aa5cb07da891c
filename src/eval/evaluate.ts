// SPDX-License-Identifier: MIT
/**
 * `mirrorgan eval --run <run>` as a library call: generate the samples (resumable) or read a
 * folder of images, score them with every metric the run and the machine allow, and write
 * `eval.json` and `index.html` into the evaluation folder.
 *
 * ```ts
 * const report = await evaluateRun({ run: 'runs/cpu', samples: 3000 });
 * for (const m of report.metrics) console.log(m.key, m.value, m.std);
 * ```
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { MirrorganError } from '../../lib/errors.js';
import { datasetImageSizeOf, finalImageSizeOf, openMojiOptionsOf } from '../config/schema.js';
import { loadDataset, stderrLogger, type DataLogger, type LoadedDataset } from '../data/index.js';
import type { Dataset } from '../data/types.js';
import { MirrorGAN } from '../model/mirrorgan.js';
import { requireCheckpoint, resolveRunPath } from '../model/run_path.js';
import { assertSameVocabulary } from '../stream/vocabulary_check.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { ProgressReporter } from '../util/progress.js';
import { runColourShapeProbe } from './colour_shape_probe.js';
import { renderEvalHtml, sampleGrid } from './eval_html.js';
import { metricResult, parseMetricSelection, type MetricName, type MetricResult } from './metrics.js';
import { resolveNetworks } from './networks.js';
import { captionPool, drawQueries, evaluationSplit, type CaptionPool } from './queries.js';
import { R_PRECISION_DEFAULTS } from './r_precision.js';
import { generateSamples, readImageFolder, readSampleBatch, type SampleSet } from './samples.js';
import { EvalSession } from './session.js';

/** eval.json's format version. */
export const EVAL_REPORT_VERSION = 1;

export interface EvaluateOptions {
  /** The trained run: a run folder (its latest checkpoint) or a checkpoint folder; the EMA generator. */
  run: string;
  /** Evaluation folder. Default `<run>/eval/iter-<N>-n<samples>-seed<seed>` (or `<run>/eval/images-<folder>`). */
  out?: string;
  /** Score these images (each with a same-named .txt caption file) instead of generating. */
  images?: string;
  /** Samples to generate. Default 30,000 (the DM-GAN / AttnGAN protocol). */
  samples?: number;
  /** Seeds the captions drawn, the noise, R-precision and KID. Default 0. */
  seed?: number;
  /** Images per generator call and per scoring batch. Default 50. */
  batchSize?: number;
  /** 'offline' (default), 'all', or metric names (see metrics.ts). */
  metrics?: string | readonly string[];
  /** Folder of the converted Inception weights. Default <cache root>/weights. */
  weightsDir?: string;
  /** DAMSM encoders to score with (default: the run's). */
  damsm?: string;
  /** STREAM captioner to re-describe with (default: the run's). */
  captioner?: string;
  /** R-precision candidates per query (default 100) and groups (default 10). */
  candidates?: number;
  groups?: number;
  /** KID subsets (default 100) and subset size (default 1,000). */
  kidSubsets?: number;
  kidSubsetSize?: number;
  /** Noise seeds of the colour × shape probe. Default 8. */
  probeSeeds?: number;
  /** Sample CA_NET's code as in training (default true). */
  conditioningNoise?: boolean;
  /** Cache root (datasets, reference statistics). Default $MIRRORGAN_CACHE or ~/.cache/mirrorgan. */
  cacheDir?: string;
  /** Progress on stderr. Default true. */
  progress?: boolean;
  logger?: DataLogger;
  /** The run's dataset already loaded (tests, the ablation). */
  dataset?: LoadedDataset;
}

export interface EvalReport {
  version: number;
  createdAt: string;
  run: string;
  checkpoint: { dir: string; iteration: number } | null;
  out: string;
  samples: { source: 'generated' | 'folder'; count: number; imageSize: number; seed: number | null; dir: string; split: string };
  metrics: MetricResult[];
  skipped: { metric: MetricName; reason: string }[];
  networks: Record<string, string>;
  seconds: { samples: number; scoring: number; probe: number; total: number };
}

function checkInt(name: string, v: number | undefined, min: number): void {
  if (v !== undefined && (!Number.isInteger(v) || v < min)) throw new MirrorganError('ERR_INVALID_ARG', `Expected an integer of at least ${min} for ${name} but received ${v}`);
}

export async function evaluateRun(options: EvaluateOptions): Promise<EvalReport> {
  const t0 = Date.now();
  checkInt('samples', options.samples, 2);
  checkInt('batchSize', options.batchSize, 1);
  checkInt('seed', options.seed, 0);
  checkInt('probeSeeds', options.probeSeeds, 1);
  const logger = options.logger ?? stderrLogger;
  const progress = options.progress ?? true;
  const seed = options.seed ?? 0;
  const batchSize = options.batchSize ?? 50;
  const { metrics: wanted, required } = parseMetricSelection(options.metrics);
  // A run folder (its latest checkpoint) or a checkpoint folder (run_path.ts).
  const runPath = await resolveRunPath(options.run, { name: 'run' });
  const runDir = runPath.runDir as string;
  const model = await MirrorGAN.load(requireCheckpoint(runPath, options.run));
  const c = model.config;
  const resolved = await resolveNetworks(model, runDir, wanted, required, {
    damsm: options.damsm, captioner: options.captioner, weightsDir: options.weightsDir, fromFolder: options.images !== undefined,
  });
  for (const s of resolved.skipped) logger.info(`eval: skipping ${s.metric}: ${s.reason}`);
  const cacheDir = options.cacheDir ?? (c.dataset.cacheDir || undefined);
  const data = options.dataset ?? await loadDataset({
    dataset: c.dataset.name, root: c.dataset.root || undefined, cacheDir,
    imageSize: datasetImageSizeOf(c), openmoji: openMojiOptionsOf(c.dataset), logger, progress: progress ? 'auto' : false,
  });
  try {
    assertSameVocabulary(model.vocabulary, data.vocabulary, `the vocabulary of ${options.run}`, `the dataset '${data.name}'`);
    const split = evaluationSplit(data);
    const imageSize = finalImageSizeOf(c);
    const samples = options.samples ?? R_PRECISION_DEFAULTS.queries;
    const out = path.resolve(options.out ?? path.join(runDir, 'eval',
      options.images ? `images-${path.basename(path.resolve(options.images))}` : `iter-${model.source.checkpoint!.iteration}-n${samples}-seed${seed}`));
    await fs.mkdir(out, { recursive: true });

    // ---- the samples ----
    const tSamples = Date.now();
    let set: SampleSet;
    let pool: CaptionPool;
    if (options.images) {
      ({ set, pool } = await readImageFolder(options.images, imageSize));
    } else {
      pool = captionPool(split);
      const bar = reporter('eval: generating samples', samples, progress, logger);
      set = await generateSamples(out, model, drawQueries(pool, samples, seed), {
        run: runDir, iteration: model.source.checkpoint!.iteration, seed, batchSize, conditioningNoise: options.conditioningNoise,
        onBatch: (done) => bar.update(done),
      });
      bar.stop();
    }
    const samplesSeconds = (Date.now() - tSamples) / 1000;

    // ---- scoring ----
    const tScore = Date.now();
    const metrics = await scoreSamples(set, pool, model, resolved, split, data, { ...options, cacheDir }, progress, logger);
    const scoringSeconds = (Date.now() - tScore) / 1000;

    // ---- the probe ----
    const tProbe = Date.now();
    if (resolved.metrics.includes('probe')) metrics.push(...(await probeMetrics(model, options.probeSeeds ?? 8, options.conditioningNoise)));
    const probeSeconds = (Date.now() - tProbe) / 1000;

    const report: EvalReport = {
      version: EVAL_REPORT_VERSION, createdAt: new Date().toISOString(), run: path.resolve(runDir), checkpoint: model.source.checkpoint, out,
      samples: { source: options.images ? 'folder' : 'generated', count: set.files.length, imageSize, seed: options.images ? null : seed, dir: options.images ? path.resolve(options.images) : path.join(out, 'samples'), split: options.images ? 'folder' : split.split },
      metrics, skipped: resolved.skipped, networks: resolved.sources,
      seconds: { samples: samplesSeconds, scoring: scoringSeconds, probe: probeSeconds, total: (Date.now() - t0) / 1000 },
    };
    await writeJsonAtomic(path.join(out, 'eval.json'), report);
    await writeFileAtomic(path.join(out, 'index.html'), renderEvalHtml(report, await sampleGrid(set, 64), set.queries.slice(0, 64).map((q) => q.caption)));
    return report;
  } finally {
    if (!options.dataset) await data.close();
  }
}

/** A progress display for one stage (the project's one reporter, util/progress.ts). */
function reporter(label: string, total: number, progress: boolean, logger: DataLogger): ProgressReporter {
  return new ProgressReporter({
    total, mode: progress ? 'auto' : 'off', write: (line) => logger.info(line),
    bar: `${label} {bar} {value}/{total} | {rate}/s | eta {remaining}`,
    line: `${label}: {value}/{total} ({percentage}%), {rate}/s, eta {remaining}`,
    stopLine: `${label}: {value}/{total} done in {seconds} s`,
  });
}

/** Reads the sample set back batch by batch through an {@link EvalSession}. */
async function scoreSamples(
  set: SampleSet, pool: CaptionPool, model: MirrorGAN, resolved: Awaited<ReturnType<typeof resolveNetworks>>, split: Dataset,
  data: LoadedDataset, options: EvaluateOptions, progress: boolean, logger: DataLogger,
): Promise<MetricResult[]> {
  const perImage = resolved.metrics.filter((m) => m !== 'probe');
  if (perImage.length === 0) return [];
  const batchSize = options.batchSize ?? 50;
  let refBar: ProgressReporter | null = null;
  const session = await EvalSession.create({
    model, pool, metrics: perImage, networks: resolved.networks, total: set.files.length, imageSize: set.imageSize,
    reference: {
      split, source: data.cacheDir ?? data.root, cacheDir: options.cacheDir,
      onBatch: (done, total) => {
        refBar ??= reporter('eval: reference features of the real images', total, progress, logger);
        refBar.update(done);
        if (done === total) refBar.stop();
      },
    },
    rPrecision: { candidates: options.candidates, groups: options.groups, seed: options.seed ?? 0 },
    kid: { subsets: options.kidSubsets, subsetSize: options.kidSubsetSize, seed: options.seed ?? 0 },
  });
  const bar = reporter('eval: scoring', set.files.length, progress, logger);
  try {
    for (let from = 0; from < set.files.length; from += batchSize) {
      const n = Math.min(batchSize, set.files.length - from);
      const images = await readSampleBatch(set, from, n);
      try {
        await session.add(images, set.queries.slice(from, from + n));
      } finally {
        images.dispose();
      }
      bar.update(from + n);
    }
    bar.stop();
    return await session.finish();
  } finally {
    session.dispose();
  }
}

/** The colour × shape probe as two metrics (colour and shape hits of 24, mean over the seeds). */
async function probeMetrics(model: MirrorGAN, seeds: number, conditioningNoise?: boolean): Promise<MetricResult[]> {
  const { summary } = await runColourShapeProbe(
    async (captions, s) => (await model.generate(captions, { seed: s, conditioningNoise, sharedNoise: true })).map((img) => img.png), { seeds });
  const n = summary.runs * summary.perRun;
  const details = { seeds: summary.runs, perRun: summary.perRun, colour: summary.colour, shape: summary.shape, both: summary.both, chance: { colour: summary.perRun / 8, shape: summary.perRun / 3 } };
  return [
    metricResult('probe', summary.colour.mean, n, { key: 'probe_colour', label: `probe: right colour (of ${summary.perRun}; chance ${summary.perRun / 8})`, details }),
    metricResult('probe', summary.shape.mean, n, { key: 'probe_shape', label: `probe: right shape (of ${summary.perRun}; chance ${summary.perRun / 3})`, details }),
  ];
}
