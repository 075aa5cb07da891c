// SPDX-License-Identifier: MIT
// The launcher contract (torchrun's variables) and the config comparison, without processes.
import { describe, expect, it } from 'vitest';

import { canonicalJson, configDifferences } from '../../src/distributed/config_check.js';
import { isMainProcess, readLaunchEnv, workerDevice } from '../../src/distributed/env.js';

const torchrun = { RANK: '3', LOCAL_RANK: '1', WORLD_SIZE: '4', LOCAL_WORLD_SIZE: '2', MASTER_ADDR: 'node0', MASTER_PORT: '29500' };

describe('readLaunchEnv', () => {
  it('is null for a process started alone, or as the only worker', () => {
    expect(readLaunchEnv({})).toBeNull();
    expect(readLaunchEnv({ RANK: '0', WORLD_SIZE: '1', MASTER_ADDR: 'x', MASTER_PORT: '1' })).toBeNull();
  });

  it("reads torchrun's variables, with the defaults of the rest", () => {
    expect(readLaunchEnv(torchrun)).toEqual({
      rank: 3, worldSize: 4, localRank: 1, localWorldSize: 2, masterAddr: 'node0', masterPort: 29500,
      restartCount: 0, agentStore: false, interfaces: '', timeoutMs: 30 * 60_000, joinTimeoutMs: 5 * 60_000,
    });
    const elastic = readLaunchEnv({
      ...torchrun, TORCHELASTIC_RESTART_COUNT: '2', TORCHELASTIC_USE_AGENT_STORE: 'True', GLOO_SOCKET_IFNAME: 'eth0,eth1',
      MIRRORGAN_DIST_TIMEOUT: '2.5', MIRRORGAN_DIST_JOIN_TIMEOUT: '60',
    });
    expect(elastic).toMatchObject({ restartCount: 2, agentStore: true, interfaces: 'eth0,eth1', timeoutMs: 2500, joinTimeoutMs: 60_000 });
    // Kubeflow's PyTorchJob: one process per pod, no LOCAL_RANK.
    expect(readLaunchEnv({ RANK: '1', WORLD_SIZE: '2', MASTER_ADDR: 'job-master-0', MASTER_PORT: '23456' })).toMatchObject({ localRank: 0, localWorldSize: 2 });
  });

  it('names the variable that is missing or wrong', () => {
    expect(() => readLaunchEnv({ ...torchrun, MASTER_ADDR: undefined })).toThrow(/for MASTER_ADDR but received undefined of type undefined/);
    expect(() => readLaunchEnv({ ...torchrun, RANK: '4' })).toThrow("Expected an integer between 0 and 3 for RANK but received '4' of type string");
    expect(() => readLaunchEnv({ ...torchrun, WORLD_SIZE: 'two' })).toThrow(/for WORLD_SIZE but received 'two'/);
    expect(() => readLaunchEnv({ ...torchrun, MASTER_PORT: '70000' })).toThrow(/between 1 and 65535 for MASTER_PORT/);
    expect(() => readLaunchEnv({ ...torchrun, RANK: undefined })).toThrow(/for RANK but received undefined of type undefined/);
    expect(() => readLaunchEnv({ ...torchrun, MIRRORGAN_DIST_TIMEOUT: '0' })).toThrow(/seconds > 0 for MIRRORGAN_DIST_TIMEOUT/);
  });

  it('gates the talking on rank 0 and maps cuda to the local rank', () => {
    expect([isMainProcess({}), isMainProcess({ RANK: '0' }), isMainProcess({ RANK: '2' })]).toEqual([true, true, false]);
    const env = readLaunchEnv(torchrun);
    expect([workerDevice('cuda', env), workerDevice('cuda:0', env), workerDevice('cpu', env), workerDevice('cuda', null)]).toEqual(['cuda:1', 'cuda:0', 'cpu', 'cuda']);
  });
});

describe('config comparison', () => {
  it('serialises equal configs equally whatever the key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } })).toBe(canonicalJson({ a: { c: null, d: [2, 1] }, b: 1 }));
    expect(canonicalJson({ a: [1, 2] })).not.toBe(canonicalJson({ a: [2, 1] }));
  });

  it('lists the differing keys with both values', () => {
    const a = { train: { batchSize: 12, lr: 2e-4 }, gan: { zDim: 100 }, tags: ['x'] };
    const b = { train: { batchSize: 8, lr: 2e-4 }, gan: {}, tags: ['y'], extra: true };
    expect(configDifferences(a, b)).toEqual(['extra (absent vs true)', 'gan.zDim (100 vs absent)', 'tags (["x"] vs ["y"])', 'train.batchSize (12 vs 8)']);
    expect(configDifferences(a, b, 2)).toHaveLength(2);
    expect(configDifferences(a, structuredClone(a))).toEqual([]);
  });
});
