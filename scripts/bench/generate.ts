// SPDX-License-Identifier: MIT
// Generation throughput through the public API (`MirrorGAN.generate`: text encoder, G_NET on a
// worker thread, PNG encoding of every stage), in images per second, at 64/128/256 px and batch
// 1 and 16, for the cpu preset's widths (the shipped model's) and the official birds widths.
//   npx tsx scripts/bench/generate.ts [seconds per case]
import { pathToFileURL } from 'node:url';

import { runtimeInfo } from '../../lib/index.js';
import { MirrorGAN } from '../../src/model/mirrorgan.js';
import { randomModel } from './random_model.js';

export interface GenerateBenchRow {
  preset: string;
  size: number;
  batch: number;
  /** Images per second: mean over the timed calls, and the slowest and fastest call's rate. */
  imagesPerSecond: { mean: number; min: number; max: number };
  calls: number;
}

/** Times generate(n = batch, batchSize = batch) for at least `seconds` (and 3 calls) per case, after one warm-up call. */
async function timeCase(gan: MirrorGAN, batch: number, seconds: number): Promise<{ rates: number[] }> {
  await gan.generate('a red heart', { n: batch, batchSize: batch });
  const rates: number[] = [];
  const end = performance.now() + seconds * 1000;
  for (let seed = 1; rates.length < 3 || performance.now() < end; seed += batch) {
    const t0 = performance.now();
    await gan.generate('a red heart', { n: batch, batchSize: batch, seed });
    rates.push(batch / ((performance.now() - t0) / 1000));
  }
  return { rates };
}

/** Runs every case; prints one line each (through `log`) and returns the figures. */
export async function benchGenerate(options: { seconds?: number; presets?: string[]; log?: (line: string) => void } = {}): Promise<GenerateBenchRow[]> {
  const seconds = options.seconds ?? 5;
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const info = runtimeInfo();
  log(`  generate(): text encoder + G_NET + PNG of every stage; fresh weights; ${info.numThreads} LibTorch threads, ${info.usableCores} cores`);
  const rows: GenerateBenchRow[] = [];
  for (const preset of options.presets ?? ['cpu', 'birds']) {
    for (const branchNum of [1, 2, 3]) {
      const model = await randomModel(preset, branchNum);
      try {
        using gan = await MirrorGAN.load(model.dir);
        const size = gan.generator.sizes[branchNum - 1] as number;
        for (const batch of [1, 16]) {
          const { rates } = await timeCase(gan, batch, seconds);
          const mean = rates.reduce((a, r) => a + r, 0) / rates.length;
          const row = { preset, size, batch, imagesPerSecond: { mean, min: Math.min(...rates), max: Math.max(...rates) }, calls: rates.length };
          rows.push(row);
          log(`  ${preset.padEnd(5)} ${String(size).padStart(3)} px  batch ${String(batch).padStart(2)}: ${mean.toFixed(2)} images/s (calls ${rates.length}, range ${row.imagesPerSecond.min.toFixed(2)}-${row.imagesPerSecond.max.toFixed(2)})`);
        }
      } finally {
        model.remove();
      }
    }
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await benchGenerate({ seconds: process.argv[2] ? Number(process.argv[2]) : undefined });
}
