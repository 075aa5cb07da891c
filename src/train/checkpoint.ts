// SPDX-License-Identifier: MIT
/**
 * Checkpoints: one folder per snapshot (weights as safetensors, optimizer states, state.json),
 * assembled under a temporary name and renamed into place, then recorded in latest.json (also
 * written by rename). A crash at any point leaves the previous checkpoint intact and findable.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { MirrorganError } from '../../lib/errors.js';
import { writeJsonAtomic } from '../util/atomic.js';

/** One thing to write into a checkpoint folder (a module, an optimizer, ...). */
export interface CheckpointPart {
  file: string;
  save(path: string): Promise<void>;
}

export async function saveCheckpoint(
  runDir: string, iteration: number, parts: CheckpointPart[], state: Record<string, unknown>, keep = 3,
): Promise<string> {
  const root = path.join(runDir, 'checkpoints');
  await fs.mkdir(root, { recursive: true });
  const name = `iter_${String(iteration).padStart(7, '0')}`;
  const dir = path.join(root, name);
  const tmp = path.join(root, `.${name}.tmp-${process.pid}`);
  await fs.rm(tmp, { recursive: true, force: true });
  await fs.mkdir(tmp);
  for (const p of parts) await p.save(path.join(tmp, p.file));
  await writeJsonAtomic(path.join(tmp, 'state.json'), state);
  await fs.rm(dir, { recursive: true, force: true });
  await fs.rename(tmp, dir);
  await writeJsonAtomic(path.join(root, 'latest.json'), { checkpoint: name, iteration });
  // Keep the newest `keep` snapshots.
  const all = (await fs.readdir(root)).filter((f) => /^iter_\d+$/.test(f)).sort();
  for (const old of all.slice(0, Math.max(0, all.length - keep))) await fs.rm(path.join(root, old), { recursive: true, force: true });
  return dir;
}

/** The folder of the newest complete checkpoint, or null. */
export async function latestCheckpoint(runDir: string): Promise<string | null> {
  const root = path.join(runDir, 'checkpoints');
  try {
    const { checkpoint } = JSON.parse(await fs.readFile(path.join(root, 'latest.json'), 'utf8'));
    const dir = path.join(root, checkpoint);
    await fs.access(path.join(dir, 'state.json'));
    return dir;
  } catch {
    return null;
  }
}

export async function readState(dir: string): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await fs.readFile(path.join(dir, 'state.json'), 'utf8'));
  } catch (e) {
    throw new MirrorganError('ERR_FILE', `checkpoint ${dir} has no readable state.json (${(e as Error).message})`);
  }
}
