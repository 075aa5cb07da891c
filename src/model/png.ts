// SPDX-License-Identifier: MIT
/**
 * Generated images between their tensor form ((3, S, S) floats in [-1, 1], as G_NET writes them)
 * and PNG files, through sharp (encoding and decoding run on libuv's thread pool).
 */
import sharp from 'sharp';
import { invalidArg, MirrorganError } from '../../lib/errors.js';

/** (3, S, S) floats in [-1, 1] -> interleaved 8-bit RGB, as the official save_img_results rounds. */
export function chwToRgb(chw: Float32Array, size: number): Buffer {
  const plane = size * size;
  const rgb = Buffer.alloc(plane * 3);
  for (let i = 0; i < plane; i++) {
    for (let ch = 0; ch < 3; ch++) rgb[i * 3 + ch] = Math.max(0, Math.min(255, Math.round(((chw[ch * plane + i] as number) + 1) * 127.5)));
  }
  return rgb;
}

/** (3, S, S) floats in [-1, 1] -> PNG. */
export function chwToPng(chw: Float32Array, size: number): Promise<Buffer> {
  return sharp(chwToRgb(chw, size), { raw: { width: size, height: size, channels: 3 } }).png().toBuffer();
}

/**
 * An encoded image (PNG, JPEG, WebP, ...) -> (3, size, size) floats in [-1, 1]: alpha flattened
 * on white (as the data pipeline renders emoji), resized to `size` x `size`.
 */
export async function imageToChw(image: Buffer, size: number, name = 'image'): Promise<Float32Array> {
  if (!Buffer.isBuffer(image)) throw invalidArg(name, 'an encoded image in a Buffer', image);
  let rgb: Buffer;
  try {
    rgb = await sharp(image).flatten({ background: '#ffffff' }).resize(size, size, { fit: 'fill' }).removeAlpha().raw().toBuffer();
  } catch (e) {
    throw new MirrorganError('ERR_INVALID_ARG', `Expected an encoded image (PNG, JPEG, WebP, ...) for ${name} but it cannot be decoded: ${(e as Error).message}`);
  }
  const plane = size * size;
  const chw = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) for (let ch = 0; ch < 3; ch++) chw[ch * plane + i] = (rgb[i * 3 + ch] as number) / 127.5 - 1;
  return chw;
}
