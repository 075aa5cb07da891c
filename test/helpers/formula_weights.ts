// SPDX-License-Identifier: MIT
/**
 * The weights of the Inception parity fixture (scripts/make-inception-fixture.py, formula_weights):
 * every tensor of a state dict is a formula of its key and element index, so 27 M parameters need
 * not be stored. The same float64 arithmetic as numpy, rounded to float32 once.
 */
import { tensor, type Tensor } from '../../lib/tensor.js';

function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(text, 'utf8')) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

/** lowbias32(index ^ fnv1a32(key)) mapped to (-1, 1), for n indices. */
function unitNoise(key: string, n: number): Float64Array {
  const seed = fnv1a32(key);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let x = (i ^ seed) >>> 0;
    x ^= x >>> 16;
    x = Math.imul(x, 0x7feb352d) >>> 0;
    x ^= x >>> 15;
    x = Math.imul(x, 0x846ca68b) >>> 0;
    x ^= x >>> 16;
    out[i] = ((x >>> 0) + 0.5) / 4294967296 * 2 - 1;
  }
  return out;
}

/** The tensor the fixture script puts under `key` for a parameter or buffer of `shape`. */
export function formulaTensor(key: string, shape: number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  if (key.endsWith('num_batches_tracked')) return tensor(new BigInt64Array(n), shape);
  const r = unitNoise(key, n);
  const v = new Float32Array(n);
  let f: (x: number) => number;
  if (key.endsWith('conv.weight')) {
    const scale = Math.sqrt(6 / shape.slice(1).reduce((a, b) => a * b, 1));
    f = (x) => x * scale;
  } else if (key.endsWith('bn.weight') || key.endsWith('bn.running_var')) {
    f = (x) => 1 + 0.25 * x;
  } else if (key.endsWith('bn.bias') || key.endsWith('bn.running_mean') || key === 'fc.bias') {
    f = (x) => 0.1 * x;
  } else if (key === 'fc.weight') {
    const scale = Math.sqrt(3 / (shape[1] as number));
    f = (x) => x * scale;
  } else {
    throw new Error(`no formula for ${key}`);
  }
  for (let i = 0; i < n; i++) v[i] = f(r[i] as number);
  return tensor(v, shape);
}
