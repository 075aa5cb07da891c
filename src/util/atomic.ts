// SPDX-License-Identifier: MIT
/**
 * Writing files so that readers see either the old or the new content, never a partial one:
 * the one temp-file-then-rename helper of the project.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

import { MirrorganError } from '../../lib/errors.js';

/**
 * A temporary name beside `file` (same folder, so the rename is atomic), unique per call:
 * `.<name>.<pid>.<8 hex>.tmp`. The writer's process id lets a later start tell a leftover of
 * a killed process from a live writer's file (see tempOwner and src/util/stale_temp.ts).
 */
export function tempPathFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * `.<name>.<pid>.<hex>.tmp` (tempPathFor), `<name>.tmp-<pid>-<random>` (the native safetensors
 * writer, native/addon/serialization.cpp) and `.<name>.tmp-<pid>` (checkpoint folders of builds
 * before manifests).
 */
const TEMP_NAMES = [/^\.(.+)\.(\d+)\.[0-9a-f]{8}\.tmp$/, /^(.+)\.tmp-(\d+)-\d+$/, /^\.(.+)\.tmp-(\d+)$/];

/**
 * The final name and writer's process id of a temporary name made by tempPathFor, the native
 * safetensors writer or an older build's checkpoint writer; null for any other name.
 */
export function tempOwner(name: string): { final: string; pid: number } | null {
  for (const re of TEMP_NAMES) {
    const m = re.exec(name);
    if (m) return { final: m[1] as string, pid: Number(m[2]) };
  }
  return null;
}

/**
 * Lets `write` fill a temporary file beside `file`, then renames it into place; the temporary
 * file is removed if anything fails. For writers that take a path (native safetensors saves).
 * Errors are raised as `ERR_FILE`.
 */
export async function writeAtomicWith(file: string, write: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = tempPathFor(file);
  try {
    await write(tmp);
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    if (e instanceof MirrorganError) throw e;
    throw new MirrorganError('ERR_FILE', `Cannot write ${file}: ${(e as Error).message}`, { cause: e });
  }
}

/** Writes `data` to `file` atomically (see writeAtomicWith). */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await writeAtomicWith(file, (tmp) => fs.writeFile(tmp, data));
}

/** Writes `value` as indented JSON (one space, trailing newline) to `file` atomically. */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(value, null, 1) + '\n');
}

/**
 * Files committed together by a later commit point (a state file naming their epoch) are first
 * written whole under `pendingPath(file)`; after the commit point is written, commitPending()
 * moves each into place. A crash in between leaves a pending file that the next start either
 * commits (its epoch is the committed one) or drops: see src/stem/damsm/state.ts.
 */
export function pendingPath(file: string): string {
  return `${file}.pending`;
}

/** Moves `pendingPath(file)` over `file` (the last move of a multi-file commit). */
export async function commitPending(file: string): Promise<void> {
  await fs.rename(pendingPath(file), file);
}

/**
 * Lets `fill` write a folder under a temporary name beside `dir`, then renames it into place, so
 * readers see no folder or the complete one; the temporary folder is removed if anything fails.
 * An existing `dir` is replaced (`replace: true`) only once the new folder is complete.
 */
export async function writeFolderAtomic(dir: string, fill: (tmp: string) => Promise<void>, options: { replace?: boolean } = {}): Promise<void> {
  const target = path.resolve(dir);
  await fs.mkdir(path.dirname(target), { recursive: true });
  const tmp = tempPathFor(target);
  await fs.mkdir(tmp);
  try {
    await fill(tmp);
    if (options.replace && (await fs.stat(target).catch(() => null))) {
      const old = tempPathFor(target);
      await fs.rename(target, old);
      await fs.rename(tmp, target);
      await fs.rm(old, { recursive: true, force: true });
    } else {
      await fs.rename(tmp, target);
    }
  } catch (e) {
    await fs.rm(tmp, { recursive: true, force: true });
    if (e instanceof MirrorganError) throw e;
    throw new MirrorganError('ERR_FILE', `Cannot write the folder ${dir}: ${(e as Error).message}`, { cause: e });
  }
}
