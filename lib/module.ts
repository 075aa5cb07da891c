// SPDX-License-Identifier: MIT
/**
 * Module: a native LibTorch module (CA_NET, RNN_ENCODER, G_NET, ...) behind a typed handle.
 * Parameter and buffer names are the official PyTorch state-dict keys, in PyTorch's order, so
 * weights move between this project and the official code through safetensors.
 */
import { invalidArg, MirrorganError, native, nativeAsync } from './errors.js';
import { JobLock } from './lock.js';
import { nativeBinding, type NativeModuleHandle, type NativeTensorMap } from './native.js';
import { loadSafetensors, saveSafetensors } from './safetensors.js';
import { dispose, fromHandle, type Device, type Tensor } from './tensor.js';

/** Plain values passed to a native module's constructor. */
export type ModuleOptions = Record<string, number | boolean | string | number[] | undefined>;

/** Per-call switches of forward(). */
export interface ForwardOptions {
  /** Refuse inputs containing NaN/Inf with ERR_NON_FINITE. Default: true. */
  checkFinite?: boolean;
  /** Record the autograd graph. Default: true (use false for inference). */
  grad?: boolean;
}

export type TensorRecord = Record<string, Tensor>;

function toHandles(inputs: TensorRecord): Record<string, unknown> {
  if (inputs === null || typeof inputs !== 'object' || Array.isArray(inputs)) {
    throw invalidArg('inputs', 'an object of named tensors', inputs);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(inputs)) {
    if (v === undefined) continue;
    if (!v || typeof v !== 'object' || !('handle' in v)) throw invalidArg(`inputs.${k}`, 'a Tensor', v);
    out[k] = v.handle;
  }
  return out;
}

function fromHandles(map: NativeTensorMap): TensorRecord {
  const out: TensorRecord = {};
  for (const [k, h] of Object.entries(map)) out[k] = fromHandle(h);
  return out;
}

export class Module {
  /** @internal */
  readonly native: NativeModuleHandle;
  /** Shared with optimizers built over this module's parameters. */
  readonly lock = new JobLock();

  /** Creates a registered native module (see `moduleKinds()`) from its options. */
  constructor(kind: string, options: ModuleOptions = {}) {
    if (typeof kind !== 'string') throw invalidArg('kind', 'a module name', kind);
    if (options === null || typeof options !== 'object' || Array.isArray(options)) throw invalidArg('options', 'an options object', options);
    const Ctor = nativeBinding().NativeModule;
    this.native = native(() => new Ctor(kind, options));
  }

  get kind(): string {
    return this.native.kind;
  }
  get training(): boolean {
    return this.native.training;
  }
  get device(): Device {
    return native(() => this.native.device) as Device;
  }

  /** Runs the module on the calling thread. */
  forward(inputs: TensorRecord, options: ForwardOptions = {}): TensorRecord {
    this.lock.assertIdle(`${this.kind}.forward`);
    return fromHandles(native(() => this.native.forward(toHandles(inputs), options)));
  }

  /** Runs the module on a worker thread; the event loop stays free. One job at a time. */
  forwardAsync(inputs: TensorRecord, options: ForwardOptions = {}): Promise<TensorRecord> {
    const handles = toHandles(inputs);
    return this.lock.run(`${this.kind}.forwardAsync`, async () =>
      fromHandles(await nativeAsync(() => this.native.forwardAsync(handles, options))),
    );
  }

  /** Calls another named entry point of the module (a discriminator's `d_loss`, ...). */
  call(method: string, inputs: TensorRecord, options: ForwardOptions & ModuleOptions = {}): TensorRecord {
    if (typeof method !== 'string') throw invalidArg('method', 'a method name', method);
    this.lock.assertIdle(`${this.kind}.${method}`);
    return fromHandles(native(() => this.native.call(method, toHandles(inputs), options)));
  }

  /** call() on a worker thread. One job at a time per module. */
  callAsync(method: string, inputs: TensorRecord, options: ForwardOptions & ModuleOptions = {}): Promise<TensorRecord> {
    if (typeof method !== 'string') throw invalidArg('method', 'a method name', method);
    const handles = toHandles(inputs);
    return this.lock.run(`${this.kind}.${method}`, async () =>
      fromHandles(await nativeAsync(() => this.native.callAsync(method, handles, options))),
    );
  }

  /** Trainable tensors in state-dict order (handles sharing storage with the module). */
  parameters(): Tensor[] {
    return [...this.namedParameters().values()];
  }
  namedParameters(): Map<string, Tensor> {
    return new Map(native(() => this.native.namedParameters()).map(([k, h]) => [k, fromHandle(h)]));
  }
  /** Parameters and buffers under the official keys, in PyTorch's state_dict() order. */
  namedStateDict(): Map<string, Tensor> {
    return new Map(native(() => this.native.namedStateDict()).map(([k, h]) => [k, fromHandle(h)]));
  }
  /** Number of trainable scalars. */
  numParameters(): number {
    const params = this.parameters();
    const n = params.reduce((a, p) => a + p.size, 0);
    dispose(params);
    return n;
  }

  /**
   * Copies tensors into the module. Checks every key, shape and dtype before copying anything
   * and names the first mismatch (ERR_STATE_DICT). With `strict: false`, missing and unexpected
   * keys are returned instead of refused.
   */
  loadStateDict(dict: Map<string, Tensor> | TensorRecord, options: { strict?: boolean } = {}): { missing: string[]; unexpected: string[] } {
    this.lock.assertIdle(`${this.kind}.loadStateDict`);
    const rec = dict instanceof Map ? Object.fromEntries(dict) : dict;
    return native(() => this.native.loadStateDict(toHandles(rec), options.strict ?? true));
  }

  /** Saves the state dict as safetensors (atomically). */
  async save(path: string, metadata: Record<string, string> = {}): Promise<void> {
    const sd = this.namedStateDict();
    try {
      await saveSafetensors(path, sd, { format: 'pt', module: this.kind, ...metadata });
    } finally {
      dispose(sd);
    }
  }

  /**
   * Loads a safetensors state dict saved by save() or converted from the official code.
   * Half-precision tensors (float16, bfloat16: exported models store weights so) are widened to
   * float32 first.
   */
  async load(path: string, options: { strict?: boolean } = {}): Promise<{ missing: string[]; unexpected: string[]; metadata: Record<string, string> }> {
    const { tensors, metadata } = await loadSafetensors(path);
    try {
      for (const [key, t] of tensors) {
        if ((t.dtype as string) !== 'float16' && (t.dtype as string) !== 'bfloat16') continue;
        tensors.set(key, t.to('float32'));
        t.dispose();
      }
      return { ...this.loadStateDict(tensors, options), metadata };
    } catch (e) {
      if (e instanceof MirrorganError) throw new MirrorganError(e.code, `${path}: ${e.message}`);
      throw e;
    } finally {
      dispose(tensors);
    }
  }

  /** Training mode (BatchNorm on batch statistics, dropout on). */
  train(mode = true): this {
    this.lock.assertIdle(`${this.kind}.train`);
    native(() => this.native.train(mode));
    return this;
  }
  /** Evaluation mode (BatchNorm on running statistics, no dropout). */
  eval(): this {
    return this.train(false);
  }
  /** Moves parameters and buffers to `device`. */
  to(device: Device): this {
    this.lock.assertIdle(`${this.kind}.to`);
    native(() => this.native.to(device));
    return this;
  }
  /** Drops all parameter gradients. */
  zeroGrad(): void {
    this.lock.assertIdle(`${this.kind}.zeroGrad`);
    native(() => this.native.zeroGrad());
  }
  /** True once {@link dispose} freed the module. */
  get isDisposed(): boolean {
    return this.native.isDisposed;
  }

  /**
   * Frees the module's parameters and buffers now (tensor handles taken from it keep their
   * storage until they are disposed themselves). Any later call is ERR_DISPOSED; disposing
   * twice does nothing; ERR_BUSY while an async job runs on the module.
   */
  dispose(): void {
    this.lock.assertIdle(`${this.kind}.dispose`);
    native(() => this.native.dispose());
  }

  /** `using m = new Generator(...)` disposes the module at the end of the block. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Stops (or restarts) gradient tracking for every parameter. */
  setRequiresGrad(on: boolean): this {
    if (typeof on !== 'boolean') throw invalidArg('on', 'a boolean', on);
    native(() => this.native.setRequiresGrad(on));
    return this;
  }
}

/** Names of the native modules this build provides. */
export function moduleKinds(): string[] {
  return nativeBinding().moduleKinds();
}

/** Calls a registered native function (a loss, a fused step) with named tensors. */
export function callNative(name: string, inputs: TensorRecord, options: ModuleOptions = {}): TensorRecord {
  if (typeof name !== 'string') throw invalidArg('name', 'a native function name', name);
  return fromHandles(native(() => nativeBinding().call(name, toHandles(inputs), options)));
}

/** callNative() on a worker thread. */
export async function callNativeAsync(name: string, inputs: TensorRecord, options: ModuleOptions = {}): Promise<TensorRecord> {
  if (typeof name !== 'string') throw invalidArg('name', 'a native function name', name);
  const handles = toHandles(inputs);
  return fromHandles(await nativeAsync(() => nativeBinding().callAsync(name, handles, options)));
}
