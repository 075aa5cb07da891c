// SPDX-License-Identifier: MIT
/**
 * STREAM's re-description of images: the captioner a model was trained against, run on worker
 * threads (encoder forward, then greedy or beam decoding). It tells what the captioner — the
 * half of MirrorGAN's text -> image -> text loop that judged the generator — sees in a picture.
 */
import { dispose, tensor } from '../../lib/tensor.js';
import { decodeCaptions, type Captioner } from '../stream/index.js';

/** Options of a re-description. */
export interface DescribeOptions {
  /** Beam width; 1 = greedy. Default: 1. */
  beamSize?: number;
  /** Longest caption in words. Default: the captioner's (20). */
  maxLength?: number;
}

/** One caption per (3, size, size) image in [-1, 1], `batchSize` images at a time. */
export async function describeImages(c: Captioner, images: Float32Array[], size: number, options: DescribeOptions & { batchSize: number }): Promise<string[]> {
  const out: string[] = [];
  const device = c.encoder.device;
  const beam = { beamSize: options.beamSize ?? 1, ...(options.maxLength !== undefined ? { maxLength: options.maxLength } : {}) };
  for (let s = 0; s < images.length; s += options.batchSize) {
    const chunk = images.slice(s, s + options.batchSize);
    const data = new Float32Array(chunk.length * 3 * size * size);
    chunk.forEach((img, b) => data.set(img, b * 3 * size * size));
    const batch = tensor(data, [chunk.length, 3, size, size], { device });
    let features;
    try {
      features = await c.encoder.encodeAsync(batch, { grad: false });
      const decoded = beam.beamSize > 1 ? await c.decoder.beamAsync(features, beam) : await c.decoder.greedyAsync(features, beam);
      out.push(...decodeCaptions(decoded, c.vocabulary));
    } finally {
      dispose([batch, features]);
    }
  }
  return out;
}
