// SPDX-License-Identifier: MIT
// Two CPU processes on loopback (Gloo), as issue #23's "Done means" asks: after N steps with
// all-reduced gradients both ranks hold the parameters one process reaches on the global
// batch; a rank that dies or stalls ends the other with a clear message within the timeout;
// ranks with different configs both refuse to train.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import { freePort, launchLocal } from '../../src/distributed/launch.js';
import { killLeftovers, maxDiff, scratch, startWorker, WORKER_ARGS, type WorkerResult } from './helpers.js';

const STEPS = 4;
// Collectives time out after 5 s here (30 min by default), joins after 30 s (5 min).
const FAST = { MIRRORGAN_DIST_TIMEOUT: '5', MIRRORGAN_DIST_JOIN_TIMEOUT: '30' };

let s: ReturnType<typeof scratch>;
let single: WorkerResult;

// The reference: one process, batch 8, same seeds (rank 0's weights).
beforeAll(async () => {
  const ref = scratch();
  try {
    const run = startWorker({ TEST_OUT: ref.out, TEST_STEPS: String(STEPS) });
    expect((await run.done).code).toBe(0);
    single = ref.result(0);
  } finally {
    ref.remove();
  }
});
afterEach(() => {
  killLeftovers();
  s.remove();
});

async function pair(mode: string, out: string) {
  const port = String(await freePort());
  const env = (rank: number) => ({ ...FAST, TEST_MODE: mode, TEST_STEPS: String(STEPS), TEST_OUT: out, RANK: String(rank), WORLD_SIZE: '2', MASTER_ADDR: '127.0.0.1', MASTER_PORT: port });
  return [startWorker(env(0)), startWorker(env(1))] as const;
}

describe('data-parallel training on 2 processes', () => {
  it('ends with the parameters of one process trained on the global batch (launched by launchLocal)', async () => {
    s = scratch();
    const code = await launchLocal({
      nproc: 2, command: process.execPath, args: WORKER_ARGS, log: () => undefined,
      env: { ...process.env, ...FAST, TEST_OUT: s.out, TEST_STEPS: String(STEPS) },
    });
    expect(code).toBe(0);
    const [r0, r1] = [s.result(0), s.result(1)];
    // Rank 1 built other weights (seeded by its rank); the broadcast gave it rank 0's.
    expect(maxDiff(r1.initial, single.initial)).toBe(0);
    expect(maxDiff(r0.params, single.params)).toBeLessThan(1e-6);
    expect(maxDiff(r1.params, single.params)).toBeLessThan(1e-6);
    // Training moved the weights far beyond that tolerance.
    expect(maxDiff(single.params, single.initial)).toBeGreaterThan(1e-3);
    // Every step all-reduced the 1,172 parameters + 4 gradient flags (4 bytes each) in 2
    // buckets of at most 512 bytes: body.weight (4,608 bytes) alone, the rest together.
    const c = r0.counters!;
    expect(c.allReduceBytes).toBe(STEPS * (1172 + 4) * 4);
    expect(c.allReduceMessages).toBe(STEPS * 2);
    expect(c.broadcastBytes).toBe(1172 * 4);
  });

  it('does not match without the all-reduce (the control)', async () => {
    s = scratch();
    const ranks = await pair('local', s.out);
    expect((await Promise.all(ranks.map((r) => r.done))).map((f) => f.code)).toEqual([0, 0]);
    expect(maxDiff(s.result(0).params, single.params)).toBeGreaterThan(1e-4);
    expect(maxDiff(s.result(0).params, s.result(1).params)).toBeGreaterThan(1e-4);
  });

  it('ends the other rank with ERR_DIST_PEER when a rank is killed', async () => {
    s = scratch();
    const [r0, r1] = await pair('die', s.out);
    const [f0, f1] = await Promise.all([r0.done, r1.done]);
    expect(f1.signal).toBe('SIGKILL');
    expect(f0.code).toBe(1);
    expect(f0.stderr).toMatch(/rank 0 of 2: all-reduce: lost the connection to another rank \(it exited, crashed or was killed\).*\[ERR_DIST_PEER\]/);
  });

  it('ends the other rank with ERR_DIST_TIMEOUT when a rank stalls', async () => {
    s = scratch();
    const [r0, r1] = await pair('stall', s.out);
    const f0 = await r0.done;
    expect(f0.code).toBe(1);
    expect(f0.stderr).toMatch(/rank 0 of 2: all-reduce: no answer from the other ranks within 5 s.*\[ERR_DIST_TIMEOUT\]/);
    expect(r1.child.exitCode).toBeNull(); // still stopped: afterEach kills it
  });

  it('refuses to train when the ranks resolved different configs, on every rank', async () => {
    s = scratch();
    const ranks = await pair('mismatch', s.out);
    for (const f of await Promise.all(ranks.map((r) => r.done))) {
      expect(f.code).toBe(1);
      expect(f.stderr).toContain('rank 1 resolved another configuration than rank 0 (rank 0 vs rank 1: lr (0.01 vs 0.02))');
      expect(f.stderr).toContain('[ERR_DIST_MISMATCH]');
    }
  });
});
