// SPDX-License-Identifier: MIT
/**
 * Tensor: a handle on one native LibTorch tensor. Data cross into JS only by copy
 * (`dataSync()` / `await data()`). Free native memory with `dispose()`, a `using` declaration
 * (`Symbol.dispose`), or `tidy()`; the garbage collector is only a safety net.
 */
import { invalidArg, MirrorganError, native, nativeAsync } from './errors.js';
import { nativeBinding, type MemoryInfo, type NativeTensorHandle } from './native.js';

/** Element types a Tensor can hold. */
export type DType = 'float32' | 'float64' | 'int32' | 'int64' | 'uint8' | 'bool';
/** Where a tensor lives. `meta` tensors have a shape but no data (shape inference). */
export type Device = 'cpu' | 'cuda' | `cuda:${number}` | 'meta';

/** The typed array each dtype reads into and is created from. */
export interface TypedArrayOf {
  float32: Float32Array;
  float64: Float64Array;
  int32: Int32Array;
  int64: BigInt64Array;
  uint8: Uint8Array;
  bool: Uint8Array;
}
export type AnyTypedArray = TypedArrayOf[DType];

const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'int64', 'uint8', 'bool'];

function dtypeOf(data: AnyTypedArray): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Uint8Array) return 'uint8';
  throw invalidArg('data', 'a Float32Array, Float64Array, Int32Array, BigInt64Array or Uint8Array', data);
}

// ---- tidy scopes ------------------------------------------------------------------------------

const scopes: Set<Tensor>[] = [];

function track(t: Tensor): void {
  scopes[scopes.length - 1]?.add(t);
}

function collect(value: unknown, into: Set<Tensor>, seen = new Set<unknown>()): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (value instanceof Tensor) {
    into.add(value);
  } else if (value instanceof Map) {
    for (const v of value.values()) collect(v, into, seen);
  } else if (Array.isArray(value)) {
    for (const v of value) collect(v, into, seen);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collect(v, into, seen);
  }
}

/**
 * Runs `fn` and disposes every tensor created inside it except those it returns (found in
 * the returned value, arrays, Maps and plain objects). Synchronous functions only: a Promise
 * cannot be tracked, so returning one is an error.
 */
export function tidy<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw invalidArg('fn', 'a function', fn);
  const scope = new Set<Tensor>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of scope) t.dispose();
    throw e;
  }
  scopes.pop();
  const kept = new Set<Tensor>();
  collect(result, kept);
  if (result instanceof Promise) {
    for (const t of scope) t.dispose();
    throw new MirrorganError('ERR_INVALID_ARG', 'tidy() takes a synchronous function; it returned a Promise');
  }
  for (const t of scope) {
    if (kept.has(t)) track(t);  // hand it to the enclosing scope, if any
    else t.dispose();
  }
  return result;
}

/** Exempts `t` from the enclosing tidy() scopes; it lives until disposed. */
export function keep<T extends Tensor>(t: T): T {
  for (const s of scopes) s.delete(t);
  return t;
}

/** Disposes every tensor found in `value` (a tensor, array, Map or plain object of them). */
export function dispose(value: unknown): void {
  const found = new Set<Tensor>();
  collect(value, found);
  for (const t of found) t.dispose();
}

/**
 * Live native tensor handles and their host bytes, and live modules with the host bytes of
 * their weights (parameters and buffers): what a loaded model holds until it is disposed.
 */
export function memory(): MemoryInfo {
  return nativeBinding().memory();
}

// ---- the Tensor class -------------------------------------------------------------------------

export class Tensor {
  /** @internal The native handle. */
  readonly handle: NativeTensorHandle;

  /** @internal Use tensor(), zeros(), ... or module outputs. */
  constructor(handle: NativeTensorHandle) {
    this.handle = handle;
    track(this);
  }

  /** Sizes of each dimension. */
  get shape(): number[] {
    return native(() => this.handle.shape);
  }
  get dtype(): DType {
    return native(() => this.handle.dtype) as DType;
  }
  get device(): Device {
    return native(() => this.handle.device) as Device;
  }
  /** Number of elements. */
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
  get rank(): number {
    return this.shape.length;
  }
  get isDisposed(): boolean {
    return this.handle.isDisposed;
  }
  get requiresGrad(): boolean {
    return native(() => this.handle.requiresGrad);
  }
  set requiresGrad(on: boolean) {
    if (typeof on !== 'boolean') throw invalidArg('requiresGrad', 'a boolean', on);
    native(() => {
      this.handle.requiresGrad = on;
    });
  }
  /** The accumulated gradient (a new handle on it), or null before any backward(). */
  get grad(): Tensor | null {
    const g = native(() => this.handle.grad);
    return g ? new Tensor(g) : null;
  }

  /** Copies the data into a new typed array (synchronously; waits for the device). */
  dataSync<D extends DType = DType>(): TypedArrayOf[D] {
    return native(() => this.handle.dataSync()) as TypedArrayOf[D];
  }
  /** Copies the data into a new typed array off the main thread. */
  data<D extends DType = DType>(): Promise<TypedArrayOf[D]> {
    return nativeAsync(() => this.handle.data()) as Promise<TypedArrayOf[D]>;
  }
  /** The data as plain numbers (int64 converted with Number()). */
  toArray(): number[] {
    const d = this.dataSync();
    return d instanceof BigInt64Array ? Array.from(d, Number) : Array.from(d as ArrayLike<number>);
  }
  /** The value of a one-element tensor. */
  item(): number {
    return native(() => this.handle.item());
  }

  /** Frees the native tensor now. Idempotent; later use throws ERR_DISPOSED. */
  dispose(): void {
    this.handle.dispose();
  }
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Back-propagates from this tensor (a scalar, or pass the upstream gradient). */
  backward(gradient?: Tensor): void {
    native(() => this.handle.backward(gradient?.handle));
  }
  /** backward() of a scalar on a worker thread (the event loop stays free). */
  backwardAsync(): Promise<void> {
    return nativeAsync(() => this.handle.backwardAsync());
  }
  /** Zeroes this tensor's accumulated gradient in place. */
  zeroGrad(): void {
    native(() => this.handle.zeroGrad());
  }

  /**
   * A copy on another device or with another dtype; 'float16' is a storage type (weights saved
   * at half the size, widened again by Module.load), with no typed array of its own.
   */
  to(target: Device | DType | 'float16'): Tensor {
    if (typeof target !== 'string') throw invalidArg('target', 'a device or dtype name', target);
    return new Tensor(native(() => this.handle.to(target)));
  }
  detach(): Tensor {
    return new Tensor(native(() => this.handle.detach()));
  }
  clone(): Tensor {
    return new Tensor(native(() => this.handle.clone()));
  }

  add(other: Tensor | number): Tensor {
    return op('add', this, other);
  }
  sub(other: Tensor | number): Tensor {
    return op('sub', this, other);
  }
  mul(other: Tensor | number): Tensor {
    return op('mul', this, other);
  }
  div(other: Tensor | number): Tensor {
    return op('div', this, other);
  }
  pow(other: Tensor | number): Tensor {
    return op('pow', this, other);
  }
  matmul(other: Tensor): Tensor {
    return op('matmul', this, other);
  }
  neg(): Tensor {
    return op('neg', this);
  }
  exp(): Tensor {
    return op('exp', this);
  }
  log(): Tensor {
    return op('log', this);
  }
  abs(): Tensor {
    return op('abs', this);
  }
  sqrt(): Tensor {
    return op('sqrt', this);
  }
  tanh(): Tensor {
    return op('tanh', this);
  }
  sigmoid(): Tensor {
    return op('sigmoid', this);
  }
  relu(): Tensor {
    return op('relu', this);
  }
  /** Sum over `dims` (all when omitted). */
  sum(dims?: number[], keepDim = false): Tensor {
    return op('sum', this, dims ?? null, keepDim);
  }
  /** Mean over `dims` (all when omitted). */
  mean(dims?: number[], keepDim = false): Tensor {
    return op('mean', this, dims ?? null, keepDim);
  }
  reshape(shape: number[]): Tensor {
    if (!Array.isArray(shape)) throw invalidArg('shape', 'an array of integers', shape);
    return op('reshape', this, shape);
  }
  transpose(dim0: number, dim1: number): Tensor {
    return op('transpose', this, dim0, dim1);
  }
  /** The slices `index` (1-D int64, same device) along `dim`, in that order (torch.index_select). */
  indexSelect(dim: number, index: Tensor): Tensor {
    return op('indexSelect', this, dim, index);
  }
  /** True when every element is finite (always true for integer tensors). */
  allFinite(): boolean {
    return native(() => nativeBinding().ops.allFinite(this.handle)) as boolean;
  }

  toString(): string {
    return this.isDisposed ? 'Tensor(disposed)' : `Tensor(${this.dtype}, [${this.shape.join(', ')}], ${this.device})`;
  }
}

function unwrapArg(a: unknown): unknown {
  if (a instanceof Tensor) return a.handle;
  if (Array.isArray(a)) return a.map(unwrapArg);
  return a;
}

function op(name: string, ...args: unknown[]): Tensor {
  return new Tensor(native(() => nativeBinding().ops[name](...args.map(unwrapArg))));
}

/** Wraps a native handle (internal; module outputs use it). */
export function fromHandle(h: NativeTensorHandle): Tensor {
  return new Tensor(h);
}

// ---- creation ---------------------------------------------------------------------------------

export interface TensorOptions {
  /** Element type. Default: inferred from the typed array (float32 for number[]). */
  dtype?: DType;
  /** Default: 'cpu'. */
  device?: Device;
  /** Track gradients. Default: false. */
  requiresGrad?: boolean;
}

function checkShape(shape: unknown): number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw invalidArg('shape', 'an array of non-negative integers', shape);
  }
  return shape as number[];
}

function toTypedArray(data: AnyTypedArray | number[], dtype: DType): AnyTypedArray {
  if (!Array.isArray(data)) return data;
  switch (dtype) {
    case 'float32': return Float32Array.from(data);
    case 'float64': return Float64Array.from(data);
    case 'int32': return Int32Array.from(data);
    case 'int64': return BigInt64Array.from(data, (v) => BigInt(Math.trunc(v)));
    default: return Uint8Array.from(data);
  }
}

/**
 * A tensor from data and a shape (the data are copied). `data` may be a typed array matching
 * the dtype or a number[]; a Uint8Array with dtype 'bool' maps non-zero to true.
 */
export function tensor(data: AnyTypedArray | number[], shape?: number[], options: TensorOptions = {}): Tensor {
  if (!Array.isArray(data) && !ArrayBuffer.isView(data)) throw invalidArg('data', 'a typed array or number[]', data);
  if (Array.isArray(data) && !data.every((v) => typeof v === 'number')) {
    throw invalidArg('data', 'an array of numbers', data);
  }
  const dtype = options.dtype ?? (Array.isArray(data) ? 'float32' : dtypeOf(data as AnyTypedArray));
  if (!DTYPES.includes(dtype)) throw invalidArg('dtype', `one of ${DTYPES.join(', ')}`, dtype);
  const arr = toTypedArray(data, dtype);
  const dims = checkShape(shape ?? [arr.length]);
  return new Tensor(
    native(() => nativeBinding().NativeTensor.fromBuffer(arr, dims, dtype, options.device ?? 'cpu', options.requiresGrad ?? false)),
  );
}

function create(name: 'zeros' | 'ones' | 'randn' | 'rand', shape: number[], options: TensorOptions): Tensor {
  const t = new Tensor(native(() => nativeBinding().ops[name](checkShape(shape), options.dtype ?? 'float32', options.device ?? 'cpu')));
  if (options.requiresGrad) t.requiresGrad = true;
  return t;
}

export function zeros(shape: number[], options: TensorOptions = {}): Tensor {
  return create('zeros', shape, options);
}
export function ones(shape: number[], options: TensorOptions = {}): Tensor {
  return create('ones', shape, options);
}
/** Standard normal samples from LibTorch's generator (see manualSeed()). */
export function randn(shape: number[], options: TensorOptions = {}): Tensor {
  return create('randn', shape, options);
}
/** Uniform [0, 1) samples. */
export function rand(shape: number[], options: TensorOptions = {}): Tensor {
  return create('rand', shape, options);
}
export function full(shape: number[], value: number, options: TensorOptions = {}): Tensor {
  const t = new Tensor(native(() => nativeBinding().ops.full(checkShape(shape), value, options.dtype ?? 'float32', options.device ?? 'cpu')));
  if (options.requiresGrad) t.requiresGrad = true;
  return t;
}
/** Concatenates along `dim`. */
export function cat(tensors: Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw invalidArg('tensors', 'a non-empty array of tensors', tensors);
  return op('cat', tensors, dim);
}
/** Largest |a - b| over all elements (float64 arithmetic), for tests and checks. */
export function maxAbsDiff(a: Tensor, b: Tensor): number {
  return native(() => nativeBinding().ops.maxAbsDiff(a.handle, b.handle)) as number;
}

/**
 * In-place moving average outside autograd: avg <- decay * avg + (1 - decay) * param for each
 * pair (MirrorGAN keeps a 0.999 average of G's parameters).
 */
export function emaUpdate(averages: Tensor[], params: Tensor[], decay: number): void {
  if (!Array.isArray(averages) || !Array.isArray(params)) throw invalidArg('averages/params', 'arrays of tensors', averages);
  native(() => nativeBinding().ops.emaUpdate(averages.map((t) => t.handle), params.map((t) => t.handle), decay));
}

/** In-place copies outside autograd: targets[i] <- sources[i]. */
export function copyInto(targets: Tensor[], sources: Tensor[]): void {
  if (!Array.isArray(targets) || !Array.isArray(sources)) throw invalidArg('targets/sources', 'arrays of tensors', targets);
  native(() => nativeBinding().ops.copyInto(targets.map((t) => t.handle), sources.map((t) => t.handle)));
}

/** Resizes (B, C, H, W) images to size x size (bilinear, align_corners false, as F.interpolate). */
export function interpolate(images: Tensor, size: number, mode: 'bilinear' | 'nearest' = 'bilinear'): Tensor {
  if (!Number.isInteger(size) || size < 1) throw invalidArg('size', 'a positive integer', size);
  return op('interpolate', images, size, mode);
}
