// SPDX-License-Identifier: MIT
/**
 * `torch.nn.utils.clip_grad_norm_` over a module's parameters, an array or a map of tensors
 * (the DAMSM text encoder's RNN_GRAD_CLIP; AttnGAN pretrain_DAMSM.py).
 */
import { invalidArg } from './errors.js';
import { callNative, callNativeAsync, type Module } from './module.js';
import { dispose, type Tensor } from './tensor.js';

/** Options of {@link clipGradNorm}. */
export interface ClipGradNormOptions {
  /** Largest allowed total norm. */
  maxNorm: number;
  /** p of the p-norm; `Infinity` for the max norm. Default: 2. */
  normType?: number;
}

type ParamSource = Module | Tensor[] | Map<string, Tensor>;

function clipInputs(params: ParamSource): { inputs: Record<string, Tensor>; owned: Tensor[] } {
  if (params instanceof Map) return { inputs: Object.fromEntries(params), owned: [] };
  if (Array.isArray(params)) return { inputs: Object.fromEntries(params.map((t, i) => [String(i), t])), owned: [] };
  if (params && typeof params === 'object' && 'namedParameters' in params) {
    const named = params.namedParameters();
    return { inputs: Object.fromEntries(named), owned: [...named.values()] };
  }
  throw invalidArg('params', 'a Module, an array of tensors or a Map of named tensors', params);
}

function clipOptions(o: ClipGradNormOptions): { maxNorm: number; normType: number } {
  if (!o || typeof o !== 'object') throw invalidArg('options', 'an options object', o);
  const normType = o.normType ?? 2;
  if (typeof o.maxNorm !== 'number' || !Number.isFinite(o.maxNorm) || o.maxNorm < 0) throw invalidArg('maxNorm', 'a finite number >= 0', o.maxNorm);
  if (typeof normType !== 'number' || Number.isNaN(normType) || !(normType > 0)) throw invalidArg('normType', 'a number > 0 or Infinity', normType);
  return { maxNorm: o.maxNorm, normType };
}

/**
 * `torch.nn.utils.clip_grad_norm_`: scales the gradients of `params` in place so that their
 * total norm is at most `maxNorm` (coef = maxNorm / (total + 1e-6), applied when below 1).
 * Parameters without a gradient are skipped. Returns the total norm before clipping.
 */
export function clipGradNorm(params: ParamSource, options: ClipGradNormOptions): number {
  const { inputs, owned } = clipInputs(params);
  try {
    const out = callNative('clip_grad_norm', inputs, clipOptions(options));
    const norm = out.total_norm.item();
    dispose(out);
    return norm;
  } finally {
    dispose(owned);
  }
}

/** {@link clipGradNorm} on a worker thread. */
export async function clipGradNormAsync(params: ParamSource, options: ClipGradNormOptions): Promise<number> {
  const { inputs, owned } = clipInputs(params);
  try {
    const out = await callNativeAsync('clip_grad_norm', inputs, clipOptions(options));
    const norm = out.total_norm.item();
    dispose(out);
    return norm;
  } finally {
    dispose(owned);
  }
}
