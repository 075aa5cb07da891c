// SPDX-License-Identifier: MIT
/**
 * Every command that writes checks its output location here before it starts any work, so a
 * bad `--out` costs a one-line error instead of a finished training epoch, a stack trace, or a
 * hang: Node's `mkdir(..., { recursive: true })` loops forever under /proc and /sys, where
 * creating a child of an existing folder fails with ENOENT. Folders are therefore created one
 * level at a time, and each failure is reported as ERR_FILE naming the option and the reason.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { MirrorganError } from '../../lib/errors.js';

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is a file',
  EEXIST: 'a part of the path is a file',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
};

function reason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code && REASONS[code] ? `${REASONS[code]} (${code})` : (e as Error)?.message ?? String(e);
}

function unwritable(option: string, why: string): MirrorganError {
  return new MirrorganError('ERR_FILE', `Expected a writable folder for ${option} but ${why}`);
}

/** Creates `dir` and its missing parents one level at a time (never loops; see above). */
async function makeFolders(dir: string, option: string, given: string): Promise<void> {
  const missing: string[] = [];
  let p = dir;
  for (;;) {
    const stat = await fs.stat(p).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? null : Promise.reject(e)))
      .catch((e) => { throw unwritable(option, `cannot look at ${p}: ${reason(e)}`); });
    if (stat) {
      if (!stat.isDirectory()) throw unwritable(option, p === dir ? `${given} is a file` : `${p} (in ${given}) is a file`);
      break;
    }
    missing.unshift(p);
    const parent = path.dirname(p);
    if (parent === p) break;
    p = parent;
  }
  for (const m of missing) {
    try {
      await fs.mkdir(m);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && (await fs.stat(m).then((s) => s.isDirectory(), () => false))) continue;
      throw unwritable(option, `cannot create ${m}: ${reason(e)}`);
    }
  }
}

/** Writes and removes a probe file: the folder really takes files (permissions, read-only mounts, /proc). */
async function probeWrite(dir: string, option: string, given: string): Promise<void> {
  const probe = path.join(dir, `.mirrorgan-write-check-${process.pid}`);
  try {
    const handle = await fs.open(probe, 'wx');
    try {
      await handle.write('ok\n');
    } finally {
      await handle.close();
    }
  } catch (e) {
    await fs.rm(probe, { force: true }).catch(() => undefined);
    throw unwritable(option, `cannot write a file in ${given}: ${reason(e)}`);
  }
  await fs.rm(probe, { force: true });
}

/**
 * Makes sure `given` is (or can be created as) a folder that takes files, creating it; returns
 * the absolute path. `option` names it in errors (`--out`).
 */
export async function ensureWritableFolder(given: string, option = '--out'): Promise<string> {
  if (typeof given !== 'string' || given.trim() === '') throw unwritable(option, 'received an empty path');
  const dir = path.resolve(given);
  await makeFolders(dir, option, given);
  await probeWrite(dir, option, given);
  return dir;
}

/**
 * Makes sure the file `given` can be written: its folder as in ensureWritableFolder, and the
 * path itself is not a folder. Returns the absolute path.
 */
export async function ensureWritableFile(given: string, option = '--out'): Promise<string> {
  if (typeof given !== 'string' || given.trim() === '') {
    throw new MirrorganError('ERR_FILE', `Expected a writable file for ${option} but received an empty path`);
  }
  const file = path.resolve(given);
  if (await fs.stat(file).then((s) => s.isDirectory(), () => false)) {
    throw new MirrorganError('ERR_FILE', `Expected a writable file for ${option} but ${given} is a folder`);
  }
  await ensureWritableFolder(path.dirname(file), option);
  return file;
}
