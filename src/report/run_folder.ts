// SPDX-License-Identifier: MIT
/** A training run folder: recognising one, and reading its metrics including pretraining's. */
import fs from 'node:fs/promises';
import path from 'node:path';

import { MirrorganError } from '../../lib/errors.js';
import { readMetrics, type RunMetrics } from './metrics.js';
import { pathExists } from '../util/fs.js';

/**
 * Fails with `ERR_FILE` unless `runDir` is a folder holding at least one of metrics.jsonl,
 * config.json or samples/ (a run that has only just started may have just one of them).
 */
export async function assertRunFolder(runDir: string): Promise<void> {
  let stat;
  try {
    stat = await fs.stat(runDir);
  } catch {
    throw new MirrorganError('ERR_FILE', `Run folder not found: ${runDir}`);
  }
  if (!stat.isDirectory()) throw new MirrorganError('ERR_FILE', `Run folder not found: ${runDir} is not a folder`);
  const marks = await Promise.all(['metrics.jsonl', 'config.json', 'samples'].map((f) => pathExists(path.join(runDir, f))));
  if (!marks.some(Boolean)) {
    throw new MirrorganError('ERR_FILE', `${runDir} is not a run folder (it has no metrics.jsonl, config.json or samples/)`);
  }
}

/** Sub-folders where `mirrorgan train` pretrains DAMSM and STREAM, each with its own metrics.jsonl. */
export const PRETRAIN_SUBFOLDERS: readonly string[] = ['damsm', 'stream'];

/**
 * Reads `<run>/metrics.jsonl` and adds the pretraining records of `<run>/damsm/metrics.jsonl`
 * and `<run>/stream/metrics.jsonl` for phases the main file does not have (the pipeline
 * pretrains into those sub-folders). Skipped lines of all files are counted together; the
 * line numbers are those of the main file.
 */
export async function readRunMetrics(runDir: string): Promise<RunMetrics> {
  const metrics = await readMetrics(path.join(runDir, 'metrics.jsonl'));
  for (const sub of PRETRAIN_SUBFOLDERS) {
    const file = path.join(runDir, sub, 'metrics.jsonl');
    if (!(await pathExists(file))) continue;
    const extra = await readMetrics(file);
    const known = new Set(metrics.pretrain.map((r) => r.phase));
    metrics.pretrain.push(...extra.pretrain.filter((r) => !known.has(r.phase)));
    metrics.skippedLines += extra.skippedLines;
  }
  return metrics;
}
