// SPDX-License-Identifier: MIT
/**
 * Reading a run's metrics.jsonl: one JSON object per line, written by the trainer as it goes.
 * Parsing is forgiving: blank lines are ignored, lines that are not JSON objects (a run killed
 * mid-write leaves a truncated last line) or that lack the fields their type needs are skipped
 * and counted, unknown record types and unknown fields are tolerated.
 */
import fs from 'node:fs/promises';

import { MirrorganError } from '../../lib/errors.js';

/** A name → number map (losses, learning rates); only finite numbers are kept. */
export type NumberMap = Record<string, number>;

/** `{"type":"iteration", ...}`: one training iteration of the GAN. */
export interface IterationRecord {
  type: 'iteration';
  iteration: number;
  epoch?: number;
  /** Unix time in seconds when the record was written. */
  time?: number;
  /** Seconds of training so far. */
  elapsed?: number;
  /** Iterations per second, as the trainer measured it. */
  itPerSec?: number;
  /** Learning rate per optimizer (`G`, `D0`, `D1`, ...). */
  lr: NumberMap;
  /** Loss terms (`D0`, `G_total`, `G_adv0`, `KL`, `STREAM`, `DAMSM`, ...). */
  loss: NumberMap;
}

/** `{"type":"epoch", ...}`: the end of an epoch, with epoch-mean losses. */
export interface EpochRecord {
  type: 'epoch';
  epoch: number;
  iteration?: number;
  time?: number;
  elapsed?: number;
  loss: NumberMap;
}

/** `{"type":"pretrain", ...}`: one epoch of DAMSM or STREAM pretraining. */
export interface PretrainRecord {
  type: 'pretrain';
  /** `damsm`, `stream` or whatever the trainer wrote. */
  phase: string;
  epoch: number;
  iteration?: number;
  time?: number;
  loss: NumberMap;
  /** Validation metrics, when the trainer wrote them. */
  val: NumberMap;
}

/** `{"type":"eval", ...}`: an evaluation during training (`train.evalInterval`, eval/training_eval.ts). */
export interface EvalRecord {
  type: 'eval';
  iteration: number;
  time?: number;
  /** Images scored. */
  samples?: number;
  /** Metric key → value (`r_precision`, `fid_damsm`, `kid_damsm`, `bleu`, `cider_d`). */
  metrics: NumberMap;
  /** Metric key → spread, where the metric has one. */
  std: NumberMap;
}

/** Everything read from one metrics.jsonl. */
export interface RunMetrics {
  /** Iteration records in iteration order (resumed stretches superseded). */
  iterations: IterationRecord[];
  /** Epoch records in epoch order (resumed stretches superseded). */
  epochs: EpochRecord[];
  /** Pretraining records grouped by phase (in order of first appearance), each in epoch order. */
  pretrain: PretrainRecord[];
  /** Evaluations during training, in iteration order (resumed stretches superseded). */
  evals: EvalRecord[];
  /** Well-formed JSON objects of a type this reader does not know (tolerated, not used). */
  unknownRecords: number;
  /**
   * Seconds of GAN training over all sessions of the run: `elapsed` restarts from zero when a
   * run is resumed, so each session's last value is added up. Absent without `elapsed` values.
   */
  trainingSeconds?: number;
  /** Lines skipped because they were not JSON objects or lacked required fields. */
  skippedLines: number;
  /** 1-based line numbers of the skipped lines (at most the first 100). */
  skippedLineNumbers: number[];
}

const MAX_LINE_NUMBERS = 100;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function finite(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function numberMap(v: unknown): NumberMap {
  const out: NumberMap = {};
  if (!isObject(v)) return out;
  for (const [k, x] of Object.entries(v)) {
    const n = finite(x);
    if (n !== undefined) out[k] = n;
  }
  return out;
}

function withOptional<T extends object>(target: T, fields: Record<string, number | undefined>): T {
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) (target as Record<string, unknown>)[k] = v;
  return target;
}

type Parsed = IterationRecord | EpochRecord | PretrainRecord | EvalRecord | 'unknown' | null;

function parseRecord(o: Record<string, unknown>): Parsed {
  switch (o.type) {
    case 'iteration': {
      const iteration = finite(o.iteration);
      if (iteration === undefined) return null;
      return withOptional<IterationRecord>(
        { type: 'iteration', iteration, lr: numberMap(o.lr), loss: numberMap(o.loss) },
        { epoch: finite(o.epoch), time: finite(o.time), elapsed: finite(o.elapsed), itPerSec: finite(o.itPerSec) },
      );
    }
    case 'epoch': {
      const epoch = finite(o.epoch);
      if (epoch === undefined) return null;
      return withOptional<EpochRecord>(
        { type: 'epoch', epoch, loss: numberMap(o.loss) },
        { iteration: finite(o.iteration), time: finite(o.time), elapsed: finite(o.elapsed) },
      );
    }
    case 'pretrain': {
      const epoch = finite(o.epoch);
      if (epoch === undefined || typeof o.phase !== 'string' || o.phase === '') return null;
      return withOptional<PretrainRecord>(
        { type: 'pretrain', phase: o.phase, epoch, loss: numberMap(o.loss), val: numberMap(o.val) },
        { iteration: finite(o.iteration), time: finite(o.time) },
      );
    }
    case 'eval': {
      const iteration = finite(o.iteration);
      if (iteration === undefined) return null;
      return withOptional<EvalRecord>(
        { type: 'eval', iteration, metrics: numberMap(o.metrics), std: numberMap(o.std) },
        { time: finite(o.time), samples: finite(o.samples) },
      );
    }
    default:
      return 'unknown';
  }
}

/**
 * Drops the records a resumed run re-did: when `key` (the iteration, or the epoch) goes back, as
 * when a run resumes from an older checkpoint, the earlier records at or after that point are
 * superseded by the new ones, as TensorBoard does. Returns a new array in `key` order.
 */
export function supersedeRestarts<T>(records: readonly T[], key: (record: T) => number): T[] {
  const out: T[] = [];
  for (const r of records) {
    const k = key(r);
    while (out.length > 0 && key(out[out.length - 1]) >= k) out.pop();
    out.push(r);
  }
  return out;
}

/**
 * Parses the text of a metrics.jsonl. Records re-done by a resumed run are superseded (see
 * {@link supersedeRestarts}): iteration records by iteration, epoch records by epoch,
 * pretraining records by epoch within their phase.
 */
export function parseMetrics(text: string): RunMetrics {
  const iterations: IterationRecord[] = [];
  const epochs: EpochRecord[] = [];
  const pretrain: PretrainRecord[] = [];
  const evals: EvalRecord[] = [];
  let unknownRecords = 0;
  let skippedLines = 0;
  const skippedLineNumbers: number[] = [];
  let sessionsTotal = 0;
  let session: number | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    let parsed: Parsed = null;
    try {
      const value: unknown = JSON.parse(line);
      if (isObject(value)) parsed = parseRecord(value);
    } catch {
      parsed = null;
    }
    if (parsed === null) {
      skippedLines++;
      if (skippedLineNumbers.length < MAX_LINE_NUMBERS) skippedLineNumbers.push(i + 1);
    } else if (parsed === 'unknown') {
      unknownRecords++;
    } else if (parsed.type === 'iteration' || parsed.type === 'epoch') {
      if (parsed.type === 'iteration') iterations.push(parsed);
      else epochs.push(parsed);
      const e = parsed.elapsed;
      if (e !== undefined) {
        if (session !== undefined && e < session) sessionsTotal += session;
        session = e;
      }
    } else if (parsed.type === 'eval') {
      evals.push(parsed);
    } else {
      pretrain.push(parsed);
    }
  }
  const phases = [...new Set(pretrain.map((r) => r.phase))];
  const metrics: RunMetrics = {
    iterations: supersedeRestarts(iterations, (r) => r.iteration),
    epochs: supersedeRestarts(epochs, (r) => r.epoch),
    pretrain: phases.flatMap((p) => supersedeRestarts(pretrain.filter((r) => r.phase === p), (r) => r.epoch)),
    evals: supersedeRestarts(evals, (r) => r.iteration),
    unknownRecords,
    skippedLines,
    skippedLineNumbers,
  };
  if (session !== undefined) metrics.trainingSeconds = sessionsTotal + session;
  return metrics;
}

/** Reads and parses a metrics.jsonl; a missing file reads as an empty run (no records). */
export async function readMetrics(file: string): Promise<RunMetrics> {
  let text = '';
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new MirrorganError('ERR_FILE', `Cannot read ${file}: ${(e as Error).message}`, { cause: e });
    }
  }
  return parseMetrics(text);
}
