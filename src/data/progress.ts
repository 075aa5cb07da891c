// SPDX-License-Identifier: MIT
/**
 * Progress for long data jobs: a cli-progress bar on stderr when it is a TTY, otherwise plain
 * lines through the logger about every 10 % (or 10 s), so CI logs stay readable.
 */
import cliProgress from 'cli-progress';

import type { DataLogger } from './report.js';

/** Minimal progress sink. @private */
export interface Progress {
  tick(): void;
  stop(): void;
}

/**
 * Starts a progress display for `total` steps. `mode`: `true` forces the bar, `false`
 * forces plain lines, `'auto'` (default) picks the bar only when stderr is a TTY.
 * @private
 */
export function startProgress(label: string, total: number, logger: DataLogger, mode: boolean | 'auto' = 'auto'): Progress {
  const useBar = mode === true || (mode === 'auto' && process.stderr.isTTY === true);
  if (useBar) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {value}/{total} {percentage}% | eta {eta_formatted}`, stream: process.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0);
    return { tick: () => bar.increment(), stop: () => bar.stop() };
  }
  let done = 0;
  let lastPct = 0;
  let lastTime = Date.now();
  const started = lastTime;
  logger.info(`${label}: 0/${total}`);
  return {
    tick: () => {
      done++;
      const pct = Math.floor((done / total) * 10) * 10;
      const now = Date.now();
      if (((pct > lastPct && now - lastTime >= 2000) || now - lastTime > 10_000) && done < total) {
        lastPct = pct;
        lastTime = now;
        logger.info(`${label}: ${done}/${total} (${pct}%)`);
      }
    },
    stop: () => logger.info(`${label}: ${done}/${total} done in ${((Date.now() - started) / 1000).toFixed(1)} s`),
  };
}

/** Runs `fn` over `items` with at most `concurrency` in flight; resolves when all settle. @private */
export async function runPool<T>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i] as T, i);
    }
  });
  await Promise.all(workers);
}
