// SPDX-License-Identifier: MIT
// Loading and disposing a model 100 times leaves the process's resident memory flat: dispose()
// frees the native weights at once (the module count says so after every dispose), and nothing
// of a load outlives it.
import { beforeAll, expect, it } from 'vitest';
import { memory } from '../../lib/index.js';
import { MirrorGAN } from '../../src/model/mirrorgan.js';
import { tinyModel } from '../helpers/tiny_model.js';

/** Allowed growth of the resident set over the 100 loads (allocator slack, V8 heap growth). */
const TOLERANCE_MB = 24;

let model: string;
beforeAll(async () => {
  model = await tinyModel('float16');
});

function rssMb(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss / 2 ** 20;
}

async function loadAndDispose(): Promise<number> {
  const gan = await MirrorGAN.load(model);
  const bytes = memory().moduleBytes;
  gan.dispose();
  return bytes;
}

it(`load + dispose 100 times: module count back to the baseline each time, RSS within ${TOLERANCE_MB} MB`, async () => {
  for (let i = 0; i < 10; i++) await loadAndDispose();  // warm-up: allocator pools, JIT, file cache
  const baseline = memory();
  const start = rssMb();
  let weights = 0;
  for (let i = 0; i < 100; i++) {
    weights = (await loadAndDispose()) - baseline.moduleBytes;
    expect(memory().numModules).toBe(baseline.numModules);
  }
  const growth = rssMb() - start;
  // Big enough that keeping each load's weights past dispose (~0.9 MB here) would show.
  expect(100 * weights / 2 ** 20).toBeGreaterThan(3 * TOLERANCE_MB);
  expect(growth).toBeLessThan(TOLERANCE_MB);
  expect(memory()).toMatchObject({ numModules: baseline.numModules, moduleBytes: baseline.moduleBytes, numTensors: baseline.numTensors });
}, 300_000);
