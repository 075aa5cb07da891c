// SPDX-License-Identifier: MIT
/**
 * What a path given as "the run" names, decided in one place for `MirrorGAN.load` and every
 * command that takes `--run`:
 *
 * | kind | how it is recognised | what it yields |
 * |---|---|---|
 * | run folder | holds `config.json` and `checkpoints/` (written by `train`) | its latest checkpoint |
 * | checkpoint folder | `<run>/checkpoints/iter_N` with `state.json` | that checkpoint; the run two levels up |
 * | captioner folder | holds `captioner.json` (written by `pretrain-stream`) | the captioner alone |
 * | model folder | holds `manifest.json` (written by `export`, shipped under `models/`) | the model's weights, config and captioner |
 *
 * A new kind of folder (say, exported weights with a manifest) is one more entry in
 * `RUN_PATH_KINDS`, one more recogniser in `recognise` and one more line in the table above.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { MirrorganError } from '../../lib/errors.js';
import { CAPTIONER_FILES } from '../stream/checkpoint.js';
import { hasModelManifest, MODEL_FILES } from './model_folder.js';
import { latestCheckpoint } from '../train/checkpoint.js';
import { pathExists } from '../util/fs.js';

/** The kinds of folder `resolveRunPath` recognises. */
export const RUN_PATH_KINDS = ['run', 'checkpoint', 'captioner', 'model'] as const;
export type RunPathKind = (typeof RUN_PATH_KINDS)[number];

/** How each kind is named in error messages (what the user was expected to give). */
const DESCRIPTIONS: Record<RunPathKind, string> = {
  run: 'a run folder (with config.json and checkpoints/, written by `mirrorgan train`)',
  checkpoint: 'a checkpoint folder (<run>/checkpoints/iter_N, with state.json)',
  captioner: 'a captioner folder (with captioner.json, written by `mirrorgan pretrain-stream`)',
  model: 'a model folder (with manifest.json, written by `mirrorgan export`)',
};

export interface RunPath {
  kind: RunPathKind;
  /** The run folder: the path itself, or two levels above a checkpoint folder; null for a captioner or model folder. */
  runDir: string | null;
  /** The checkpoint to read: the one named, or the run's latest (null while the run has none yet). */
  checkpointDir: string | null;
  /** The run's resolved configuration file (`<run>/config.json`); null for a captioner or model folder. */
  configFile: string | null;
  /** The captioner folder when the path is one (or a model folder's); a run's captioner depends on its config (see captionerDirOf). */
  captionerDir: string | null;
  /** The model folder when the path is one. */
  modelDir: string | null;
}

async function isDirectory(p: string): Promise<boolean> {
  return fs.stat(p).then((s) => s.isDirectory(), () => false);
}

async function isRunFolder(dir: string): Promise<boolean> {
  return (await pathExists(path.join(dir, 'config.json'))) && (await isDirectory(path.join(dir, 'checkpoints')));
}

async function recognise(dir: string): Promise<RunPath | null> {
  if (await isRunFolder(dir)) {
    return { kind: 'run', runDir: dir, checkpointDir: await latestCheckpoint(dir), configFile: path.join(dir, 'config.json'), captionerDir: null, modelDir: null };
  }
  const parent = path.dirname(dir);
  if (/^iter_\d+$/.test(path.basename(dir)) && path.basename(parent) === 'checkpoints' && (await pathExists(path.join(dir, 'state.json')))) {
    const runDir = path.dirname(parent);
    if (!(await pathExists(path.join(runDir, 'config.json')))) {
      throw new MirrorganError('ERR_FILE', `${dir} is a checkpoint folder, but its run folder ${runDir} has no config.json`);
    }
    return { kind: 'checkpoint', runDir, checkpointDir: dir, configFile: path.join(runDir, 'config.json'), captionerDir: null, modelDir: null };
  }
  if (await pathExists(path.join(dir, CAPTIONER_FILES.config))) {
    return { kind: 'captioner', runDir: null, checkpointDir: null, configFile: null, captionerDir: dir, modelDir: null };
  }
  if (await hasModelManifest(dir)) {
    return { kind: 'model', runDir: null, checkpointDir: null, configFile: null, captionerDir: path.join(dir, MODEL_FILES.captioner), modelDir: dir };
  }
  return null;
}

/**
 * Decides what `given` is. `accept` lists the kinds the caller can use (default: run and
 * checkpoint folders); anything else is ERR_FILE naming what was expected and what was found.
 * `name` is how the caller calls the path in messages (`--run`, `runDir`).
 */
export async function resolveRunPath(
  given: string, options: { accept?: readonly RunPathKind[]; name?: string } = {},
): Promise<RunPath> {
  const accept = options.accept ?? ['run', 'checkpoint'];
  const name = options.name ?? 'run';
  const expected = `Expected ${accept.map((k) => DESCRIPTIONS[k]).join(' or ')} for ${name}`;
  if (typeof given !== 'string' || given.length === 0) throw new MirrorganError('ERR_FILE', `${expected} but received ${JSON.stringify(given)}`);
  const dir = path.resolve(given);
  const stat = await fs.stat(dir).catch(() => null);
  if (!stat) throw new MirrorganError('ERR_FILE', `${expected} but ${given} does not exist`);
  if (!stat.isDirectory()) throw new MirrorganError('ERR_FILE', `${expected} but ${given} is a file`);
  const found = await recognise(dir);
  if (!found) throw new MirrorganError('ERR_FILE', `${expected} but ${given} is none of these`);
  if (!accept.includes(found.kind)) throw new MirrorganError('ERR_FILE', `${expected} but ${given} is ${DESCRIPTIONS[found.kind]}`);
  return found;
}

/**
 * The run folder of `given` for commands that also read runs still in their pretraining phases
 * (`report`): the run above a checkpoint folder, else `given` itself, unchecked.
 */
export async function runFolderOf(given: string): Promise<string> {
  const found = await recognise(path.resolve(given)).catch(() => null);
  return found?.kind === 'checkpoint' ? (found.runDir as string) : given;
}

/** The checkpoint a resolved run path names, or ERR_FILE when the run has none yet. */
export function requireCheckpoint(runPath: RunPath, given: string): string {
  if (runPath.checkpointDir) return runPath.checkpointDir;
  throw new MirrorganError('ERR_FILE', `${given} holds no checkpoint yet (the GAN phase of \`mirrorgan train\` writes checkpoints/iter_N)`);
}

/** The STREAM captioner of a resolved path: the folder itself, or the run's (`train.captioner`, else `<run>/stream`). */
export function captionerDirOf(runPath: RunPath, trainCaptioner: string): string {
  if (runPath.captionerDir) return runPath.captionerDir;
  return trainCaptioner || path.join(runPath.runDir as string, 'stream');
}
