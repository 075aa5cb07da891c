// SPDX-License-Identifier: MIT
/** Fake run folders for the report tests: metrics.jsonl, sample grids with sidecars, config. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { PNG } from 'pngjs';

/** A temp directory removed by the returned cleanup. */
export async function tempDir(prefix = 'mg-report-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A solid-colour RGBA PNG. */
export function solidPng(width: number, height: number, rgb: [number, number, number]): Buffer {
  const png = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) {
    png.data[i * 4] = rgb[0];
    png.data[i * 4 + 1] = rgb[1];
    png.data[i * 4 + 2] = rgb[2];
    png.data[i * 4 + 3] = 255;
  }
  return PNG.sync.write(png);
}

/** Loss terms of the fake trainer at iteration `it` (deterministic, decreasing). */
export function fakeLosses(it: number, stages: number): Record<string, number> {
  const loss: Record<string, number> = {};
  for (let s = 0; s < stages; s++) loss[`D${s}`] = 1 + s / 10 + 10 / (it + 10);
  loss.G_total = 2 + 60 / (it + 10);
  for (let s = 0; s < stages; s++) loss[`G_adv${s}`] = 0.5 + s / 10 + 20 / (it + 10);
  loss.KL = 0.01 + 1 / (it + 10);
  loss.STREAM = 1 + 30 / (it + 10);
  loss.DAMSM = 0;
  return loss;
}

/** What {@link makeRun} builds. */
export interface FakeRunOptions {
  /** GAN stages (2 → D0, D1, G_adv0, G_adv1). Default 2. */
  stages?: number;
  /** Iterations 1..n. Default 100. */
  iterations?: number;
  /** Iterations per epoch. Default 25. */
  perEpoch?: number;
  /** A sample grid every n iterations (and at iteration 0). Default 10. */
  sampleEvery?: number;
  /** Captions of each grid (rows·cols of them). */
  captions?: string[];
  /** End the file with a truncated record. Default true. */
  truncated?: boolean;
  /** Extra raw lines inserted after the first record. */
  extraLines?: string[];
  /** Write pretraining records (DAMSM two epochs, STREAM one) into metrics.jsonl. Default true. */
  pretrain?: boolean;
  /** config.json content. */
  config?: unknown;
}

export const DEFAULT_CAPTIONS = ['a red heart', 'a blue <b>circle</b> & "star"', 'a green square', 'a yellow star', 'a red circle', 'an orange moon', 'a purple cat', "a pink 'flower'"];

/** Writes a run folder like the trainer's into `dir`. */
export async function makeRun(dir: string, options: FakeRunOptions = {}): Promise<void> {
  const stages = options.stages ?? 2;
  const n = options.iterations ?? 100;
  const perEpoch = options.perEpoch ?? 25;
  const every = options.sampleEvery ?? 10;
  const captions = options.captions ?? DEFAULT_CAPTIONS;
  const lines: string[] = [];
  if (options.pretrain ?? true) {
    lines.push(JSON.stringify({ type: 'pretrain', phase: 'damsm', epoch: 1, iteration: 10, time: 1732769000, loss: { w0: 3, s0: 2.5 }, val: { loss: 4 } }));
    lines.push(JSON.stringify({ type: 'pretrain', phase: 'damsm', epoch: 2, iteration: 20, time: 1732769100, loss: { w0: 2, s0: 1.5 }, val: null }));
    lines.push(JSON.stringify({ type: 'pretrain', phase: 'stream', epoch: 1, iteration: 10, time: 1732769200, loss: { ce: 5 }, val: { bleu4: 0.1 } }));
  }
  for (let it = 1; it <= n; it++) {
    const lr: Record<string, number> = { G: it > n / 2 ? 0.0001 : 0.0002 };
    for (let s = 0; s < stages; s++) lr[`D${s}`] = 0.0002;
    const epoch = Math.floor((it - 1) / perEpoch);
    lines.push(JSON.stringify({ type: 'iteration', iteration: it, epoch, time: 1732770000 + it * 2, elapsed: it * 2, itPerSec: 0.5, lr, loss: fakeLosses(it, stages), extra: { ignored: true } }));
    if (it === 1 && options.extraLines) lines.push(...options.extraLines);
    if (it % perEpoch === 0) {
      lines.push(JSON.stringify({ type: 'epoch', epoch, iteration: it, time: 1732770000 + it * 2, elapsed: it * 2, loss: fakeLosses(it, stages) }));
    }
  }
  let text = lines.join('\n') + '\n';
  if (options.truncated ?? true) text += '{"type":"iteration","iteration":' + (n + 1) + ',"loss":{"D0":1.';
  await mkdir(join(dir, 'samples'), { recursive: true });
  await mkdir(join(dir, 'checkpoints'), { recursive: true });
  await writeFile(join(dir, 'metrics.jsonl'), text);
  await writeFile(join(dir, 'config.json'), JSON.stringify(options.config ?? { preset: 'cpu', gan: { branchNum: stages, note: 'x < y && z' } }));
  for (let it = 0; it <= n; it += every) {
    const base = join(dir, 'samples', `iter_${String(it).padStart(6, '0')}`);
    await writeFile(`${base}.png`, solidPng(4 * 8 + 10, 2 * 8 + 6, [it % 256, 64, 128]));
    await writeFile(`${base}.json`, JSON.stringify({ iteration: it, epoch: Math.floor(Math.max(it - 1, 0) / perEpoch), rows: 2, cols: 4, imageSize: 8, captions }));
  }
}
