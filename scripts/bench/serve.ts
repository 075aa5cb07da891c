// SPDX-License-Identifier: MIT
// `mirrorgan serve` under a bounded loopback load: `clients` closed-loop clients (each sends its
// next request when the last one answered) POST /api/generate for `seconds`; requests per
// second and the p50/p99 latency of the answered ones, and how many were refused (503).
// The model has the cpu preset's widths at 128 px (the shipped model's), fresh weights.
//   npx tsx scripts/bench/serve.ts [seconds] [clients]
import { pathToFileURL } from 'node:url';

import { MirrorGAN } from '../../src/model/mirrorgan.js';
import { createServer } from '../../src/serve/server.js';
import { randomModel } from './random_model.js';

export interface ServeBenchRow {
  clients: number;
  samplesPerRequest: number;
  requests: number;
  refused: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

/** One load run against `url` with `clients` clients for `seconds`. */
async function load(url: string, clients: number, samples: number, seconds: number): Promise<ServeBenchRow> {
  const latencies: number[] = [];
  let refused = 0;
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: clients }, async (_, c) => {
    for (let k = 0; performance.now() < end; k++) {
      const start = performance.now();
      const res = await fetch(`${url}/api/generate`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ caption: 'a red heart', n: samples, seed: (c * 100_000 + k) * samples, describe: false }),
      });
      await res.arrayBuffer();
      if (res.status === 200) latencies.push(performance.now() - start);
      else if (res.status === 503) refused++;
      else throw new Error(`unexpected status ${res.status}`);
    }
  }));
  const elapsed = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    clients, samplesPerRequest: samples, requests: latencies.length, refused,
    requestsPerSecond: latencies.length / elapsed, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99),
  };
}

/** Runs the load at 1 and 4 clients (and 1 and 4 samples per request); prints one line each and returns the figures. */
export async function benchServe(options: { seconds?: number; clients?: number[]; log?: (line: string) => void } = {}): Promise<ServeBenchRow[]> {
  const seconds = options.seconds ?? 10;
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const model = await randomModel('cpu', 2);
  const app = createServer(await MirrorGAN.load(model.dir), { maxSamples: 4, concurrency: 1, queue: 8 });
  const rows: ServeBenchRow[] = [];
  try {
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    await load(url, 1, 1, 1);  // warm-up
    log(`  POST /api/generate on 127.0.0.1, cpu preset at 128 px (fresh weights), no re-description; concurrency 1, queue 8; ${seconds} s per row`);
    for (const samples of [1, 4]) {
      for (const clients of options.clients ?? [1, 4]) {
        const row = await load(url, clients, samples, seconds);
        rows.push(row);
        log(`  ${clients} client(s), ${samples} sample(s)/request: ${row.requestsPerSecond.toFixed(2)} requests/s, p50 ${row.p50Ms.toFixed(0)} ms, p99 ${row.p99Ms.toFixed(0)} ms (${row.requests} answered, ${row.refused} refused with 503)`);
      }
    }
  } finally {
    await app.close();
    model.remove();
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await benchServe({ seconds: process.argv[2] ? Number(process.argv[2]) : undefined, clients: process.argv[3] ? [Number(process.argv[3])] : undefined });
}
