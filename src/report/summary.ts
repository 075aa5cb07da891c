// SPDX-License-Identifier: MIT
/** The numbers at the top of a report: how far a run got, how fast, last and best losses. */
import type { RunMetrics } from './metrics.js';
import { compareMetricNames } from './series.js';

/** Last and lowest value of one loss term over the training iterations. */
export interface LossSummary {
  name: string;
  last: number;
  lastIteration: number;
  /** The lowest value seen (for GAN losses "best" is only a hint, not a quality measure). */
  min: number;
  minIteration: number;
  /** The mean over the last epoch, when an epoch record has this term. */
  lastEpochMean?: number;
}

/** A run at a glance. Fields are absent when the metrics do not say. */
export interface RunSummary {
  /** Iteration of the last training record. */
  lastIteration?: number;
  /** Number of training iteration records (after superseding resumed stretches). */
  iterationRecords: number;
  /** Highest epoch number seen in iteration or epoch records. */
  lastEpoch?: number;
  /** Training seconds over all sessions (see RunMetrics.trainingSeconds). */
  elapsed?: number;
  /** Unix seconds of the first and last training record that has `time`. */
  firstTime?: number;
  lastTime?: number;
  /** Median of the trainer's it/s measurements. */
  medianItPerSec?: number;
  /** One row per loss term, in chart order. */
  losses: LossSummary[];
  /** Epochs of pretraining per phase (`damsm`, `stream`). */
  pretrainEpochs: Record<string, number>;
  /** Lines of metrics.jsonl that were skipped (bad JSON, truncated, missing fields). */
  skippedLines: number;
  /** Records of unknown type, tolerated and ignored. */
  unknownRecords: number;
}

function median(values: number[]): number | undefined {
  if (!values.length) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function lastDefined<T, K>(items: readonly T[], get: (t: T) => K | undefined): K | undefined {
  for (let i = items.length - 1; i >= 0; i--) {
    const v = get(items[i]);
    if (v !== undefined) return v;
  }
  return undefined;
}

/** Summarises parsed metrics (see {@link RunSummary}). */
export function summarize(metrics: RunMetrics): RunSummary {
  const its = metrics.iterations;
  const byName = new Map<string, LossSummary>();
  for (const r of its) {
    for (const [name, v] of Object.entries(r.loss)) {
      const s = byName.get(name);
      if (!s) {
        byName.set(name, { name, last: v, lastIteration: r.iteration, min: v, minIteration: r.iteration });
        continue;
      }
      s.last = v;
      s.lastIteration = r.iteration;
      if (v < s.min) {
        s.min = v;
        s.minIteration = r.iteration;
      }
    }
  }
  const lastEpochRecord = metrics.epochs[metrics.epochs.length - 1];
  if (lastEpochRecord) {
    for (const [name, v] of Object.entries(lastEpochRecord.loss)) {
      const s = byName.get(name);
      if (s) s.lastEpochMean = v;
    }
  }
  const epochs = [...its.map((r) => r.epoch), ...metrics.epochs.map((r) => r.epoch)].filter((e): e is number => e !== undefined);
  const pretrainEpochs: Record<string, number> = {};
  for (const r of metrics.pretrain) pretrainEpochs[r.phase] = Math.max(pretrainEpochs[r.phase] ?? -Infinity, r.epoch);

  const summary: RunSummary = {
    iterationRecords: its.length,
    losses: [...byName.values()].sort((a, b) => compareMetricNames(a.name, b.name)),
    pretrainEpochs,
    skippedLines: metrics.skippedLines,
    unknownRecords: metrics.unknownRecords,
  };
  const optional: Partial<RunSummary> = {
    lastIteration: its.length ? its[its.length - 1].iteration : undefined,
    lastEpoch: epochs.length ? Math.max(...epochs) : undefined,
    elapsed: metrics.trainingSeconds,
    firstTime: its.find((r) => r.time !== undefined)?.time,
    lastTime: lastDefined(its, (r) => r.time),
    medianItPerSec: median(its.flatMap((r) => (r.itPerSec === undefined ? [] : [r.itPerSec]))),
  };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) (summary as unknown as Record<string, unknown>)[k] = v;
  return summary;
}
