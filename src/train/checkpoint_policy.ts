// SPDX-License-Identifier: MIT
/**
 * What a failed checkpoint write does to training (`train.onCheckpointError`). The write itself
 * never harms the earlier checkpoints (src/train/checkpoint.ts assembles each one aside), so a
 * full disk or a read-only folder costs at most the checkpoints that could not be written.
 */
import { MirrorganError } from '../../lib/errors.js';
import type { DataLogger } from '../data/report.js';
import { latestCheckpoint } from './checkpoint.js';
import type { MetricsLog } from './metrics_log.js';

export interface CheckpointAttempt {
  runDir: string;
  iteration: number;
  policy: 'stop' | 'continue';
  /** The end of training: nothing is left to retry, so a failure stops whatever the policy. */
  final: boolean;
  logger: DataLogger;
  metrics: MetricsLog;
}

/**
 * Runs `write` (a checkpoint). A failure is recorded in metrics.jsonl (`checkpoint_error`);
 * with 'continue' it is reported on the logger and null is returned (training goes on and the
 * next checkpoint is tried at its interval); with 'stop', or when `final`, it raises ERR_FILE
 * naming the checkpoint that stays.
 */
export async function checkpointOrReport(write: () => Promise<string>, a: CheckpointAttempt): Promise<string | null> {
  try {
    return await write();
  } catch (e) {
    const message = (e as Error).message;
    a.metrics.write({ type: 'checkpoint_error', iteration: a.iteration, time: Date.now() / 1000, message });
    if (a.final || a.policy === 'stop') {
      const kept = await latestCheckpoint(a.runDir);
      throw new MirrorganError('ERR_FILE', `${message}; training stopped at iteration ${a.iteration}, the last checkpoint ${kept ?? '(none yet)'} is intact`, { cause: e });
    }
    a.logger.warn(`${message}; training continues (train.onCheckpointError = continue), the next checkpoint is tried at its interval`);
    return null;
  }
}
