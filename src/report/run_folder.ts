// SPDX-License-Identifier: MIT
/** Recognising a training run folder before reading it. */
import fs from 'node:fs/promises';
import path from 'node:path';

import { MirrorganError } from '../../lib/errors.js';

async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}

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
  const marks = await Promise.all(['metrics.jsonl', 'config.json', 'samples'].map((f) => exists(path.join(runDir, f))));
  if (!marks.some(Boolean)) {
    throw new MirrorganError('ERR_FILE', `${runDir} is not a run folder (it has no metrics.jsonl, config.json or samples/)`);
  }
}
