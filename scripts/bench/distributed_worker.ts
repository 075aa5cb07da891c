// SPDX-License-Identifier: MIT
// One process of the distributed benchmark (scripts/bench/distributed.ts): MirrorGAN
// iterations on synthetic batches of BENCH_BATCH / WORLD_SIZE, each followed by the gradient
// all-reduce of G and of every D that data-parallel training adds, when launched as a rank.
// The all-reduce runs after the trainer's own optimizer steps here (the trainer has no hook
// yet); it moves the same bytes as it will between backward and step.
// Writes { seconds (per iteration), bytes, messages (per iteration) } to BENCH_OUT.<rank>.json.
import { writeFileSync } from 'node:fs';

import { resolveConfig } from '../../src/config/index.js';
import { initDataParallel } from '../../src/distributed/index.js';
import { benchTrainer, syntheticBatch } from './gan.js';

const launched = await initDataParallel({});
const dp = launched?.dp;
const world = dp?.worldSize ?? 1;
const rank = dp?.rank ?? 0;
const global = Number(process.env.BENCH_BATCH);
const iterations = Number(process.env.BENCH_ITERS);
const config = resolveConfig({ preset: process.env.BENCH_PRESET, set: [`train.batchSize=${global / world}`, ...(process.env.BENCH_SET ? [process.env.BENCH_SET] : [])] });
const { trainer, nWords } = await benchTrainer(config);
if (dp) await dp.broadcastParameters(trainer.netG, ...trainer.netsD);
const sync = async (): Promise<void> => {
  if (!dp) return;
  for (const d of trainer.netsD) await dp.allReduceGradients(d);
  await dp.allReduceGradients(trainer.netG);
};
const sizes = trainer.netG.sizes;
await trainer.step(syntheticBatch(config, sizes, nWords, 1 + rank));  // warm-up
await sync();
const before = dp?.group.counters();
const t0 = performance.now();
for (let i = 0; i < iterations; i++) {
  await trainer.step(syntheticBatch(config, sizes, nWords, 100 * (i + 2) + rank));
  await sync();
}
const seconds = (performance.now() - t0) / 1000 / iterations;
const after = dp?.group.counters();
writeFileSync(`${process.env.BENCH_OUT}.${rank}.json`, JSON.stringify({
  seconds,
  bytes: after && before ? (after.allReduceBytes - before.allReduceBytes) / iterations : 0,
  messages: after && before ? (after.allReduceMessages - before.allReduceMessages) / iterations : 0,
  allReduceSeconds: after && before ? (after.allReduceSeconds - before.allReduceSeconds) / iterations : 0,
}));
trainer.dispose();
if (dp) await dp.shutdown();
