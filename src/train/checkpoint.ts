// SPDX-License-Identifier: MIT
/**
 * Checkpoints: one folder per snapshot, `checkpoints/iter_<7 digits>` (weights as safetensors,
 * optimizer states, state.json, and last the manifest that makes the folder self-checking:
 * src/train/checkpoint_manifest.ts). A folder is assembled under a temporary name and renamed
 * into place, so a crash at any point leaves the earlier checkpoints intact. Checkpoints are
 * found by scanning `checkpoints/`; `latest.json` is written as a hint for other tools only.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { MirrorganError } from '../../lib/errors.js';
import { stderrLogger, type DataLogger } from '../data/report.js';
import { writeFolderAtomic, writeJsonAtomic } from '../util/atomic.js';
import { staleTemps } from '../util/stale_temp.js';
import { checkCheckpoint, STATE_FILE, writeManifest } from './checkpoint_manifest.js';
import { checkpointsToPrune, type CheckpointScore } from './checkpoint_retention.js';

/** One thing to write into a checkpoint folder (a module, an optimizer, ...). */
export interface CheckpointPart {
  file: string;
  save(path: string): Promise<void>;
}

const NAME = /^iter_(\d+)$/;

/** The folder name of iteration `iteration`'s checkpoint. */
export function checkpointName(iteration: number): string {
  return `iter_${String(iteration).padStart(7, '0')}`;
}

/** One checkpoint folder of a run (complete or not). */
export interface CheckpointFolder {
  name: string;
  dir: string;
  iteration: number;
}

/** The run's checkpoint folders, newest first. */
export async function listCheckpoints(runDir: string): Promise<CheckpointFolder[]> {
  const root = path.join(runDir, 'checkpoints');
  const entries = await fs.readdir(root, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isDirectory() && NAME.test(e.name))
    .map((e) => ({ name: e.name, dir: path.join(root, e.name), iteration: Number((NAME.exec(e.name) as RegExpExecArray)[1]) }))
    .sort((a, b) => b.iteration - a.iteration);
}

/** The newest checkpoint folder whose files agree with its manifest, or null. */
export async function latestCheckpoint(runDir: string): Promise<string | null> {
  for (const c of await listCheckpoints(runDir)) {
    if ((await checkCheckpoint(c.dir, c.iteration)).status !== 'corrupt') return c.dir;
  }
  return null;
}

export interface SaveCheckpointOptions {
  /** Checkpoints kept besides the best-scored one (`train.keepCheckpoints`). */
  keep: number;
  logger?: DataLogger;
}

/**
 * Writes iteration `iteration`'s checkpoint: `parts` and `state` into a temporary folder, the
 * manifest last, then the folder renamed into place, replacing one of the same iteration
 * (writeFolderAtomic), then older checkpoints pruned (see checkpoint_retention.ts). A failure
 * removes the temporary folder and raises ERR_FILE; the checkpoints already there are untouched.
 */
export async function saveCheckpoint(
  runDir: string, iteration: number, parts: CheckpointPart[], state: Record<string, unknown>, options: SaveCheckpointOptions,
): Promise<string> {
  const logger = options.logger ?? stderrLogger;
  const root = path.join(runDir, 'checkpoints');
  const name = checkpointName(iteration);
  const dir = path.join(root, name);
  await writeFolderAtomic(dir, async (tmp) => {
    try {
      for (const p of parts) await p.save(path.join(tmp, p.file));
      await writeJsonAtomic(path.join(tmp, STATE_FILE), state);
      await writeManifest(tmp, iteration);
    } catch (e) {
      throw new MirrorganError('ERR_FILE', `cannot write the checkpoint ${dir}: ${(e as Error).message}`, { cause: e });
    }
  }, { replace: true });
  // The checkpoint is complete; what follows is housekeeping that must not undo it.
  await writeJsonAtomic(path.join(root, 'latest.json'), { checkpoint: name, iteration }).catch((e: Error) => logger.warn(`checkpoint: ${e.message} (latest.json is only a hint)`));
  await pruneCheckpoints(runDir, options.keep, logger);
  return dir;
}

/** The score a checkpoint's state.json records, or null. */
async function scoreOf(dir: string): Promise<CheckpointScore | null> {
  try {
    const s = (JSON.parse(await fs.readFile(path.join(dir, STATE_FILE), 'utf8')) as { score?: CheckpointScore }).score;
    return s && typeof s.value === 'number' ? s : null;
  } catch {
    return null;
  }
}

/** Deletes the checkpoints retention does not keep (the newest `keep` and the best-scored one stay). */
export async function pruneCheckpoints(runDir: string, keep: number, logger: DataLogger = stderrLogger): Promise<void> {
  const all = await Promise.all((await listCheckpoints(runDir)).map(async (c) => ({ ...c, score: await scoreOf(c.dir) })));
  for (const old of checkpointsToPrune(all, keep)) {
    await fs.rm(old.dir, { recursive: true, force: true }).catch((e: Error) => logger.warn(`checkpoint: cannot remove ${old.dir}: ${e.message}`));
  }
}

/**
 * Settles what a killed process left in `checkpoints/`: a checkpoint folder it had completed
 * (manifest written) but not yet renamed into place is moved there; every other leftover
 * temporary (half-written folders, files) is removed.
 */
export async function settleCheckpoints(runDir: string, logger: DataLogger = stderrLogger): Promise<void> {
  const root = path.join(runDir, 'checkpoints');
  for (const t of await staleTemps(root)) {
    const m = NAME.exec(t.final);
    if (t.isDirectory && m) {
      const dir = path.join(root, t.final);
      const done = (await checkCheckpoint(t.path, Number(m[1]))).status === 'complete';
      const present = await fs.stat(dir).then(() => true, () => false);
      if (done && (!present || (await checkCheckpoint(dir, Number(m[1]))).status === 'corrupt')) {
        await fs.rm(dir, { recursive: true, force: true });
        await fs.rename(t.path, dir);
        logger.info(`checkpoint: completed ${dir}, which a stopped run had written but not yet moved into place`);
        continue;
      }
    }
    await fs.rm(t.path, { recursive: true, force: true });
  }
}

/**
 * Moves a damaged checkpoint folder out of the scan and of retention, to `<dir>.corrupt` (kept
 * for a look); returns the new path, or null when it cannot be moved (one is there already).
 */
export async function setAside(dir: string): Promise<string | null> {
  const to = `${dir}.corrupt`;
  return fs.rename(dir, to).then(() => to, () => null);
}

/** The state.json of checkpoint folder `dir`. */
export async function readState(dir: string): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await fs.readFile(path.join(dir, STATE_FILE), 'utf8'));
  } catch (e) {
    throw new MirrorganError('ERR_FILE', `checkpoint ${dir} has no readable state.json (${(e as Error).message})`);
  }
}
