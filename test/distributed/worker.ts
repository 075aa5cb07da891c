// SPDX-License-Identifier: MIT
/**
 * One worker of the multi-process tests (test/distributed/data_parallel.test.ts), started by
 * launchLocal or directly with the launcher's variables; alone (no WORLD_SIZE) it is the
 * single-process reference. It trains a two-module model (Linear → tanh → Linear) for
 * TEST_STEPS steps on a global batch of 8 synthetic images sharded over the ranks, with Adam,
 * and writes its parameters after the broadcast and after training to TEST_OUT.<rank>.json.
 * TEST_MODE: 'train'; 'local' (no gradient all-reduce: the control that must not match);
 * 'die' (rank 1 SIGKILLs itself after step 2); 'stall' (rank 1 stops itself with SIGSTOP after
 * step 2); 'mismatch' (rank 1 resolves another learning rate).
 * Errors end the process like the CLI does: one line with the code, exit code 1.
 */
import { writeFileSync } from 'node:fs';

import { Adam, manualSeed, Module, tensor, tidy, type Tensor } from '../../lib/index.js';
import { DataLoader } from '../../src/data/loader.js';
import type { Dataset } from '../../src/data/types.js';
import { initDataParallel } from '../../src/distributed/index.js';

const GLOBAL_BATCH = 8;
const SIDE = 9;
const N = 24;

function syntheticDataset(): Dataset {
  const images = Array.from({ length: N }, (_, i) => {
    const data = new Uint8Array(SIDE * SIDE * 3);
    for (let p = 0; p < data.length; p++) data[p] = (i * 37 + p * (i % 5 + 1) * 11) % 256;
    return { data, width: SIDE, height: SIDE };
  });
  return {
    name: 'synthetic', split: 'train', size: N, imageSide: SIDE,
    keys: images.map((_, i) => `im${i}`),
    classIds: Int32Array.from(images, (_, i) => i % 2),
    captions: images.map((_, i) => [[1 + (i % 3), 2, 3]]),
    vocabulary: {} as Dataset['vocabulary'],
    imagePath: (i) => `im${i}`,
    readImage: async (i) => images[i] as (typeof images)[number],
  };
}

async function main(): Promise<void> {
  const mode = process.env.TEST_MODE ?? 'train';
  const steps = Number(process.env.TEST_STEPS ?? '3');
  const rank = Number(process.env.RANK ?? '0');
  const lr = mode === 'mismatch' && rank === 1 ? 0.02 : 0.01;
  const launched = await initDataParallel({ config: { model: 'Linear-tanh-Linear', globalBatch: GLOBAL_BATCH, lr }, bucketBytes: 512 });
  const dp = launched?.dp;
  // Different weights per rank: the broadcast must replace them by rank 0's.
  manualSeed(100 + rank);
  const body = new Module('Linear', { inFeatures: 3 * 8 * 8, outFeatures: 6 });
  const head = new Module('Linear', { inFeatures: 6, outFeatures: 2 });
  if (dp) await dp.broadcastParameters(body, head);
  const snapshot = () => {
    const out: Record<string, number[]> = {};
    for (const [prefix, m] of [['body', body], ['head', head]] as const) {
      for (const [k, t] of m.namedParameters()) out[`${prefix}.${k}`] = [...(t.dataSync() as Float32Array)];
    }
    return out;
  };
  const initial = snapshot();
  const opt = new Adam([body, head], { lr });
  const worldSize = dp?.worldSize ?? 1;
  const loader = new DataLoader(syntheticDataset(), {
    batchSize: GLOBAL_BATCH / worldSize, imageSizes: [8], wordsNum: 4, seed: 5, prefetch: 0, sortByLength: false, shard: dp?.shard,
  });
  let step = 0;
  for (let epoch = 0; step < steps; epoch++) {
    for await (const batch of loader.epoch(epoch)) {
      if (step >= steps) break;
      const B = batch.batchSize;
      const target = new Float32Array(B * 2);
      batch.classIds.forEach((c, b) => (target[b * 2 + c] = 1));
      const loss = tidy(() => {
        const x = tensor(batch.images[0] as Float32Array, [B, 3 * 8 * 8]);
        const h = (body.forward({ input: x }).output as Tensor).tanh();
        const y = head.forward({ input: h }).output as Tensor;
        return y.sub(tensor(target, [B, 2])).pow(2).mean();  // mean over items: averaging ranks gives the global mean
      });
      opt.zeroGrad();
      loss.backward();
      loss.dispose();
      if (dp && mode !== 'local') await dp.allReduceGradients(body, head);
      opt.step();
      step++;
      if (dp && rank === 1 && step === 2 && mode === 'die') process.kill(process.pid, 'SIGKILL');
      if (dp && rank === 1 && step === 2 && mode === 'stall') process.kill(process.pid, 'SIGSTOP');
    }
  }
  writeFileSync(`${process.env.TEST_OUT}.${rank}.json`, JSON.stringify({ initial, params: snapshot(), counters: dp?.group.counters() ?? null }));
  if (dp) await dp.shutdown();
}

main().catch((e: Error & { code?: string }) => {
  process.stderr.write(`mirrorgan: ${e.message} [${e.code ?? 'no code'}]\n`);
  process.exit(1);
});
