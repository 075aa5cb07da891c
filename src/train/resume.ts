// SPDX-License-Identifier: MIT
/**
 * Where a resumed GAN phase starts: the newest checkpoint that checks out against its manifest
 * and restores, found by scanning `checkpoints/` (latest.json is not needed). A damaged newer
 * checkpoint is skipped with a warning naming it and why, and renamed `<name>.corrupt` (kept for
 * a look, out of the way of retention); when every checkpoint is damaged the resume fails
 * instead of starting over, so no work is ever replaced silently.
 */
import { MirrorganError } from '../../lib/errors.js';
import type { DataLogger } from '../data/report.js';
import { listCheckpoints, setAside } from './checkpoint.js';
import { checkCheckpoint } from './checkpoint_manifest.js';

export interface ResumePoint {
  /** The checkpoint folder restored. */
  dir: string;
  iteration: number;
  /** One line per checkpoint skipped: its folder and the reason. */
  skipped: string[];
}

/** Errors of a checkpoint's own files (a legacy folder without manifest can still hold a bad one). */
const FILE_ERRORS = new Set(['ERR_FILE', 'ERR_STATE_DICT', 'ERR_SHAPE', 'ERR_DTYPE']);

/**
 * Restores the newest usable checkpoint of `runDir` with `restore`, newest first; says which
 * one it took (one line) and warns about each one it skipped. ERR_FILE when there is none.
 */
export async function restoreNewest(runDir: string, restore: (dir: string) => Promise<void>, logger: DataLogger): Promise<ResumePoint> {
  const all = await listCheckpoints(runDir);
  if (all.length === 0) throw new MirrorganError('ERR_FILE', `nothing to resume: ${runDir} has no checkpoint`);
  const skipped: { dir: string; reason: string }[] = [];
  for (const c of all) {
    const check = await checkCheckpoint(c.dir, c.iteration);
    let reason = check.status === 'corrupt' ? check.reason : null;
    if (!reason) {
      try {
        await restore(c.dir);
      } catch (e) {
        if (!FILE_ERRORS.has((e as MirrorganError).code)) throw e;
        reason = (e as Error).message;
      }
    }
    if (reason) {
      skipped.push({ dir: c.dir, reason });
      continue;
    }
    for (const s of skipped) {
      const aside = await setAside(s.dir);
      logger.warn(`resume: skipped ${s.dir} (${s.reason})${aside ? `; kept as ${aside}` : ''}`);
    }
    logger.info(`resume: continuing from ${c.dir} (iteration ${c.iteration})`);
    return { dir: c.dir, iteration: c.iteration, skipped: skipped.map((s) => `${s.dir} (${s.reason})`) };
  }
  throw new MirrorganError(
    'ERR_FILE',
    `cannot resume ${runDir}: none of its ${all.length} checkpoints can be restored (${skipped.map((x) => `${x.dir}: ${x.reason}`).join('; ')}); nothing was changed. ` +
      'Restore a checkpoint from a copy, or move checkpoints/ away to start the GAN phase afresh',
  );
}
