// SPDX-License-Identifier: MIT
/**
 * Leftovers of killed writers: a process killed while it wrote a file or assembled a checkpoint
 * leaves its temporary (src/util/atomic.ts names them after the writer's process id). On the
 * next start those whose writer is gone are removed, so killed runs do not fill the disk; a
 * live writer's files (another process working in the same folder) are left alone.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { tempOwner } from './atomic.js';

/**
 * Whether process `pid` is running. The current process counts as gone: this is asked at a
 * start, before the process has written anything, and a leftover named after our own id comes
 * from an earlier process that had it (containers reuse small ids run after run).
 */
export function writerAlive(pid: number): boolean {
  if (pid === process.pid || !Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One leftover temporary in a folder. */
export interface StaleTemp {
  /** Its path. */
  path: string;
  /** The name it was to be renamed to. */
  final: string;
  pid: number;
  isDirectory: boolean;
}

/** The temporaries in `dir` whose writer is gone (none when `dir` does not exist). */
export async function staleTemps(dir: string): Promise<StaleTemp[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  const out: StaleTemp[] = [];
  for (const e of entries) {
    const owner = tempOwner(e.name);
    if (owner && !writerAlive(owner.pid)) out.push({ path: path.join(dir, e.name), final: owner.final, pid: owner.pid, isDirectory: e.isDirectory() });
  }
  return out;
}

/** Removes the stale temporaries of each folder in `dirs`; returns what was removed. */
export async function removeStaleTemps(dirs: readonly string[]): Promise<string[]> {
  const removed: string[] = [];
  for (const dir of dirs) {
    for (const t of await staleTemps(dir)) {
      await fs.rm(t.path, { recursive: true, force: true });
      removed.push(t.path);
    }
  }
  return removed;
}
