// SPDX-License-Identifier: MIT
// The one progress reporter: plain lines at most every interval (CI logs), a cli-progress bar on
// a terminal, nothing when off; log lines in every mode.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { formatEta, progressModeOf, ProgressReporter } from '../../src/util/progress.js';

/** A stand-in for a terminal's stderr that keeps what is written. */
function fakeTty(): NodeJS.WriteStream & { text: string } {
  const s = {
    text: '', isTTY: true, columns: 120,
    write(chunk: string) {
      s.text += chunk;
      return true;
    },
    cursorTo: () => true, clearLine: () => true, moveCursor: () => true, clearScreenDown: () => true,
    on: () => s, removeListener: () => s,
  };
  return s as unknown as NodeJS.WriteStream & { text: string };
}

describe('ProgressReporter', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(0);
  });
  afterEach(() => vi.useRealTimers());

  it('prints plain lines at most every interval, the last step, and start/stop lines', () => {
    const lines: string[] = [];
    const p = new ProgressReporter({
      total: 10, mode: 'lines', intervalMs: 5000, write: (l) => void lines.push(l),
      bar: 'unused {bar}', line: 'job {value}/{total} ({percentage}%) loss {loss} {rate} it/s eta {remaining}',
      startLine: 'job: 0/{total}', stopLine: 'job: {value}/{total} done in {seconds} s',
    });
    expect(lines).toEqual(['job: 0/10']);
    vi.setSystemTime(1000);
    p.update(1, { loss: '0.500' });
    expect(lines).toHaveLength(1);  // within the interval
    vi.setSystemTime(5000);
    p.update(4, { loss: '0.400' });
    expect(lines[1]).toBe('job 4/10 (40%) loss 0.400 0.80 it/s eta 8s');
    vi.setSystemTime(6000);
    p.increment();
    expect(lines).toHaveLength(2);
    p.update(10);
    expect(lines[2]).toBe('job 10/10 (100%) loss 0.400 1.67 it/s eta 0s');  // the last step, whatever the interval
    vi.setSystemTime(130_000);
    p.stop();
    p.stop();
    expect(lines.slice(3)).toEqual(['job: 10/10 done in 130.0 s']);
  });

  it('counts the rate from a resumed start, and can skip the line of the last step', () => {
    const lines: string[] = [];
    const p = new ProgressReporter({ total: 200, start: 100, mode: 'lines', lineAtEnd: false, write: (l) => void lines.push(l), bar: '', line: '{value} {rate} {remaining}' });
    vi.setSystemTime(50_000);
    p.update(150);
    expect(lines).toEqual(['150 1.00 50s']);
    vi.setSystemTime(150_000);
    p.update(200);
    expect(lines).toHaveLength(1);
    expect(p.value).toBe(200);
  });

  it('prints nothing when off, but log lines still go out', () => {
    const lines: string[] = [];
    const p = new ProgressReporter({ total: 2, mode: 'off', write: (l) => void lines.push(l), bar: '{bar}', line: '{value}', startLine: 'start' });
    vi.setSystemTime(60_000);
    p.update(2);
    p.log('epoch 1: loss 0.3');
    p.stop();
    expect(lines).toEqual(['epoch 1: loss 0.3']);
  });

  it('draws a cli-progress bar on a terminal, with log lines above it', () => {
    const tty = fakeTty();
    const lines: string[] = [];
    const p = new ProgressReporter({ total: 4, stream: tty, write: (l) => void lines.push(l), bar: 'train {bar} {value}/{total} | G {g} | eta {remaining}', line: 'unused', fields: { g: '-' } });
    vi.setSystemTime(1000);
    p.update(2, { g: '1.250' });
    p.log('a line');
    p.stop();
    expect(tty.text).toContain('train ');
    expect(tty.text).toContain('2/4 | G 1.250 | eta 1s');
    expect(tty.text).toContain('\r\x1b[2K');
    expect(lines).toEqual(['a line']);
  });
});

describe('progress helpers', () => {
  it('formats the time left and maps the progress options', () => {
    expect([formatEta(42.4), formatEta(65), formatEta(3600), formatEta(Infinity), formatEta(-3)]).toEqual(['42s', '1m05s', '60m00s', '?', '0s']);
    expect([progressModeOf(true), progressModeOf(false), progressModeOf('auto'), progressModeOf(undefined)]).toEqual(['bar', 'lines', 'auto', 'auto']);
  });
});
