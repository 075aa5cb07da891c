// SPDX-License-Identifier: MIT
/** Turns a loader Batch (typed arrays) into the tensors a training step needs. */
import { tensor, type Device, type Tensor } from '../../lib/tensor.js';
import type { Batch } from '../data/index.js';

export interface BatchTensors {
  /** Real images per stage, (B, 3, s, s) in [-1, 1]. */
  images: Tensor[];
  /** (B, T) int64 word ids, 0-padded, sorted by length (descending). */
  captions: Tensor;
  /** (B,) int64. */
  capLens: Tensor;
  /** (B,) int64. */
  classIds: Tensor;
}

function int64(data: Int32Array, shape: number[]): Tensor {
  return tensor(BigInt64Array.from(data, (v) => BigInt(v)), shape, { dtype: 'int64' });
}

function onDevice(t: Tensor, device: Device): Tensor {
  if (device === 'cpu') return t;
  const moved = t.to(device);
  t.dispose();
  return moved;
}

/**
 * Tensors for the stages' sizes (a subset of the batch's pyramid). Captions are cut to the
 * longest caption, which is all the text encoder reads.
 */
export function batchTensors(batch: Batch, sizes: number[], device: Device = 'cpu'): BatchTensors {
  const B = batch.batchSize;
  const images = sizes.map((s) => {
    const i = batch.imageSizes.indexOf(s);
    if (i < 0) throw new Error(`batch has no ${s} px images (has ${batch.imageSizes.join(', ')})`);
    return onDevice(tensor(batch.images[i], [B, 3, s, s]), device);
  });
  const T = batch.maxLength;
  const W = batch.wordsNum;
  const cut = new Int32Array(B * T);
  for (let b = 0; b < B; b++) cut.set(batch.captions.subarray(b * W, b * W + T), b * T);
  return {
    images,
    captions: onDevice(int64(cut, [B, T]), device),
    capLens: onDevice(int64(batch.captionLengths, [B]), device),
    classIds: onDevice(int64(batch.classIds, [B]), device),
  };
}
