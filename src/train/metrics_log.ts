// SPDX-License-Identifier: MIT
/** metrics.jsonl: one JSON object per line, appended and flushed as the run goes. */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { writeFileAtomic } from '../util/atomic.js';

export class MetricsLog {
  readonly path: string;
  #fd: number;

  constructor(path: string) {
    this.path = path;
    // A run killed mid-line leaves a partial last line; start on a fresh line.
    const tail = fs.existsSync(path) ? fs.readFileSync(path).subarray(-1).toString() : '\n';
    this.#fd = fs.openSync(path, 'a');
    if (tail !== '\n' && tail !== '') fs.writeSync(this.#fd, '\n');
  }

  write(record: Record<string, unknown>): void {
    fs.writeSync(this.#fd, JSON.stringify(record) + '\n');
  }

  close(): void {
    fs.closeSync(this.#fd);
  }
}

/** Where a GAN phase (re)starts: the iteration done and the epoch not yet closed. */
export interface MetricsRewind {
  iteration: number;
  epoch: number;
}

/** Sums and count of the losses of the kept iteration records of the open epoch (its mean continues from them). */
export interface OpenEpoch {
  sums: Record<string, number>;
  count: number;
}

/**
 * Cuts metrics.jsonl back to `to` (atomically): records of iterations after `to.iteration`
 * and of epochs from `to.epoch` on are dropped (a resumed run writes them again, so a kill
 * between a checkpoint and the next one leaves no duplicates), as is a partial last line;
 * records without an iteration (other writers') stay. Returns the open epoch's kept losses.
 */
export async function rewindMetrics(file: string, to: MetricsRewind): Promise<OpenEpoch> {
  const open: OpenEpoch = { sums: {}, count: 0 };
  const text = await fsp.readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return null;
    throw e;
  });
  if (text === null) return open;
  const kept: string[] = [];
  for (const line of text.split('\n')) {
    let r: { type?: unknown; iteration?: unknown; epoch?: unknown; loss?: unknown };
    try {
      r = JSON.parse(line);
    } catch {
      continue;  // a blank or partial line (a kill mid-write)
    }
    if (r.type === 'epoch' && typeof r.epoch === 'number' && r.epoch >= to.epoch) continue;
    if (typeof r.iteration === 'number' && r.iteration > to.iteration) continue;
    if (r.type === 'iteration' && r.epoch === to.epoch && r.loss && typeof r.loss === 'object') {
      // A NaN loss was written as null: it adds NaN, as in the uninterrupted run.
      for (const [k, v] of Object.entries(r.loss as Record<string, unknown>)) open.sums[k] = (open.sums[k] ?? 0) + (typeof v === 'number' ? v : Number.NaN);
      open.count++;
    }
    kept.push(line);
  }
  const out = kept.length ? `${kept.join('\n')}\n` : '';
  if (out !== text) await writeFileAtomic(file, out);
  return open;
}
