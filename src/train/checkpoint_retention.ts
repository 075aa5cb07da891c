// SPDX-License-Identifier: MIT
/**
 * Which checkpoints a run folder keeps: the newest `keep` (`train.keepCheckpoints`) plus the
 * best by a score when checkpoints carry one (a {@link CheckpointScorer} given to the trainer,
 * e.g. an evaluation's score), so a long run's folder stays bounded and still holds the model
 * worth releasing.
 */

/** A score of the model as it is at a checkpoint, recorded in the checkpoint's state.json. */
export interface CheckpointScore {
  /** What was measured, e.g. 'R-precision' (shown in messages). */
  name: string;
  value: number;
  higherIsBetter: boolean;
}

/**
 * Scores checkpoints for retention: called when a checkpoint is written, with its iteration;
 * null when there is no score for it (then only recency keeps it).
 */
export interface CheckpointScorer {
  name: string;
  higherIsBetter: boolean;
  score(iteration: number): number | null | Promise<number | null>;
}

/** What `scorer` says of iteration `iteration`, as recorded in a checkpoint; undefined without a score. */
export async function scoreAt(scorer: CheckpointScorer | undefined, iteration: number): Promise<CheckpointScore | undefined> {
  const value = scorer ? await scorer.score(iteration) : null;
  return scorer && typeof value === 'number' ? { name: scorer.name, value, higherIsBetter: scorer.higherIsBetter } : undefined;
}

/** One checkpoint folder as retention sees it. */
export interface RetainedCheckpoint {
  name: string;
  iteration: number;
  score: CheckpointScore | null;
}

/** The best-scored of `all` (the newest on ties), or null when none has a finite score. */
export function bestCheckpoint<T extends RetainedCheckpoint>(all: readonly T[]): T | null {
  let best: T | null = null;
  for (const c of all) {
    if (!c.score || !Number.isFinite(c.score.value)) continue;
    if (!best) {
      best = c;
      continue;
    }
    const b = best.score as CheckpointScore;
    const better = c.score.higherIsBetter ? c.score.value > b.value : c.score.value < b.value;
    if (better || (c.score.value === b.value && c.iteration > best.iteration)) best = c;
  }
  return best;
}

/** The checkpoints to delete so that the newest `keep` and the best-scored one remain. */
export function checkpointsToPrune<T extends RetainedCheckpoint>(all: readonly T[], keep: number): T[] {
  const newest = [...all].sort((a, b) => b.iteration - a.iteration).slice(0, Math.max(1, keep));
  const best = bestCheckpoint(all);
  const kept = new Set<T>(newest);
  if (best) kept.add(best);
  return all.filter((c) => !kept.has(c));
}
