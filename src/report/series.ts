// SPDX-License-Identifier: MIT
/**
 * From parsed metrics to the curves a report draws: losses grouped per network and stage,
 * learning rates per optimizer, training speed, pretraining curves; optional EMA smoothing.
 */
import { invalidArg } from '../../lib/errors.js';
import { METRIC_INFO } from '../eval/metrics.js';
import type { NumberMap, PretrainRecord, RunMetrics } from './metrics.js';

/** One (x, y) sample of a curve. */
export interface Point {
  x: number;
  y: number;
}

/** One named curve. */
export interface Series {
  /** The metric's name as the trainer wrote it (`D0`, `G_total`, `lr G`, ...). */
  name: string;
  /** The raw values in x order. */
  points: Point[];
  /** The EMA-smoothed values, present when smoothing is on. */
  smoothed?: Point[];
}

/** What a chart shows, which decides its default scale. */
export type ChartKind = 'loss' | 'lr' | 'speed' | 'metric';

/** A chart: a set of curves that share axes. */
export interface SeriesGroup {
  /** A stable identifier (`loss-D`, `lr`, `pretrain-damsm`, ...), usable as an HTML id. */
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  kind: ChartKind;
  series: Series[];
}

/** Options of {@link groupSeries}. */
export interface GroupSeriesOptions {
  /**
   * EMA smoothing factor in [0, 1), TensorBoard style (debiased): 0 turns smoothing off, 0.9
   * averages over roughly the last ten points. Default 0.
   */
  smoothing?: number;
}

/** How loss keys are grouped: first matching rule wins; unmatched keys go to "Other losses". */
const LOSS_GROUPS: ReadonlyArray<{ id: string; title: string; match: (key: string) => boolean }> = [
  { id: 'loss-D', title: 'Discriminator losses per stage', match: (k) => /^D\d*$/.test(k) },
  { id: 'loss-G', title: 'Generator losses (total and adversarial per stage)', match: (k) => /^G(_|$)/.test(k) },
  { id: 'loss-KL', title: 'KL (conditioning augmentation)', match: (k) => k === 'KL' },
  { id: 'loss-STREAM', title: 'STREAM caption loss', match: (k) => k === 'STREAM' },
  { id: 'loss-DAMSM', title: 'DAMSM loss', match: (k) => k === 'DAMSM' },
];

/** Validation values that are losses (charted with the training losses). */
const LOSS_KEY = /loss|(^|_)(ce|nll)$|^ce_/i;
/** Validation values that are counts, not measurements (`batches`, `batch_size`, `pool_size`): not charted. */
const COUNT_KEY = /batch|size|count|^num_|^n_/i;

/** Natural order: `G_total` first, then by name with digit runs compared as numbers (D2 < D10). */
export function compareMetricNames(a: string, b: string): number {
  const rank = (s: string): number => (s === 'G_total' ? 0 : s === 'G' ? 1 : 2);
  return rank(a) - rank(b) || a.localeCompare(b, 'en', { numeric: true });
}

/**
 * Debiased exponential moving average (TensorBoard's smoothing): `s = 0` returns a copy of the
 * input, larger `s` smooths more. The first points are not pulled towards zero.
 */
export function ema(points: readonly Point[], smoothing: number): Point[] {
  if (!(smoothing >= 0 && smoothing < 1)) throw invalidArg('smoothing', 'number in [0, 1)', smoothing);
  let acc = 0;
  let weight = 0;
  return points.map((p) => {
    acc = acc * smoothing + (1 - smoothing) * p.y;
    weight = weight * smoothing + (1 - smoothing);
    return { x: p.x, y: acc / weight };
  });
}

/** Collects one series per key of `pick(record)`, x taken from `xOf(record)`. */
function collect<R>(records: readonly R[], xOf: (r: R) => number | undefined, pick: (r: R) => NumberMap, prefix = ''): Map<string, Point[]> {
  const byName = new Map<string, Point[]>();
  for (const r of records) {
    const x = xOf(r);
    if (x === undefined) continue;
    for (const [k, y] of Object.entries(pick(r))) {
      const name = prefix + k;
      let pts = byName.get(name);
      if (!pts) byName.set(name, (pts = []));
      pts.push({ x, y });
    }
  }
  return byName;
}

function toSeries(byName: Map<string, Point[]>, names: readonly string[], smoothing: number): Series[] {
  return [...names].sort(compareMetricNames).map((name) => {
    const points = byName.get(name) ?? [];
    return smoothing > 0 ? { name, points, smoothed: ema(points, smoothing) } : { name, points };
  });
}

/**
 * Groups a run's metrics into charts, in page order: discriminator losses (D0, D1, D2),
 * generator losses (G_total, G_adv0..), KL, STREAM, DAMSM, any other loss terms, learning rates
 * per optimizer, iterations per second, one chart per metric of the evaluations during training
 * (`train.evalInterval`), then per pretraining phase a chart of its training and
 * validation losses and one of its other validation values (recall, BLEU) over epochs; counts
 * such as `batches` or `pool_size` are not charted. Charts with no data are left out.
 */
export function groupSeries(metrics: RunMetrics, options: GroupSeriesOptions = {}): SeriesGroup[] {
  const smoothing = options.smoothing ?? 0;
  if (!(smoothing >= 0 && smoothing < 1)) throw invalidArg('smoothing', 'number in [0, 1)', smoothing);
  const groups: SeriesGroup[] = [];
  const its = metrics.iterations;
  const iterationX = (r: { iteration: number }): number => r.iteration;

  const losses = collect(its, iterationX, (r) => r.loss);
  const remaining = new Set(losses.keys());
  for (const g of LOSS_GROUPS) {
    const names = [...remaining].filter(g.match);
    if (!names.length) continue;
    for (const n of names) remaining.delete(n);
    groups.push({ id: g.id, title: g.title, xLabel: 'iteration', yLabel: 'loss', kind: 'loss', series: toSeries(losses, names, smoothing) });
  }
  if (remaining.size) {
    groups.push({ id: 'loss-other', title: 'Other losses', xLabel: 'iteration', yLabel: 'loss', kind: 'loss', series: toSeries(losses, [...remaining], smoothing) });
  }

  const lr = collect(its, iterationX, (r) => r.lr);
  if (lr.size) {
    // Learning rates are schedules, not noisy measurements: never smoothed.
    groups.push({ id: 'lr', title: 'Learning rate per optimizer', xLabel: 'iteration', yLabel: 'learning rate', kind: 'lr', series: toSeries(lr, [...lr.keys()], 0) });
  }

  const speed = collect(its, iterationX, (r): NumberMap => (r.itPerSec === undefined ? {} : { 'it/s': r.itPerSec }));
  if (speed.size) {
    groups.push({ id: 'speed', title: 'Training speed', xLabel: 'iteration', yLabel: 'iterations / s', kind: 'speed', series: toSeries(speed, ['it/s'], smoothing) });
  }

  // Evaluations during training: one chart per metric (their scales differ), never smoothed.
  const evals = collect(metrics.evals, iterationX, (r) => r.metrics);
  for (const key of [...evals.keys()].sort(compareMetricNames)) {
    const info = (METRIC_INFO as Record<string, { label: string } | undefined>)[key];
    groups.push({ id: `eval-${key}`, title: `Evaluation: ${info?.label ?? key}`, xLabel: 'iteration', yLabel: key, kind: 'metric', series: toSeries(evals, [key], 0) });
  }

  const phases = [...new Set(metrics.pretrain.map((r) => r.phase))];
  for (const phase of phases) {
    const records = metrics.pretrain.filter((r) => r.phase === phase);
    const epochX = (r: { epoch: number }): number => r.epoch;
    const name = phase === 'damsm' || phase === 'stream' ? phase.toUpperCase() : phase;
    const id = `pretrain-${phase.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    const pick = (r: PretrainRecord, losses: boolean): NumberMap =>
      Object.fromEntries(Object.entries(r.val).filter(([k]) => !COUNT_KEY.test(k) && LOSS_KEY.test(k) === losses));
    const lossCurves = new Map([...collect(records, epochX, (r) => r.loss, 'train '), ...collect(records, epochX, (r) => pick(r, true), 'val ')]);
    if (lossCurves.size) {
      groups.push({ id: `${id}-loss`, title: `Pretraining ${name}: losses`, xLabel: 'epoch', yLabel: 'loss', kind: 'loss', series: toSeries(lossCurves, [...lossCurves.keys()], 0) });
    }
    const valCurves = collect(records, epochX, (r) => pick(r, false), 'val ');
    if (valCurves.size) {
      groups.push({ id: `${id}-val`, title: `Pretraining ${name}: validation`, xLabel: 'epoch', yLabel: 'value', kind: 'metric', series: toSeries(valCurves, [...valCurves.keys()], 0) });
    }
  }
  return groups;
}
