// SPDX-License-Identifier: MIT
/**
 * The launcher contract: the environment torchrun gives each worker (pytorch/pytorch
 * torch/distributed/run.py), which Kubeflow's PyTorchJob and `mirrorgan train --nproc` give too.
 * Distributed iff WORLD_SIZE > 1 (nanoGPT's "iff RANK is set", made safe for WORLD_SIZE=1).
 */
import { DIST_DEFAULTS } from '../../lib/distributed.js';
import { invalidArg } from '../../lib/errors.js';

/** One worker's place in the job. */
export interface LaunchEnv {
  /** RANK: 0..worldSize-1, unique over the job. */
  rank: number;
  /** WORLD_SIZE: processes in the job. */
  worldSize: number;
  /** LOCAL_RANK: index on this machine (picks cuda:LOCAL_RANK); 0 when absent (one per pod). */
  localRank: number;
  /** LOCAL_WORLD_SIZE: processes on this machine. */
  localWorldSize: number;
  /** MASTER_ADDR / MASTER_PORT: where the rendezvous store lives. */
  masterAddr: string;
  masterPort: number;
  /** TORCHELASTIC_RESTART_COUNT: keys of a restarted job live apart from the last attempt's. */
  restartCount: number;
  /** TORCHELASTIC_USE_AGENT_STORE=True: torchrun's agent serves the store; rank 0 connects. */
  agentStore: boolean;
  /** GLOO_SOCKET_IFNAME: network interfaces for Gloo ('' = by address). */
  interfaces: string;
  /** MIRRORGAN_DIST_TIMEOUT (s): bound on every collective, ms. */
  timeoutMs: number;
  /** MIRRORGAN_DIST_JOIN_TIMEOUT (s): bound on joining, ms. */
  joinTimeoutMs: number;
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, min: number, max: number, fallback?: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') {
    if (fallback !== undefined) return fallback;
    throw invalidArg(name, `an integer between ${min} and ${max} (the launcher sets it)`, raw);
  }
  const v = Number(raw);
  if (!/^\s*\d+\s*$/.test(raw) || v < min || v > max) throw invalidArg(name, `an integer between ${min} and ${max}`, raw);
  return v;
}

function seconds(env: Env, name: string, fallbackMs: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallbackMs;
  const v = Number(raw);
  if (!Number.isFinite(v) || v <= 0 || v > 2 ** 30) throw invalidArg(name, 'a number of seconds > 0', raw);
  return Math.max(1, Math.round(v * 1000));
}

/**
 * Reads the launcher's variables; null when this process is not one of several workers
 * (no WORLD_SIZE, or WORLD_SIZE=1). Missing or malformed variables are named in the error.
 */
export function readLaunchEnv(env: Env = process.env): LaunchEnv | null {
  if ((env.WORLD_SIZE ?? '') === '' && (env.RANK ?? '') === '') return null;
  const worldSize = int(env, 'WORLD_SIZE', 1, 1 << 20);
  if (worldSize === 1) return null;
  const rank = int(env, 'RANK', 0, worldSize - 1);
  const localWorldSize = int(env, 'LOCAL_WORLD_SIZE', 1, worldSize, worldSize);
  const masterAddr = env.MASTER_ADDR ?? '';
  if (masterAddr === '') throw invalidArg('MASTER_ADDR', 'the host of rank 0 (the launcher sets it)', env.MASTER_ADDR);
  return {
    rank,
    worldSize,
    localRank: int(env, 'LOCAL_RANK', 0, localWorldSize - 1, 0),
    localWorldSize,
    masterAddr,
    masterPort: int(env, 'MASTER_PORT', 1, 65535),
    restartCount: int(env, 'TORCHELASTIC_RESTART_COUNT', 0, 1 << 30, 0),
    agentStore: env.TORCHELASTIC_USE_AGENT_STORE === 'True',
    interfaces: env.GLOO_SOCKET_IFNAME ?? '',
    timeoutMs: seconds(env, 'MIRRORGAN_DIST_TIMEOUT', DIST_DEFAULTS.timeoutMs),
    joinTimeoutMs: seconds(env, 'MIRRORGAN_DIST_JOIN_TIMEOUT', DIST_DEFAULTS.joinTimeoutMs),
  };
}

/**
 * True in the process that talks (progress, metrics, checkpoints, samples): rank 0, or the
 * only process. Reads RANK only, so it works before the group is joined.
 */
export function isMainProcess(env: Env = process.env): boolean {
  const r = env.RANK;
  return r === undefined || r === '' || Number(r) === 0;
}

/** The device a worker trains on: `cuda:LOCAL_RANK` when asked for 'cuda', else as given. */
export function workerDevice(device: string, launch: LaunchEnv | null): string {
  return device === 'cuda' && launch ? `cuda:${launch.localRank}` : device;
}
