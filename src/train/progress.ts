// SPDX-License-Identifier: MIT
/** Training progress on stderr: a live bar on a terminal, a plain line every few seconds otherwise. */
import cliProgress from 'cli-progress';

export interface ProgressFields {
  iteration: number;
  total: number;
  epoch: number;
  itPerSec: number;
  losses: Record<string, number>;
}

function fmt(losses: Record<string, number>): string {
  return Object.entries(losses).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(' ');
}

function eta(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const m = Math.floor(seconds / 60);
  return m > 0 ? `${m}m${String(Math.round(seconds % 60)).padStart(2, '0')}s` : `${Math.round(seconds)}s`;
}

export class Progress {
  #bar: cliProgress.SingleBar | null = null;
  #lastLine = 0;
  readonly #stream: NodeJS.WriteStream;
  readonly #enabled: boolean;

  constructor(label: string, total: number, start: number, options: { enabled?: boolean; stream?: NodeJS.WriteStream } = {}) {
    this.#stream = options.stream ?? process.stderr;
    this.#enabled = options.enabled ?? true;
    if (this.#enabled && this.#stream.isTTY) {
      this.#bar = new cliProgress.SingleBar({
        stream: this.#stream,
        format: `${label} {bar} {value}/{total} | ep {epoch} | {losses} | {its} it/s | eta {etaText}`,
        hideCursor: true,
        barsize: 24,
      }, cliProgress.Presets.shades_classic);
      this.#bar.start(total, start, { epoch: 0, losses: '', its: '0.00', etaText: '?' });
    }
  }

  update(f: ProgressFields): void {
    if (!this.#enabled) return;
    const left = (f.total - f.iteration) / Math.max(f.itPerSec, 1e-9);
    if (this.#bar) {
      this.#bar.update(f.iteration, { epoch: f.epoch, losses: fmt(f.losses), its: f.itPerSec.toFixed(2), etaText: eta(left) });
      return;
    }
    const now = Date.now();
    if (now - this.#lastLine < 5000 && f.iteration !== f.total) return;
    this.#lastLine = now;
    this.#stream.write(`iter ${f.iteration}/${f.total} epoch ${f.epoch} ${fmt(f.losses)} ${f.itPerSec.toFixed(2)} it/s eta ${eta(left)}\n`);
  }

  log(line: string): void {
    if (!this.#enabled) return;
    if (this.#bar) this.#stream.write('\r\x1b[2K');
    this.#stream.write(line + '\n');
  }

  stop(): void {
    this.#bar?.stop();
    this.#bar = null;
  }
}
