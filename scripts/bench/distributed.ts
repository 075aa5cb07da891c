// SPDX-License-Identifier: MIT
// Data-parallel scaling on this machine: one process on the global batch against two local
// processes on half of it each (Gloo over loopback), with the bytes all-reduced per iteration
// at the cpu preset and at the official birds config (the figures docs/distributed.md builds
// its multi-GPU estimate on). Both runs use all usable cores: 1 process × N threads against
// 2 processes × N/2 threads (torchrun also gives each worker OMP_NUM_THREADS=1 by default).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { ProcessGroup, runtimeInfo } from '../../lib/index.js';
import { resolveConfig } from '../../src/config/index.js';
import { freePort, launchLocal } from '../../src/distributed/launch.js';
import { benchTrainer } from './gan.js';

const WORKER = ['--import', 'tsx', path.join(path.dirname(new URL(import.meta.url).pathname), 'distributed_worker.ts')];

interface WorkerFigures {
  seconds: number;
  bytes: number;
  messages: number;
  allReduceSeconds: number;
}

async function run(nproc: number, env: Record<string, string>): Promise<WorkerFigures[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-bench-dist-'));
  try {
    const out = path.join(dir, 'r');
    const code = await launchLocal({ nproc, command: process.execPath, args: WORKER, env: { ...process.env, ...env, BENCH_OUT: out } });
    if (code !== 0) throw new Error(`bench workers failed (exit code ${code})`);
    return Array.from({ length: nproc }, (_, r) => JSON.parse(readFileSync(`${out}.${r}.json`, 'utf8')) as WorkerFigures);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Bytes and messages one iteration all-reduces (G once, every D once), counted by a group of one. */
async function bytesPerIteration(preset: string, set: string[]): Promise<{ bytes: number; messages: number; params: number }> {
  const config = resolveConfig({ preset, set });
  const { trainer } = await benchTrainer(config);
  const group = await ProcessGroup.join({ rank: 0, worldSize: 1, masterAddr: '127.0.0.1', masterPort: await freePort() });
  try {
    const modules = [...trainer.netsD, trainer.netG];
    for (const m of modules) await group.allReduceGradients(m.parameters());
    const c = group.counters();
    return { bytes: c.allReduceBytes, messages: c.allReduceMessages, params: modules.reduce((a, m) => a + m.numParameters(), 0) };
  } finally {
    trainer.dispose();
    await group.shutdown();
  }
}

export async function benchDistributed(): Promise<void> {
  const cores = runtimeInfo().usableCores;
  const MB = 1024 * 1024;
  for (const [name, preset, set] of [['cpu preset', 'cpu', []], ['birds config', 'birds', ['dataset.root=/dev/null']]] as const) {
    const b = await bytesPerIteration(preset, [...set]);
    process.stdout.write(`  ${name}: ${(b.params / 1e6).toFixed(2)} M trainable parameters in G and the Ds -> ${(b.bytes / MB).toFixed(1)} MiB all-reduced per iteration in ${b.messages} messages (25 MiB buckets)\n`);
  }
  const batch = resolveConfig({ preset: 'cpu' }).train.batchSize;
  const iters = Number(process.env.BENCH_ITERS ?? 6);
  const common = { BENCH_PRESET: 'cpu', BENCH_BATCH: String(batch), BENCH_ITERS: String(iters) };
  const ratios: number[] = [];
  let last: { one: number; two: number; comm: number; bytes: number } | undefined;
  for (let round = 0; round < 2; round++) {
    const [one] = await run(1, { ...common, MIRRORGAN_NUM_THREADS: String(cores) });
    const two = await run(2, { ...common, MIRRORGAN_NUM_THREADS: String(Math.max(1, Math.floor(cores / 2))) });
    const t2 = Math.max(...two.map((f) => f.seconds));
    ratios.push(one!.seconds / (2 * t2));
    last = { one: one!.seconds, two: t2, comm: Math.max(...two.map((f) => f.allReduceSeconds)), bytes: two[0]!.bytes };
  }
  const l = last!;
  process.stdout.write(
    `  cpu preset, global batch ${batch}, ${iters} iterations, ${cores} cores:\n` +
      `    1 process  x ${cores} threads, batch ${batch}:      ${l.one.toFixed(2)} s/it\n` +
      `    2 processes x ${Math.max(1, Math.floor(cores / 2))} thread(s), batch ${batch / 2} each: ${l.two.toFixed(2)} s/it ` +
      `(all-reduce ${(l.comm * 1000).toFixed(0)} ms/it for ${(l.bytes / MB).toFixed(1)} MiB)\n` +
      `    scaling efficiency (T1 / (2 T2)): ${ratios.map((r) => r.toFixed(2)).join(', ')} over ${ratios.length} rounds\n`,
  );
}
