// SPDX-License-Identifier: MIT
// Loads build/Release/mirrorgan_native.node; on failure explains what to do in a numbered list.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MirrorganError } from './errors.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

/** The raw native tensor handle (see native/addon/tensor_wrap.cpp). */
export interface NativeTensorHandle {
  readonly shape: number[];
  readonly dtype: string;
  readonly device: string;
  readonly isDisposed: boolean;
  requiresGrad: boolean;
  readonly grad: NativeTensorHandle | null;
  dataSync(): ArrayBufferView;
  data(): Promise<ArrayBufferView>;
  item(): number;
  dispose(): void;
  backward(gradient?: NativeTensorHandle): void;
  backwardAsync(): Promise<void>;
  to(target: string): NativeTensorHandle;
  detach(): NativeTensorHandle;
  clone(): NativeTensorHandle;
  zeroGrad(): void;
}

export type NativeTensorMap = Record<string, NativeTensorHandle>;

/** The raw native module handle (see native/addon/module_wrap.cpp). */
export interface NativeModuleHandle {
  readonly kind: string;
  readonly training: boolean;
  readonly device: string;
  readonly busy: boolean;
  readonly isDisposed: boolean;
  forward(inputs: Record<string, unknown>, options?: object): NativeTensorMap;
  forwardAsync(inputs: Record<string, unknown>, options?: object): Promise<NativeTensorMap>;
  call(method: string, inputs: Record<string, unknown>, options?: object): NativeTensorMap;
  callAsync(method: string, inputs: Record<string, unknown>, options?: object): Promise<NativeTensorMap>;
  namedParameters(): [string, NativeTensorHandle][];
  namedStateDict(): [string, NativeTensorHandle][];
  loadStateDict(dict: Record<string, unknown>, strict?: boolean): { missing: string[]; unexpected: string[] };
  train(mode?: boolean): void;
  to(device: string): void;
  zeroGrad(): void;
  setRequiresGrad(on: boolean): void;
  dispose(): void;
}

export interface NativeAdamHandle {
  lr: number;
  options: { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number };
  readonly numParams: number;
  step(): void;
  stepAsync(): Promise<void>;
  zeroGrad(): void;
  stateDict(): NativeTensorMap;
  loadStateDict(state: Record<string, unknown>): void;
}

/** The raw native process group handle (see native/addon/distributed_wrap.cpp). */
export interface NativeProcessGroupHandle {
  readonly rank: number;
  readonly worldSize: number;
  readonly backend: string;
  readonly device: string;
  broadcast(tensors: NativeTensorHandle[], root: number, bucketBytes: number): Promise<void>;
  allReduceMean(tensors: NativeTensorHandle[], bucketBytes: number): Promise<void>;
  allReduceGradients(params: NativeTensorHandle[], bucketBytes: number): Promise<void>;
  allGather(value: string): Promise<string[]>;
  barrier(): Promise<void>;
  counters(): {
    allReduceBytes: number; allReduceMessages: number; allReduceSeconds: number;
    broadcastBytes: number; broadcastMessages: number; allGatherMessages: number; barriers: number;
  };
  shutdown(): Promise<void>;
}

/** What `memory()` reports. */
export interface MemoryInfo {
  /** Live tensor handles (not disposed, not collected). */
  numTensors: number;
  /** Host bytes those handles hold (views of one storage counted each). */
  numBytes: number;
  /** Live modules (not disposed, not collected). */
  numModules: number;
  /** Host bytes of those modules' parameters and buffers: the model weights in memory. */
  moduleBytes: number;
}

export interface NativeBinding {
  NativeTensor: { fromBuffer(data: ArrayBufferView, shape: number[], dtype: string, device: string, requiresGrad: boolean): NativeTensorHandle };
  NativeModule: new (kind: string, options?: object) => NativeModuleHandle;
  NativeAdam: new (params: unknown[], options?: object) => NativeAdamHandle;
  ops: Record<string, (...args: any[]) => any>;
  memory(): MemoryInfo;
  call(name: string, inputs: Record<string, unknown>, options?: object): NativeTensorMap;
  callAsync(name: string, inputs: Record<string, unknown>, options?: object): Promise<NativeTensorMap>;
  moduleKinds(): string[];
  functionNames(): string[];
  writeTensorFile(path: string, head: Uint8Array, tensors: unknown[]): Promise<void>;
  readTensorFile(path: string, dataStart: number, entries: { dtype: string; shape: number[]; begin: number; end: number }[]): Promise<NativeTensorHandle[]>;
  pickleLoad(path: string): Promise<NativeTensorMap>;
  pickleSave(path: string, tensors: Record<string, unknown>): Promise<void>;
  runtimeInfo(): {
    torchVersion: string;
    cudaAvailable: boolean;
    cudaDeviceCount: number;
    cudnnAvailable: boolean;
    numThreads: number;
    usableCores: number;
    blas: { name: string; reference: boolean; libraries: string[] };
    parallelInfo: string;
    buildConfig: string;
  };
  matmulBenchmark(seconds: number, n: number): Promise<{ gflops: number; iterations: number; seconds: number; n: number }>;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  manualSeed(seed: number): void;
  setDeterministic(on: boolean): void;
  getDeterministic(): boolean;
  cudaAvailable(): boolean;
  distributedSupport(): { gloo: boolean; nccl: boolean; reason: string; ncclReason: string };
  distJoin(options: {
    masterAddr: string; masterPort: number; rank: number; worldSize: number; device: string;
    timeoutMs: number; joinTimeoutMs: number; agentStore: boolean; prefix: string; interfaces: string;
  }): Promise<NativeProcessGroupHandle>;
  napiVersion: number;
}

/** The package root: the nearest folder above this file whose package.json is ours. */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj)) {
      try {
        if (JSON.parse(fs.readFileSync(pj, 'utf8')).name === 'mirrorgan-native') return dir;
      } catch {
        /* keep looking */
      }
    }
    const up = path.dirname(dir);
    if (up === dir) throw new MirrorganError('ERR_ADDON_LOAD', 'cannot find the mirrorgan-native package root');
    dir = up;
  }
}

function loadError(file: string, cause: unknown): MirrorganError {
  const msg = cause instanceof Error ? cause.message : String(cause);
  const fixes: string[] = [];
  let libDir = '';
  try {
    libDir = JSON.parse(fs.readFileSync(path.join(path.dirname(file), '..', 'torch-build.json'), 'utf8')).libDir;
  } catch {
    /* no build record */
  }
  if (/Cannot find module|ENOENT/.test(msg) && !fs.existsSync(file)) {
    fixes.push('the addon is not built: run `npm rebuild mirrorgan-native` (or `node scripts/install.mjs` in a clone)');
    fixes.push('if the build fails for lack of LibTorch on Debian/Ubuntu: sudo bash scripts/setup-libtorch.sh');
  } else if (/cannot open shared object file/.test(msg)) {
    fixes.push(`the LibTorch it was built against is gone or moved${libDir ? ` (it was in ${libDir})` : ''}`);
    fixes.push('reinstall that LibTorch, or rebuild against the one you have: npm rebuild mirrorgan-native');
  } else if (/undefined symbol/.test(msg)) {
    fixes.push('the addon and the LibTorch it loads differ (version or C++ ABI): rebuild with `npm rebuild mirrorgan-native`');
  } else if (/GLIBCXX|CXXABI/.test(msg)) {
    fixes.push('the system libstdc++ is older than the one LibTorch needs: use a newer distribution or compiler runtime');
  } else {
    fixes.push('rebuild the addon: npm rebuild mirrorgan-native');
    fixes.push('run `npx mirrorgan doctor` and include its output in a bug report');
  }
  const list = fixes.map((f, i) => `  ${i + 1}. ${f}`).join('\n');
  return new MirrorganError('ERR_ADDON_LOAD', `Could not load the mirrorgan-native addon (${file}): ${msg.split('\n')[0]}\nWhat to do:\n${list}`, { cause });
}

let binding: NativeBinding | undefined;

/** The native binding, loaded on first use. */
export function nativeBinding(): NativeBinding {
  if (binding) return binding;
  const file = process.env.MIRRORGAN_ADDON ?? path.join(packageRoot(), 'build', 'Release', 'mirrorgan_native.node');
  try {
    binding = createRequire(import.meta.url)(file) as NativeBinding;
  } catch (e) {
    throw loadError(file, e);
  }
  return binding;
}
