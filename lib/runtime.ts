// SPDX-License-Identifier: MIT
/** LibTorch runtime facts and knobs: devices, threads, seeds, BLAS. */
import { invalidArg, native, nativeAsync } from './errors.js';
import { nativeBinding } from './native.js';

export interface RuntimeInfo {
  /** LibTorch version the addon was compiled against (major.minor.patch of its headers). */
  torchVersion: string;
  cudaAvailable: boolean;
  cudaDeviceCount: number;
  cudnnAvailable: boolean;
  /** Intra-op threads LibTorch uses now. */
  numThreads: number;
  /** CPU cores this process may run on. */
  usableCores: number;
  /** The BLAS library the loader mapped; `reference: true` means the slow netlib BLAS. */
  blas: { name: string; reference: boolean; libraries: string[] };
  parallelInfo: string;
  buildConfig: string;
}

export function runtimeInfo(): RuntimeInfo {
  return native(() => nativeBinding().runtimeInfo());
}

/** True when a CUDA device can be used (checked at run time, never assumed). */
export function cudaAvailable(): boolean {
  return native(() => nativeBinding().cudaAvailable());
}

/** 'cuda' when available, else 'cpu'. */
export function defaultDevice(): 'cuda' | 'cpu' {
  return cudaAvailable() ? 'cuda' : 'cpu';
}

/**
 * Sets LibTorch's intra-op thread count (process-wide). The addon starts with one thread per
 * usable core unless MIRRORGAN_NUM_THREADS or OMP_NUM_THREADS says otherwise.
 */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw invalidArg('threads', 'integer between 1 and 1024', n);
  native(() => nativeBinding().setNumThreads(n));
}

export function getNumThreads(): number {
  return native(() => nativeBinding().getNumThreads());
}

/** Seeds LibTorch's generators (CPU and CUDA). */
export function manualSeed(seed: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0) throw invalidArg('seed', 'a non-negative safe integer', seed);
  native(() => nativeBinding().manualSeed(seed));
}

/**
 * Deterministic mode, process-wide: every native job runs on the calling thread instead of
 * libuv's pool (so autograd sums each tensor's incoming gradients in one fixed order; see
 * native/addon/async_job.h), and LibTorch uses its deterministic kernels (CUDA, cuDNN). The
 * same seed then gives the same weights bit for bit, run after run and across a resume, at
 * a fixed intra-op thread count. Cost: the event loop waits while native work runs (no data
 * preparation meanwhile); docs/reliability.md has the measured figures.
 */
export function setDeterministic(on: boolean): void {
  if (typeof on !== 'boolean') throw invalidArg('deterministic', 'true or false', on);
  native(() => nativeBinding().setDeterministic(on));
}

/** Whether deterministic mode ({@link setDeterministic}) is on. */
export function getDeterministic(): boolean {
  return native(() => nativeBinding().getDeterministic());
}

/** Multiplies n×n float32 matrices for `seconds` and reports GFLOP/s (off the main thread). */
export function matmulBenchmark(seconds = 1, n = 512): Promise<{ gflops: number; iterations: number; seconds: number; n: number }> {
  return nativeAsync(() => nativeBinding().matmulBenchmark(seconds, n));
}
