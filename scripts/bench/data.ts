// SPDX-License-Identifier: MIT
/**
 * Data loader benchmark: samples/s at 64 and 256 px, with the on-disk cache and without it
 * (decoding from source on every read), on a subset of the built-in OpenMoji set (SVG sources)
 * and on CUB-sized JPEGs (500×375). Prints readable lines with ratios and compares the slowest
 * cached loader with what a CPU training step consumes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';

import sharp from 'sharp';

import { DataLoader, loadDataset, type DataLogger, type Dataset } from '../../src/data/index.js';

/** Batch size of the benchmark (MirrorGAN's CUB batch). */
const kBatch = 12;
/** OpenMoji emoji in the benchmark subset. */
const kEmoji = 240;
/** Synthetic CUB-sized JPEGs. */
const kJpegs = 96;
/** Seconds one CPU training step takes at the fastest (the real figure is several seconds). */
const kNominalStepSeconds = 1;

const quiet: DataLogger = { warn: () => undefined, info: () => undefined };

/** Samples per second over whole epochs of `dataset` lasting at least `minSeconds`. */
async function throughput(dataset: Dataset, imageSizes: number[], minSeconds: number): Promise<number> {
  const loader = new DataLoader(dataset, { batchSize: kBatch, imageSizes, seed: 1, prefetch: 2, logger: quiet });
  // Warm-up batch (page cache, resampling tables).
  for await (const _ of loader.epoch(99)) break;
  let samples = 0;
  const started = process.hrtime.bigint();
  let elapsed = 0;
  for (let epoch = 0; elapsed < minSeconds; epoch++) {
    for await (const batch of loader.epoch(epoch)) {
      samples += batch.batchSize;
      elapsed = Number(process.hrtime.bigint() - started) / 1e9;
      if (elapsed >= minSeconds * 4) break;
    }
  }
  return samples / elapsed;
}

async function makeJpegFolder(root: string): Promise<void> {
  const { mkdir, writeFile } = await import('node:fs/promises');
  await mkdir(root, { recursive: true });
  for (let i = 0; i < kJpegs; i++) {
    // Smooth noise-free gradient + shapes: realistic JPEG size without a dataset download.
    const w = 500;
    const h = 375;
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">
      <defs><linearGradient id="g"><stop offset="0" stop-color="hsl(${(i * 37) % 360},60%,60%)"/><stop offset="1" stop-color="hsl(${(i * 91) % 360},50%,30%)"/></linearGradient></defs>
      <rect width="${w}" height="${h}" fill="url(#g)"/><circle cx="${120 + (i % 7) * 40}" cy="${150 + (i % 5) * 20}" r="${40 + (i % 4) * 15}" fill="hsl(${(i * 53) % 360},80%,50%)"/></svg>`;
    await writeFile(join(root, `bird${i}.jpg`), await sharp(Buffer.from(svg)).jpeg({ quality: 90 }).toBuffer());
    await writeFile(join(root, `bird${i}.txt`), `a bird number ${i} with a round body\nthis bird has a colourful breast`);
  }
}

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1);
}

/** Runs the data benchmark and prints its lines to stdout. */
export async function benchData(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'mirrorgan-bench-data-'));
  const cacheDir = join(work, 'cache');
  const jpegRoot = join(work, 'jpegs');
  const out = (line: string) => process.stdout.write(`${line}\n`);
  try {
    out(`data loader: batch ${kBatch}, ${availableParallelism()} CPU cores, prefetch 2; samples/s (higher is better)`);
    await makeJpegFolder(jpegRoot);
    const sources = [
      { label: `openmoji (${kEmoji} SVG)`, opts: { dataset: 'openmoji' as const, openmoji: { limit: kEmoji } } },
      { label: `jpeg 500×375 (${kJpegs})`, opts: { dataset: 'folder' as const, root: jpegRoot } },
    ];
    let slowestCached = Infinity;
    for (const size of [64, 256]) {
      const imageSizes = size === 64 ? [64] : [64, 128, 256];
      for (const src of sources) {
        const t0 = Date.now();
        const cached = await loadDataset({ ...src.opts, cacheDir, imageSize: size, logger: quiet, progress: false });
        const buildSeconds = (Date.now() - t0) / 1000;
        const direct = await loadDataset({ ...src.opts, cache: false, imageSize: size, logger: quiet });
        const withCache = await throughput(cached.train, imageSizes, 3);
        const withoutCache = await throughput(direct.train, imageSizes, 3);
        await cached.close();
        await direct.close();
        slowestCached = Math.min(slowestCached, withCache);
        out(
          `  ${String(size).padStart(3)} px  ${src.label.padEnd(22)} cached ${fmt(withCache).padStart(7)}   ` +
            `uncached ${fmt(withoutCache).padStart(6)}   cache ×${(withCache / withoutCache).toFixed(1)}   ` +
            `(cache build ${buildSeconds.toFixed(1)} s for ${cached.train.size + cached.test.size} images)`,
        );
      }
    }
    const need = kBatch / kNominalStepSeconds;
    out(
      `  requirement: a CPU training step takes ≥ ${kNominalStepSeconds} s per batch of ${kBatch} → ≤ ${fmt(need)} samples/s; ` +
        `slowest cached loader ${fmt(slowestCached)} samples/s = ×${(slowestCached / need).toFixed(0)} ahead` +
        (slowestCached >= need ? '' : '  ** LOADER TOO SLOW **'),
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
