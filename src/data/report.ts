// SPDX-License-Identifier: MIT
/**
 * Bad-data reporting. Every skipped or repaired item produces one warning line through an
 * injectable {@link DataLogger}; at the end one summary line counts them by reason, e.g.
 * `cub train: skipped 3 images (2 unreadable, 1 no captions); fixed 1 image (1 grayscale → RGB)`.
 * Warning lines per reason are capped so a dataset with thousands of grayscale images stays readable.
 */
import { escapeControls } from '../util/terminal.js';

/** Where the data layer writes warnings and progress (default: stderr). */
export interface DataLogger {
  /** One warning line (bad data, fixes). */
  warn(message: string): void;
  /** One informational line (summaries, cache use). */
  info(message: string): void;
}

/** Logger writing to `process.stderr` (file names and captions in the lines cannot drive the terminal). */
export const stderrLogger: DataLogger = {
  warn: (message) => process.stderr.write(`warning: ${escapeControls(message)}\n`),
  info: (message) => process.stderr.write(`${escapeControls(message)}\n`),
};

/** Why an item was skipped. */
export type SkipReason =
  | 'unreadable'
  | 'missing image'
  | 'no captions'
  | 'missing caption file'
  | 'duplicate key'
  | 'bad metadata line';

/** How an item was repaired. */
export type FixReason = 'grayscale → RGB' | 'CMYK → RGB' | 'alpha flattened on white' | 'other colour space → RGB';

/** Caption-level drops (the image is kept). */
export type DropReason = 'empty caption' | 'unknown words' | 'extra captions';

/** Counts per reason, as stored in cache indexes and returned to callers. */
export interface ReportCounts {
  skipped: Partial<Record<SkipReason, number>>;
  fixed: Partial<Record<FixReason, number>>;
  dropped: Partial<Record<DropReason, number>>;
}

/** Maximum warning lines printed per reason; the rest only count in the summary. */
const MAX_LINES_PER_REASON = 10;

function bump<K extends string>(rec: Partial<Record<K, number>>, k: K, n = 1): number {
  const v = (rec[k] ?? 0) + n;
  rec[k] = v;
  return v;
}

function total(rec: Partial<Record<string, number>>): number {
  return Object.values(rec).reduce<number>((a, b) => a + (b ?? 0), 0);
}

function detail(rec: Partial<Record<string, number>>): string {
  return Object.entries(rec)
    .sort(([ka, a], [kb, b]) => (b ?? 0) - (a ?? 0) || (ka < kb ? -1 : ka > kb ? 1 : 0))
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');
}

/** Collects bad-data events for one dataset load and prints them. */
export class DataReport {
  /** Counts so far. */
  readonly counts: ReportCounts = { skipped: {}, fixed: {}, dropped: {} };
  private readonly lines = new Map<string, number>();

  /** @param label prefix of every line, e.g. `cub` ; @param logger sink for lines. */
  constructor(
    private readonly label: string,
    private readonly logger: DataLogger,
  ) {}

  private line(reason: string, message: string): void {
    const n = (this.lines.get(reason) ?? 0) + 1;
    this.lines.set(reason, n);
    if (n <= MAX_LINES_PER_REASON) this.logger.warn(`${this.label}: ${message}`);
    else if (n === MAX_LINES_PER_REASON + 1) this.logger.warn(`${this.label}: more "${reason}" cases follow; only counted in the summary`);
  }

  /** Records a skipped item with one warning line. */
  skip(reason: SkipReason, key: string, why?: string): void {
    bump(this.counts.skipped, reason);
    this.line(reason, `skipped ${key}: ${reason}${why ? ` (${why})` : ''}`);
  }

  /** Records a repaired image with one warning line. */
  fix(reason: FixReason, key: string): void {
    bump(this.counts.fixed, reason);
    this.line(reason, `fixed ${key}: ${reason}`);
  }

  /** Records dropped captions of a kept image with one warning line. */
  drop(reason: DropReason, key: string, count: number, why?: string): void {
    bump(this.counts.dropped, reason, count);
    this.line(reason, `dropped ${count} caption${count === 1 ? '' : 's'} of ${key}: ${reason}${why ? ` (${why})` : ''}`);
  }

  /** Adds counts recorded earlier (e.g. at cache build time) without printing lines again. */
  merge(counts: ReportCounts): void {
    for (const [k, v] of Object.entries(counts.skipped)) bump(this.counts.skipped, k as SkipReason, v ?? 0);
    for (const [k, v] of Object.entries(counts.fixed)) bump(this.counts.fixed, k as FixReason, v ?? 0);
    for (const [k, v] of Object.entries(counts.dropped)) bump(this.counts.dropped, k as DropReason, v ?? 0);
  }

  /** True when nothing was skipped, fixed or dropped. */
  get clean(): boolean {
    return total(this.counts.skipped) + total(this.counts.fixed) + total(this.counts.dropped) === 0;
  }

  /** The summary line, or `undefined` when the data was clean. */
  summary(): string | undefined {
    if (this.clean) return undefined;
    const parts: string[] = [];
    const s = total(this.counts.skipped);
    const f = total(this.counts.fixed);
    const d = total(this.counts.dropped);
    if (s) parts.push(`skipped ${s} image${s === 1 ? '' : 's'} (${detail(this.counts.skipped)})`);
    if (f) parts.push(`fixed ${f} image${f === 1 ? '' : 's'} (${detail(this.counts.fixed)})`);
    if (d) parts.push(`dropped ${d} caption${d === 1 ? '' : 's'} (${detail(this.counts.dropped)})`);
    return `${this.label}: ${parts.join('; ')}`;
  }

  /** Prints the summary line (if any) through the logger. */
  flush(): void {
    const s = this.summary();
    if (s) this.logger.warn(s);
  }
}
