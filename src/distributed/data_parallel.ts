// SPDX-License-Identifier: MIT
/**
 * Data parallelism for MirrorGAN's trainers, as DDP does it but explicitly (the C++ frontend
 * has no DistributedDataParallel): every rank starts from rank 0's weights, reads its own
 * shard of each epoch, and after every backward averages the gradients over the ranks before
 * its optimizer steps, so all ranks take the same step: the one a single process would take on
 * the global batch (batch size × world size) when the loss is a mean over items.
 * BatchNorm statistics stay per rank (DDP without SyncBatchNorm; see docs/distributed.md).
 */
import { DIST_DEFAULTS, ProcessGroup } from '../../lib/distributed.js';
import { invalidArg } from '../../lib/errors.js';
import { JobLock } from '../../lib/lock.js';
import type { Module } from '../../lib/module.js';
import { dispose, type Tensor } from '../../lib/tensor.js';
import type { ShardSpec } from '../data/shard.js';
import { checkSameConfig } from './config_check.js';
import { readLaunchEnv, workerDevice, type LaunchEnv } from './env.js';

export interface DataParallelOptions {
  /** Gradient bucket size in bytes (default 25 MiB, DDP's bucket_cap_mb). */
  bucketBytes?: number;
}

export class DataParallel {
  readonly bucketBytes: number;

  constructor(
    /** The joined process group. */
    readonly group: ProcessGroup,
    options: DataParallelOptions = {},
  ) {
    const b = options.bucketBytes ?? DIST_DEFAULTS.bucketBytes;
    if (!Number.isInteger(b) || b < 1) throw invalidArg('bucketBytes', 'a positive integer', b);
    this.bucketBytes = b;
  }

  get rank(): number {
    return this.group.rank;
  }
  get worldSize(): number {
    return this.group.worldSize;
  }
  /** Rank 0 writes checkpoints, samples, metrics and the progress bar. */
  get isMain(): boolean {
    return this.group.isMain;
  }
  /** This rank's shard of every epoch, for `new DataLoader(ds, { shard })`. */
  get shard(): ShardSpec {
    return { rank: this.rank, worldSize: this.worldSize };
  }

  /** Copies rank 0's parameters and buffers (BatchNorm running statistics) into every rank. */
  async broadcastParameters(...modules: Module[]): Promise<void> {
    await this.#withTensors(modules, 'broadcastParameters', (m) => [...m.namedStateDict().values()], (ts) =>
      this.group.broadcast(ts, { root: 0, bucketBytes: this.bucketBytes }),
    );
  }

  /**
   * Averages the gradients of every parameter of `modules` over the ranks. Call after
   * backward and before the optimizer step; every rank must call it with the same modules.
   */
  async allReduceGradients(...modules: Module[]): Promise<void> {
    await this.#withTensors(modules, 'allReduceGradients', (m) => m.parameters(), (ps) =>
      this.group.allReduceGradients(ps, { bucketBytes: this.bucketBytes }),
    );
  }

  /** Fails every rank (ERR_DIST_MISMATCH) when the ranks' resolved configs differ. */
  checkSameConfig(config: unknown): Promise<void> {
    return checkSameConfig(this.group, config);
  }

  shutdown(): Promise<void> {
    return this.group.shutdown();
  }

  /** Runs `fn` on the modules' tensors, holding the modules' locks (no optimizer step meanwhile). */
  async #withTensors(modules: Module[], job: string, pick: (m: Module) => Tensor[], fn: (ts: Tensor[]) => Promise<void>): Promise<void> {
    if (modules.length === 0) throw invalidArg('modules', 'at least one Module', modules);
    await JobLock.runAll(modules.map((m) => m.lock), job, async () => {
      const tensors = modules.flatMap(pick);
      try {
        await fn(tensors);
      } finally {
        dispose(tensors);
      }
    });
  }
}

/**
 * Joins the job this process was launched into (torchrun, Kubeflow, `--nproc`) and checks
 * that every rank resolved the same `config`; null when the process runs alone.
 * `device` is the training device ('cuda' becomes cuda:LOCAL_RANK).
 */
export async function initDataParallel(
  options: { device?: string; config?: unknown; env?: Record<string, string | undefined> } & DataParallelOptions = {},
): Promise<{ dp: DataParallel; launch: LaunchEnv; device: string } | null> {
  const launch = readLaunchEnv(options.env);
  if (!launch) return null;
  const device = workerDevice(options.device ?? 'cpu', launch);
  const group = await ProcessGroup.join({
    rank: launch.rank,
    worldSize: launch.worldSize,
    masterAddr: launch.masterAddr,
    masterPort: launch.masterPort,
    device,
    timeoutMs: launch.timeoutMs,
    joinTimeoutMs: launch.joinTimeoutMs,
    agentStore: launch.agentStore,
    prefix: `${DIST_DEFAULTS.prefix}/${launch.restartCount}`,
    interfaces: launch.interfaces,
  });
  const dp = new DataParallel(group, options);
  if (options.config !== undefined) {
    try {
      await dp.checkSameConfig(options.config);
    } catch (e) {
      await dp.shutdown().catch(() => undefined);  // the mismatch is the error worth reporting
      throw e;
    }
  }
  return { dp, launch, device };
}
