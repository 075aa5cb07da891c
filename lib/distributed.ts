// SPDX-License-Identifier: MIT
/**
 * Collectives over PyTorch's c10d (native/distributed): a process group joined through a TCPStore
 * rendezvous, Gloo for CPU tensors and NCCL for CUDA tensors. Collectives run off the main
 * thread, one at a time per group (every rank must issue them in the same order), each bounded
 * by the group's timeout; a lost rank or a timeout fails the call with ERR_DIST_PEER or
 * ERR_DIST_TIMEOUT, and every later call at once.
 */
import { invalidArg, MirrorganError, native, nativeAsync } from './errors.js';
import { JobLock } from './lock.js';
import { nativeBinding, type NativeProcessGroupHandle } from './native.js';
import { Tensor } from './tensor.js';

/** Defaults of the distributed layer, written once here. */
export const DIST_DEFAULTS = {
  /** Bound on every collective, ms (torch's kProcessGroupDefaultTimeout, 30 min: rank 0 may write a checkpoint or a sample grid while the others wait at the next all-reduce). */
  timeoutMs: 30 * 60_000,
  /** Bound on joining: reaching the store and all ranks arriving, ms. */
  joinTimeoutMs: 5 * 60_000,
  /** Gradient bucket size, bytes (DDP's bucket_cap_mb = 25). */
  bucketBytes: 25 * 1024 * 1024,
  /** Namespace of our keys in the store. */
  prefix: 'mirrorgan',
} as const;

/** What this build of the addon can do for distributed training, and why not. */
export interface DistributedSupport {
  /** Gloo (CPU) process groups can be joined. */
  gloo: boolean;
  /** NCCL (CUDA) process groups can be joined. */
  nccl: boolean;
  /** Why there is no distributed training ('' when `gloo`). */
  reason: string;
  /** Why there is no NCCL ('' when `nccl`). */
  ncclReason: string;
}

export function distributedSupport(): DistributedSupport {
  return native(() => nativeBinding().distributedSupport());
}

export interface JoinOptions {
  rank: number;
  worldSize: number;
  /** Host of the rendezvous store (rank 0's address, or torchrun's agent). */
  masterAddr: string;
  masterPort: number;
  /** 'cpu' joins a Gloo group; 'cuda:N' an NCCL group on device N. Default 'cpu'. */
  device?: string;
  /** Bound on every collective, ms. */
  timeoutMs?: number;
  /** Bound on joining, ms. */
  joinTimeoutMs?: number;
  /** The store is already served (torchrun's agent): rank 0 connects as a client too. */
  agentStore?: boolean;
  /** Namespace of the keys in the store. */
  prefix?: string;
  /** Network interfaces for Gloo, comma-separated (GLOO_SOCKET_IFNAME). */
  interfaces?: string;
}

/** Bytes and messages that went through the group (this rank's view). */
export interface DistCounters {
  allReduceBytes: number;
  allReduceMessages: number;
  /** Time spent inside all-reduce calls, s (waiting for the slowest rank included). */
  allReduceSeconds: number;
  broadcastBytes: number;
  broadcastMessages: number;
  allGatherMessages: number;
  barriers: number;
}

function checkInt(name: string, v: unknown, min: number, max: number): number {
  if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) throw invalidArg(name, `integer between ${min} and ${max}`, v);
  return v as number;
}

function checkTensors(name: string, tensors: unknown): Tensor[] {
  if (!Array.isArray(tensors)) throw invalidArg(name, 'an array of Tensors', tensors);
  tensors.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw invalidArg(`${name}[${i}]`, 'a Tensor', t);
  });
  return tensors as Tensor[];
}

function checkFloating(name: string, tensors: Tensor[]): Tensor[] {
  tensors.forEach((t, i) => {
    if (t.dtype !== 'float32' && t.dtype !== 'float64') throw invalidArg(`${name}[${i}]`, 'a float32 or float64 Tensor (a mean of integers is not an integer)', t.dtype);
  });
  return tensors;
}

function checkBucket(bucketBytes: unknown): number {
  return checkInt('bucketBytes', bucketBytes, 1, Number.MAX_SAFE_INTEGER);
}

export class ProcessGroup {
  readonly #h: NativeProcessGroupHandle;
  readonly #lock = new JobLock();

  private constructor(handle: NativeProcessGroupHandle) {
    this.#h = handle;
  }

  /**
   * Joins the group: rank 0 hosts the TCPStore at masterAddr:masterPort (unless `agentStore`),
   * every rank waits for all `worldSize` ranks, then the Gloo or NCCL group connects.
   */
  static async join(options: JoinOptions): Promise<ProcessGroup> {
    if (options === null || typeof options !== 'object') throw invalidArg('options', 'a join options object', options);
    const worldSize = checkInt('worldSize', options.worldSize, 1, 1 << 20);
    const rank = checkInt('rank', options.rank, 0, worldSize - 1);
    if (typeof options.masterAddr !== 'string' || options.masterAddr === '') throw invalidArg('masterAddr', 'a host name or address', options.masterAddr);
    const masterPort = checkInt('masterPort', options.masterPort, 1, 65535);
    const device = options.device ?? 'cpu';
    if (typeof device !== 'string' || !/^(cpu|cuda(:\d+)?)$/.test(device)) throw invalidArg('device', "'cpu', 'cuda' or 'cuda:N'", device);
    const timeoutMs = checkInt('timeoutMs', options.timeoutMs ?? DIST_DEFAULTS.timeoutMs, 1, 2 ** 40);
    const joinTimeoutMs = checkInt('joinTimeoutMs', options.joinTimeoutMs ?? DIST_DEFAULTS.joinTimeoutMs, 1, 2 ** 40);
    const prefix = options.prefix ?? DIST_DEFAULTS.prefix;
    if (typeof prefix !== 'string' || prefix === '') throw invalidArg('prefix', 'a non-empty string', prefix);
    const interfaces = options.interfaces ?? '';
    if (typeof interfaces !== 'string') throw invalidArg('interfaces', 'a comma-separated list of network interfaces', interfaces);
    const support = distributedSupport();
    if (!support.gloo) throw new MirrorganError('ERR_DIST_UNAVAILABLE', `distributed training is not built into this addon: ${support.reason}`);
    const handle = await nativeAsync(() =>
      nativeBinding().distJoin({
        masterAddr: options.masterAddr, masterPort, rank, worldSize, device: device === 'cuda' ? 'cuda:0' : device,
        timeoutMs, joinTimeoutMs, agentStore: options.agentStore ?? false, prefix, interfaces,
      }),
    );
    return new ProcessGroup(handle);
  }

  get rank(): number {
    return native(() => this.#h.rank);
  }
  get worldSize(): number {
    return native(() => this.#h.worldSize);
  }
  /** 'gloo' or 'nccl'. */
  get backend(): string {
    return native(() => this.#h.backend);
  }
  /** Where this group's tensors must live. */
  get device(): string {
    return native(() => this.#h.device);
  }
  /** Rank 0: the one that writes checkpoints, samples, metrics and progress. */
  get isMain(): boolean {
    return this.rank === 0;
  }

  #run<T>(job: string, fn: () => Promise<T>): Promise<T> {
    return this.#lock.run(job, () => nativeAsync(fn));
  }

  /** Copies rank `root`'s tensors (any dtype) into every rank's, in place (bucketed). */
  async broadcast(tensors: Tensor[], options: { root?: number; bucketBytes?: number } = {}): Promise<void> {
    const ts = checkTensors('tensors', tensors);
    const root = checkInt('root', options.root ?? 0, 0, this.worldSize - 1);
    const bucket = checkBucket(options.bucketBytes ?? DIST_DEFAULTS.bucketBytes);
    return this.#run('broadcast', () => this.#h.broadcast(ts.map((t) => t.handle), root, bucket));
  }

  /** Replaces every floating-point tensor by its mean over the ranks, in place (bucketed). */
  async allReduceMean(tensors: Tensor[], options: { bucketBytes?: number } = {}): Promise<void> {
    const ts = checkFloating('tensors', checkTensors('tensors', tensors));
    const bucket = checkBucket(options.bucketBytes ?? DIST_DEFAULTS.bucketBytes);
    return this.#run('allReduceMean', () => this.#h.allReduceMean(ts.map((t) => t.handle), bucket));
  }

  /**
   * Averages the gradients of `params` over the ranks, in place (bucketed). A parameter with
   * no gradient on some rank counts as zero there; one with none anywhere keeps none.
   */
  async allReduceGradients(params: Tensor[], options: { bucketBytes?: number } = {}): Promise<void> {
    const ps = checkFloating('params', checkTensors('params', params));
    const bucket = checkBucket(options.bucketBytes ?? DIST_DEFAULTS.bucketBytes);
    return this.#run('allReduceGradients', () => this.#h.allReduceGradients(ps.map((t) => t.handle), bucket));
  }

  /** Every rank's `value`, in rank order. */
  async allGather(value: string): Promise<string[]> {
    if (typeof value !== 'string') throw invalidArg('value', 'a string', value);
    return this.#run('allGather', () => this.#h.allGather(value));
  }

  barrier(): Promise<void> {
    return this.#run('barrier', () => this.#h.barrier());
  }

  counters(): DistCounters {
    return native(() => this.#h.counters());
  }

  /** Leaves the group (releases Gloo's threads and the store). */
  shutdown(): Promise<void> {
    return this.#run('shutdown', () => this.#h.shutdown());
  }
}
