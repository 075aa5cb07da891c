// SPDX-License-Identifier: MIT
/**
 * A checkpoint folder checks itself: `manifest.json`, written last (atomically) once every other
 * file is complete, lists each file's size and SHA-256. A folder whose manifest is missing,
 * unreadable or disagrees with a file (truncated, overwritten, deleted) is not a checkpoint to
 * resume from; see src/train/resume.ts for what is done with one.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeJsonAtomic } from '../util/atomic.js';
import { sha256File } from '../util/fs.js';

export const MANIFEST_FILE = 'manifest.json';
/** The file every checkpoint has (iteration, epoch, RNG position, configuration). */
export const STATE_FILE = 'state.json';

export interface ManifestEntry {
  size: number;
  sha256: string;
}

export interface CheckpointManifest {
  format: 'mirrorgan-checkpoint';
  version: 1;
  iteration: number;
  files: Record<string, ManifestEntry>;
}

/** What a look at a checkpoint folder found. */
export type CheckpointCheck =
  /** The manifest and every file it lists agree. */
  | { status: 'complete'; iteration: number }
  /** A folder from a build before manifests: only its state.json could be read. */
  | { status: 'unverified'; iteration: number }
  | { status: 'corrupt'; reason: string };

/** Size and SHA-256 of `file`. */
export async function digestFile(file: string): Promise<ManifestEntry> {
  return { size: (await fs.stat(file)).size, sha256: await sha256File(file) };
}

/** Writes `dir`'s manifest over every plain file in it; call it after the last of them is complete. */
export async function writeManifest(dir: string, iteration: number): Promise<CheckpointManifest> {
  const names = (await fs.readdir(dir, { withFileTypes: true })).filter((e) => e.isFile() && e.name !== MANIFEST_FILE && !e.name.startsWith('.')).map((e) => e.name).sort();
  const files: Record<string, ManifestEntry> = {};
  for (const name of names) files[name] = await digestFile(path.join(dir, name));
  const manifest: CheckpointManifest = { format: 'mirrorgan-checkpoint', version: 1, iteration, files };
  await writeJsonAtomic(path.join(dir, MANIFEST_FILE), manifest);
  return manifest;
}

async function readJson(file: string): Promise<unknown> {
  return JSON.parse(await fs.readFile(file, 'utf8'));
}

function isManifest(m: unknown, iteration: number): m is CheckpointManifest {
  const o = m as CheckpointManifest;
  return !!o && o.format === 'mirrorgan-checkpoint' && o.version === 1 && o.iteration === iteration && !!o.files && typeof o.files === 'object' && STATE_FILE in o.files;
}

/** Checks the checkpoint folder `dir` of iteration `iteration` (its name's number) against its manifest. */
export async function checkCheckpoint(dir: string, iteration: number): Promise<CheckpointCheck> {
  let manifest: unknown;
  try {
    manifest = await readJson(path.join(dir, MANIFEST_FILE));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return { status: 'corrupt', reason: `${MANIFEST_FILE} is unreadable (${(e as Error).message})` };
    // No manifest: a folder written before manifests existed, usable when its state reads.
    try {
      const state = (await readJson(path.join(dir, STATE_FILE))) as { iteration?: unknown };
      if (state.iteration === iteration) return { status: 'unverified', iteration };
      return { status: 'corrupt', reason: `no ${MANIFEST_FILE}, and ${STATE_FILE} says iteration ${String(state.iteration)}` };
    } catch (e2) {
      return { status: 'corrupt', reason: `no ${MANIFEST_FILE} and no readable ${STATE_FILE} (${(e2 as Error).message})` };
    }
  }
  if (!isManifest(manifest, iteration)) return { status: 'corrupt', reason: `${MANIFEST_FILE} is not a manifest of iteration ${iteration}` };
  const outside = Object.keys(manifest.files).find((name) => path.basename(name) !== name || name.startsWith('.'));
  if (outside !== undefined) return { status: 'corrupt', reason: `${MANIFEST_FILE} names a file outside the folder (${JSON.stringify(outside)})` };
  for (const [name, want] of Object.entries(manifest.files)) {
    const file = path.join(dir, name);
    const stat = await fs.stat(file).catch(() => null);
    if (!stat) return { status: 'corrupt', reason: `${name} is missing` };
    if (stat.size !== want.size) return { status: 'corrupt', reason: `${name} has ${stat.size} bytes, the manifest says ${want.size}` };
    if ((await digestFile(file)).sha256 !== want.sha256) return { status: 'corrupt', reason: `${name} does not match its checksum` };
  }
  return { status: 'complete', iteration };
}
