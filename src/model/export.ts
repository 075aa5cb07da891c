// SPDX-License-Identifier: MIT
/**
 * `mirrorgan export`: a model folder (model_folder.ts) from a run, one of its checkpoints, or
 * another model folder (to rename it or change its dtype). The manifest records the training
 * configuration, the checkpoint's iteration, the run's mean losses over the iterations before
 * it, any metrics given (an evaluation's JSON) and the licence the training data implies.
 */
import path from 'node:path';
import { MirrorganError } from '../../lib/errors.js';
import { resolveConfig, type MirrorGANConfig } from '../config/index.js';
import { readMetrics } from '../report/metrics.js';
import { hasCaptioner } from '../stream/checkpoint.js';
import { Vocabulary } from '../text/vocabulary.js';
import { readState } from '../train/checkpoint.js';
import { pathExists } from '../util/fs.js';
import {
  configOfManifest, hasCaptionerFiles, MODEL_FILES, readModelManifest, writeModelFolder,
  type ModelDtype, type ModelInfo, type ModelLicence, type ModelManifest, type ModelSource,
} from './model_folder.js';
import { captionerDirOf, requireCheckpoint, resolveRunPath } from './run_path.js';

/** Iterations whose logged losses are averaged into the manifest's `metrics.losses`. */
export const LOSS_WINDOW = 100;

/** Options of {@link exportModel}. */
export interface ExportOptions {
  /** Model name. Default: the output folder's name. */
  name?: string;
  description?: string;
  /** Storage type of the weights. Default: 'float16' (half the size; generation runs in float32). */
  dtype?: ModelDtype;
  /** Leave the captioner out (no re-description). Default: false. */
  withoutCaptioner?: boolean;
  /** More figures for the manifest (an evaluation's JSON), under `metrics`. */
  metrics?: Record<string, unknown>;
  /** The command that trained the run, recorded for whoever wants to reproduce it. */
  trainingCommand?: string;
  /** Replace an existing output folder. Default: false. */
  overwrite?: boolean;
  /** Overrides the licence the training data implies. */
  licence?: ModelLicence;
  /** The version recorded in the manifest (the CLI passes the package's). */
  mirrorganVersion: string;
}

/** Mean of each logged loss over the last LOSS_WINDOW iterations up to `iteration`. */
async function lossesBefore(runDir: string, iteration: number): Promise<Record<string, unknown>> {
  const file = path.join(runDir, 'metrics.jsonl');
  if (!(await pathExists(file))) return {};
  const records = (await readMetrics(file)).iterations.filter((r) => r.iteration <= iteration).slice(-LOSS_WINDOW);
  if (records.length === 0) return {};
  const sums: Record<string, { total: number; n: number }> = {};
  for (const r of records) {
    for (const [k, v] of Object.entries(r.loss)) {
      const s = (sums[k] ??= { total: 0, n: 0 });
      s.total += v;
      s.n++;
    }
  }
  const mean = Object.fromEntries(Object.entries(sums).map(([k, s]) => [k, Number((s.total / s.n).toPrecision(5))]));
  return { losses: { iterations: [records[0]!.iteration, records[records.length - 1]!.iteration], mean } };
}

/** What a new model folder takes from its source. */
interface Carried {
  source: ModelSource;
  training: ModelManifest['training'];
  metrics: Record<string, unknown>;
  description?: string;
  licence?: ModelLicence;
}

/** What to copy and what to record, from a run or checkpoint folder. */
async function fromRun(given: string, runPath: Awaited<ReturnType<typeof resolveRunPath>>, options: ExportOptions): Promise<Carried> {
  const ckpt = requireCheckpoint(runPath, given);
  const runDir = runPath.runDir as string;
  let config: MirrorGANConfig;
  try {
    config = resolveConfig({ files: [runPath.configFile as string] });
  } catch (e) {
    throw new MirrorganError('ERR_FILE', `${runPath.configFile}: ${(e as Error).message}`);
  }
  const iteration = Number((await readState(ckpt)).iteration);
  const capDir = captionerDirOf(runPath, config.train.captioner);
  const captioner = !options.withoutCaptioner && (await hasCaptioner(capDir)) ? capDir : null;
  return {
    source: {
      config,
      vocabulary: await Vocabulary.load(path.join(ckpt, 'vocabulary.json')),
      textEncoder: config.train.netE || path.join(runDir, 'damsm', 'text_encoder.safetensors'),
      generator: path.join(ckpt, 'netG_ema.safetensors'),
      captioner,
    },
    training: { source: `mirrorgan train (run ${path.basename(runDir)}, checkpoint ${path.basename(ckpt)})`, iteration, command: options.trainingCommand ?? null },
    metrics: await lossesBefore(runDir, iteration),
  };
}

/** What to copy and what to keep, from another model folder. */
async function fromModel(dir: string, options: ExportOptions): Promise<Carried> {
  const manifest = await readModelManifest(dir);
  return {
    source: {
      config: configOfManifest(dir, manifest),
      vocabulary: await Vocabulary.load(path.join(dir, MODEL_FILES.vocabulary)),
      textEncoder: path.join(dir, MODEL_FILES.textEncoder),
      generator: path.join(dir, MODEL_FILES.generator),
      captioner: hasCaptionerFiles(manifest) && !options.withoutCaptioner ? path.join(dir, MODEL_FILES.captioner) : null,
    },
    training: options.trainingCommand ? { ...manifest.training, command: options.trainingCommand } : manifest.training,
    metrics: manifest.metrics,
    description: manifest.description,
    licence: manifest.licence,
  };
}

/** Writes the model folder `out` from the run, checkpoint or model folder `from`; returns its manifest. */
export async function exportModel(from: string, out: string, options: ExportOptions): Promise<ModelManifest> {
  const runPath = await resolveRunPath(from, { accept: ['run', 'checkpoint', 'model'], name: 'the run to export' });
  if (path.resolve(out) === path.resolve(runPath.modelDir ?? runPath.runDir ?? '')) {
    throw new MirrorganError('ERR_INVALID_ARG', `Expected an output folder other than the model exported (${from})`);
  }
  const got = runPath.kind === 'model' ? await fromModel(runPath.modelDir as string, options) : await fromRun(from, runPath, options);
  const info: ModelInfo = {
    name: options.name ?? path.basename(path.resolve(out)),
    description: options.description ?? got.description,
    training: got.training,
    metrics: { ...got.metrics, ...(options.metrics ?? {}) },
    licence: options.licence ?? got.licence,
    dtype: options.dtype ?? 'float16',
    mirrorganVersion: options.mirrorganVersion,
  };
  return writeModelFolder(out, got.source, info, { overwrite: options.overwrite });
}
