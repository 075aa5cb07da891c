// SPDX-License-Identifier: MIT
/** mirrorgan-native/lib: the typed binding over the LibTorch addon. */
export { clipGradNorm, clipGradNormAsync, type ClipGradNormOptions } from './clip_grad_norm.js';
export { DIST_DEFAULTS, distributedSupport, ProcessGroup, type DistCounters, type DistributedSupport, type JoinOptions } from './distributed.js';
export { DataError, ERROR_CODES, isErrorCode, MirrorganError, type DataErrorCode, type ErrorCode } from './errors.js';
export { JobLock } from './lock.js';
export { callNative, callNativeAsync, Module, moduleKinds, type ForwardOptions, type ModuleOptions, type TensorRecord } from './module.js';
export type { MemoryInfo } from './native.js';
export { Adam, type AdamOptions } from './optim.js';
export { cudaAvailable, defaultDevice, getDeterministic, getNumThreads, manualSeed, matmulBenchmark, runtimeInfo, setDeterministic, setNumThreads, type RuntimeInfo } from './runtime.js';
export {
  loadSafetensors, loadTorchPickle, readSafetensorsHeader, saveSafetensors, saveTorchPickle,
  type LoadedTensors, type SafetensorsEntry, type SafetensorsHeader,
} from './safetensors.js';
export {
  cat, copyInto, dispose, emaUpdate, full, interpolate, keep, maxAbsDiff, memory, ones, rand, randn, Tensor, tensor, tidy, zeros,
  type AnyTypedArray, type Device, type DType, type TensorOptions, type TypedArrayOf,
} from './tensor.js';
