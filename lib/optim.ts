// SPDX-License-Identifier: MIT
/** Adam (LibTorch's torch::optim::Adam) with a state that saves and restores exactly. */
import { invalidArg, MirrorganError, native, nativeAsync } from './errors.js';
import { JobLock } from './lock.js';
import { Module } from './module.js';
import { nativeBinding, type NativeAdamHandle } from './native.js';
import { loadSafetensors, saveSafetensors } from './safetensors.js';
import { dispose, fromHandle, type Tensor } from './tensor.js';

export interface AdamOptions {
  /** Learning rate. Default: 1e-3 (MirrorGAN G and D use 2e-4). */
  lr?: number;
  /** Default: [0.9, 0.999] (MirrorGAN uses [0.5, 0.999]). */
  betas?: [number, number];
  /** Default: 1e-8. */
  eps?: number;
  /** L2 penalty. Default: 0. */
  weightDecay?: number;
  /** Refuse a step whose gradients hold NaN/Inf (ERR_NON_FINITE, weights unchanged). Default: true. */
  checkFinite?: boolean;
}

export class Adam {
  /** @internal */
  readonly native: NativeAdamHandle;
  readonly #locks: JobLock[];

  /**
   * @param params the modules (all their trainable parameters, sharing their job locks) or
   *   explicit parameter tensors.
   */
  constructor(params: Module | Module[] | Tensor[], options: AdamOptions = {}) {
    const list = Array.isArray(params) ? params : [params];
    const modules = list.filter((p): p is Module => p instanceof Module);
    const tensors: Tensor[] = [];
    const owned: Tensor[] = [];
    for (const p of list) {
      if (p instanceof Module) {
        const ps = p.parameters();
        owned.push(...ps);
        tensors.push(...ps.filter((t) => t.requiresGrad));
      } else if (p && typeof p === 'object' && 'handle' in p) {
        tensors.push(p);
      } else {
        throw invalidArg('params', 'a Module, an array of Modules or an array of Tensors', p);
      }
    }
    const betas = options.betas ?? [0.9, 0.999];
    if (!Array.isArray(betas) || betas.length !== 2) throw invalidArg('betas', 'a pair of numbers', betas);
    const Ctor = nativeBinding().NativeAdam;
    try {
      this.native = native(
        () =>
          new Ctor(tensors.map((t) => t.handle), {
            lr: options.lr ?? 1e-3,
            beta1: betas[0],
            beta2: betas[1],
            eps: options.eps ?? 1e-8,
            weightDecay: options.weightDecay ?? 0,
            checkFinite: options.checkFinite ?? true,
          }),
      );
    } finally {
      dispose(owned);  // the optimizer keeps its own references to the parameters
    }
    this.#locks = [...modules.map((m) => m.lock), new JobLock()];
  }

  get lr(): number {
    return this.native.lr;
  }
  set lr(value: number) {
    if (typeof value !== 'number' || !(value >= 0)) throw invalidArg('lr', 'a number >= 0', value);
    native(() => {
      this.native.lr = value;
    });
  }

  /** Applies one update from the accumulated gradients. */
  step(): void {
    for (const l of this.#locks) l.assertIdle('Adam.step');
    native(() => this.native.step());
  }
  /** step() on a worker thread; holds the modules' locks while it runs. */
  stepAsync(): Promise<void> {
    return JobLock.runAll(this.#locks, 'Adam.stepAsync', () => nativeAsync(() => this.native.stepAsync()));
  }
  /** Drops the gradients of every parameter this optimizer updates. */
  zeroGrad(): void {
    for (const l of this.#locks) l.assertIdle('Adam.zeroGrad');
    native(() => this.native.zeroGrad());
  }

  /** Moments and step count per parameter index (`<i>.exp_avg`, `<i>.exp_avg_sq`, `<i>.step`). */
  stateDict(): Map<string, Tensor> {
    return new Map(Object.entries(native(() => this.native.stateDict())).map(([k, h]) => [k, fromHandle(h)]));
  }
  loadStateDict(state: Map<string, Tensor>): void {
    const rec = Object.fromEntries([...state.entries()].map(([k, t]) => [k, t.handle]));
    native(() => this.native.loadStateDict(rec));
  }
  /** Hyper-parameters in effect (lr, betas, eps, weightDecay). */
  get options(): Required<Omit<AdamOptions, 'checkFinite'>> {
    const o = this.native.options;
    return { lr: o.lr, betas: [o.beta1, o.beta2], eps: o.eps, weightDecay: o.weightDecay };
  }

  /** Saves the moments, step counts and hyper-parameters as safetensors, atomically. */
  async save(path: string): Promise<void> {
    const sd = this.stateDict();
    try {
      await saveSafetensors(path, sd, { optimizer: 'Adam', options: JSON.stringify(this.native.options) });
    } finally {
      dispose(sd);
    }
  }
  /**
   * Restores a state written by save(), hyper-parameters included; checks every shape before
   * changing anything.
   */
  async load(path: string): Promise<void> {
    const { tensors, metadata } = await loadSafetensors(path);
    try {
      if (metadata.optimizer !== 'Adam') {
        throw new MirrorganError('ERR_STATE_DICT', `${path} does not hold an Adam state (metadata.optimizer = ${metadata.optimizer})`);
      }
      this.loadStateDict(tensors);
      if (metadata.options) native(() => { this.native.options = JSON.parse(metadata.options); });
    } finally {
      dispose(tensors);
    }
  }
}
