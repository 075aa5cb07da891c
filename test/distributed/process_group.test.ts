// SPDX-License-Identifier: MIT
// The process group in this process: a world of one (every collective is the identity, so the
// bucket plan shows in the message counters), argument errors, and the join failures that must
// end within their timeout instead of hanging: an unreachable store, a rank that never comes.
import { describe, expect, it } from 'vitest';

import { distributedSupport, ProcessGroup, tensor, type Tensor } from '../../lib/index.js';
import { freePort } from '../../src/distributed/launch.js';

async function alone(): Promise<ProcessGroup> {
  return ProcessGroup.join({ rank: 0, worldSize: 1, masterAddr: '127.0.0.1', masterPort: await freePort(), joinTimeoutMs: 10_000, timeoutMs: 10_000 });
}

const values = (t: Tensor) => [...(t.dataSync() as Float32Array | BigInt64Array)].map(Number);

describe('ProcessGroup', () => {
  it('is built into this addon (Debian: libtorch-dev + libgloo-dev)', () => {
    const s = distributedSupport();
    expect(s).toMatchObject({ gloo: true, reason: '' });
    expect(s.nccl ? s.ncclReason : s.ncclReason.length).toBeTruthy();
  });

  it('runs every collective in a world of one, with one message per bucket of each dtype', async () => {
    const g = await alone();
    try {
      expect([g.rank, g.worldSize, g.backend, g.device, g.isMain]).toEqual([0, 1, 'gloo', 'cpu', true]);
      const a = tensor([1, 2, 3]);
      const b = tensor([4, 5, 6, 7], [2, 2]);
      const c = tensor(new Float64Array([8, 9]));
      await g.allReduceMean([a, b, c], { bucketBytes: 16 });
      expect([values(a), values(b), values(c)]).toEqual([[1, 2, 3], [4, 5, 6, 7], [8, 9]]);
      // float32: a (12 B) then b (16 B) exceed 16 B together: 2 buckets; float64 c: a third.
      expect(g.counters()).toMatchObject({ allReduceMessages: 3, allReduceBytes: 12 + 16 + 16 });
      await g.allReduceMean([a, b, c], { bucketBytes: 1 << 20 });
      expect(g.counters().allReduceMessages).toBe(3 + 2);
      // Broadcast takes any dtype (BatchNorm's num_batches_tracked is int64): a bucket per dtype.
      const steps = tensor(new BigInt64Array([8n, 9n]));
      await g.broadcast([a, b, steps], { root: 0 });
      expect(values(steps)).toEqual([8, 9]);
      expect(g.counters()).toMatchObject({ broadcastMessages: 2, broadcastBytes: 28 + 16 });
      expect(await g.allGather('config-hash-é')).toEqual(['config-hash-é']);
      await g.barrier();
      expect(g.counters().barriers).toBe(1);
    } finally {
      await g.shutdown();
    }
  });

  it('keeps a gradient only where some rank had one', async () => {
    const g = await alone();
    try {
      const used = tensor([1, 2], [2], { requiresGrad: true });
      const unused = tensor([3], [1], { requiresGrad: true });
      used.mul(3).sum().backward();
      await g.allReduceGradients([used, unused]);
      expect(values(used.grad!)).toEqual([3, 3]);
      expect(unused.grad).toBeNull();
    } finally {
      await g.shutdown();
    }
  });

  it('refuses bad arguments, overlapping collectives and use after shutdown', async () => {
    const g = await alone();
    const a = tensor([1]);
    await expect(g.broadcast([a], { root: 1 })).rejects.toThrow('Expected integer between 0 and 0 for root but received 1 of type number');
    await expect(g.allReduceMean([a, 'x' as unknown as Tensor])).rejects.toThrow('Expected a Tensor for tensors[1]');
    await expect(g.allReduceMean([tensor(new Int32Array([1]))])).rejects.toThrow(/float32 or float64 Tensor .* for tensors\[0\] but received 'int32'/);
    await expect(g.allReduceMean([a], { bucketBytes: 0 })).rejects.toThrow(/for bucketBytes but received 0/);
    const first = g.barrier();
    await expect(g.barrier()).rejects.toMatchObject({ code: 'ERR_BUSY' });
    await first;
    await g.shutdown();
    await expect(g.barrier()).rejects.toMatchObject({ code: 'ERR_DIST_PEER', message: expect.stringContaining('shut down') });
    await expect(ProcessGroup.join({ rank: 2, worldSize: 2, masterAddr: '127.0.0.1', masterPort: 1 })).rejects.toThrow(
      'Expected integer between 0 and 1 for rank but received 2 of type number',
    );
    await expect(ProcessGroup.join({ rank: 0, worldSize: 2, masterAddr: '127.0.0.1', masterPort: 1, device: 'tpu' })).rejects.toThrow(/for device/);
  });

  it('gives up on an unreachable store within the join timeout (ERR_DIST_STORE)', async () => {
    const port = await freePort();
    await expect(ProcessGroup.join({ rank: 1, worldSize: 2, masterAddr: '127.0.0.1', masterPort: port, joinTimeoutMs: 1500 })).rejects.toMatchObject({
      code: 'ERR_DIST_STORE',
      message: expect.stringMatching(new RegExp(`^rank 1 of 2: could not reach the rendezvous store at 127\\.0\\.0\\.1:${port} within 1\\.5 s .*is rank 0 running`)),
    });
  });

  it('names the missing ranks when not all of them join in time (ERR_DIST_TIMEOUT)', async () => {
    const port = await freePort();
    await expect(ProcessGroup.join({ rank: 0, worldSize: 3, masterAddr: '127.0.0.1', masterPort: port, joinTimeoutMs: 1000 })).rejects.toMatchObject({
      code: 'ERR_DIST_TIMEOUT',
      message: expect.stringContaining(`rank 0 of 3: only 1 of 3 ranks joined at 127.0.0.1:${port} within 1 s`),
    });
  });

  it('reports a port it cannot host the store on (ERR_DIST_STORE)', async () => {
    const holder = await alone();
    try {
      // freePort() closed its probe; a live group's store holds this one.
      const busy = await import('node:net').then(
        (net) =>
          new Promise<{ port: number; close: () => void }>((resolve) => {
            const srv = net.createServer().listen(0, () => resolve({ port: (srv.address() as { port: number }).port, close: () => srv.close() }));
          }),
      );
      try {
        await expect(ProcessGroup.join({ rank: 0, worldSize: 2, masterAddr: '127.0.0.1', masterPort: busy.port, joinTimeoutMs: 1000 })).rejects.toMatchObject({
          code: 'ERR_DIST_STORE',
          message: expect.stringContaining(`rank 0 of 2: could not host the rendezvous store on port ${busy.port}`),
        });
      } finally {
        busy.close();
      }
    } finally {
      await holder.shutdown();
    }
  });
});
