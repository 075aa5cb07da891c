// SPDX-License-Identifier: MIT
/**
 * Progress of a long job on stderr, the one reporter of the project (GAN training, DAMSM and
 * STREAM pretraining, image decoding): a cli-progress bar on a terminal, otherwise a plain line
 * at most every `intervalMs` so CI logs stay readable, or nothing at all. Lines the job prints
 * meanwhile go through {@link ProgressReporter.log}, which keeps them above the bar.
 */
import cliProgress from 'cli-progress';

/** `auto`: a bar on a TTY, plain lines otherwise; `bar` / `lines` force one; `off`: no progress. */
export type ProgressMode = 'auto' | 'bar' | 'lines' | 'off';

/** Options of {@link ProgressReporter}. */
export interface ProgressOptions {
  /** Steps of the whole job. */
  total: number;
  /** Steps already done when the reporter starts (a resumed run). Default: 0. */
  start?: number;
  /** Default: `auto`. */
  mode?: ProgressMode;
  /**
   * The bar, as a cli-progress format: `{bar}`, `{value}`, `{total}`, `{percentage}`, and the
   * reporter's `{rate}` (steps per second since the start, 2 decimals), `{remaining}` (the time
   * left at that rate, `1m05s`) and the caller's fields.
   */
  bar: string;
  /** A plain line, with the same placeholders as `bar` (but `{bar}`). */
  line: string;
  /** Fewest milliseconds between two plain lines. Default: 10 000. */
  intervalMs?: number;
  /** Print a plain line for the last step whatever the interval. Default: true. */
  lineAtEnd?: boolean;
  /** Plain lines printed when the reporter starts / stops (lines mode only); `{seconds}` is the time taken. */
  startLine?: string;
  stopLine?: string;
  /** The caller's fields before the first update. */
  fields?: Record<string, string>;
  /** Where plain lines and {@link ProgressReporter.log} lines go. Default: a line on `stream`. */
  write?: (line: string) => void;
  /** The stream the bar draws on. Default: `process.stderr`. */
  stream?: NodeJS.WriteStream;
}

/**
 * The mode of a `progress?: boolean | 'auto'` option of the data and STREAM jobs: `true` the bar,
 * `false` plain lines, `'auto'` (default) the bar on a TTY.
 */
export function progressModeOf(option: boolean | 'auto' | undefined): ProgressMode {
  return option === true ? 'bar' : option === false ? 'lines' : 'auto';
}

/** Seconds as `1m05s` or `42s`; `?` when unknown. */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** Replaces every `{name}` of `template` that `values` has. */
function fill(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (match, key: string) => (key in values ? String(values[key]) : match));
}

/** One job's progress display; see the file comment. */
export class ProgressReporter {
  readonly #options: ProgressOptions;
  readonly #mode: 'bar' | 'lines' | 'off';
  readonly #stream: NodeJS.WriteStream;
  readonly #write: (line: string) => void;
  readonly #start: number;
  readonly #started = Date.now();
  #bar: cliProgress.SingleBar | null = null;
  #value: number;
  #fields: Record<string, string>;
  #lastLine: number;
  #stopped = false;

  constructor(options: ProgressOptions) {
    this.#options = options;
    this.#stream = options.stream ?? process.stderr;
    const mode = options.mode ?? 'auto';
    this.#mode = mode === 'auto' ? (this.#stream.isTTY ? 'bar' : 'lines') : mode;
    this.#write = options.write ?? ((line) => this.#stream.write(`${line}\n`));
    this.#start = options.start ?? 0;
    this.#value = this.#start;
    this.#fields = { ...options.fields };
    this.#lastLine = this.#started;
    if (this.#mode === 'bar') {
      this.#bar = new cliProgress.SingleBar(
        { stream: this.#stream, format: options.bar, hideCursor: true, barsize: 24 },
        cliProgress.Presets.shades_classic,
      );
      this.#bar.start(options.total, this.#start, this.#values());
    } else if (this.#mode === 'lines' && options.startLine) {
      this.#write(fill(options.startLine, this.#values()));
    }
  }

  /** Steps done so far. */
  get value(): number {
    return this.#value;
  }

  /** Reports `value` steps done, with the caller's fields (merged into the previous ones). */
  update(value: number, fields: Record<string, string> = {}): void {
    this.#value = value;
    Object.assign(this.#fields, fields);
    if (this.#stopped || this.#mode === 'off') return;
    if (this.#bar) {
      this.#bar.update(value, this.#values());
      return;
    }
    const now = Date.now();
    const atEnd = value >= this.#options.total;
    if (atEnd ? !(this.#options.lineAtEnd ?? true) : now - this.#lastLine < (this.#options.intervalMs ?? 10_000)) return;
    this.#lastLine = now;
    this.#write(fill(this.#options.line, this.#values()));
  }

  /** One more step done. */
  increment(fields: Record<string, string> = {}): void {
    this.update(this.#value + 1, fields);
  }

  /** Prints `text` as a line of its own (above the bar); printed in every mode, `off` included. */
  log(text: string): void {
    if (this.#bar) this.#stream.write('\r\x1b[2K');
    this.#write(text);
    this.#bar?.render();
  }

  /** Removes the bar (or prints the stop line); later updates print nothing. Safe to call twice. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#bar) this.#bar.stop();
    else if (this.#mode === 'lines' && this.#options.stopLine) this.#write(fill(this.#options.stopLine, this.#values()));
    this.#bar = null;
  }

  /** The placeholders' values now. */
  #values(): Record<string, string | number> {
    const seconds = (Date.now() - this.#started) / 1000;
    const rate = (this.#value - this.#start) / Math.max(seconds, 1e-9);
    const total = this.#options.total;
    return {
      ...this.#fields,
      value: this.#value,
      total,
      percentage: total > 0 ? Math.floor((100 * this.#value) / total) : 100,
      rate: rate.toFixed(2),
      remaining: formatEta(rate > 0 ? (total - this.#value) / rate : Infinity),
      seconds: seconds.toFixed(1),
    };
  }
}
