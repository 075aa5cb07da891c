// SPDX-License-Identifier: MIT
/** Sample grids: generated images as one PNG plus a JSON sidecar with their captions. */
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { Tensor } from '../../lib/tensor.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';

export interface SampleGridInfo {
  iteration: number;
  epoch: number;
  rows: number;
  cols: number;
  imageSize: number;
  captions: string[];
}

/**
 * (B, 3, s, s) floats in [-1, 1] -> a cols-wide RGB grid with 2 px white gutters. Image b goes
 * to cell `order[b]` (default: cell b).
 */
export async function imagesToPng(images: Tensor, cols: number, order?: ArrayLike<number>): Promise<{ png: Buffer; rows: number; cols: number }> {
  const [B, C, H, W] = images.shape;
  const data = (await images.data()) as Float32Array;
  const c = Math.min(cols, B);
  const rows = Math.ceil(B / c);
  const gap = 2;
  const GW = c * W + (c + 1) * gap;
  const GH = rows * H + (rows + 1) * gap;
  const out = Buffer.alloc(GW * GH * 3, 255);
  for (let b = 0; b < B; b++) {
    const cell = order ? (order[b] as number) : b;
    const x0 = gap + (cell % c) * (W + gap);
    const y0 = gap + Math.floor(cell / c) * (H + gap);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const o = ((y0 + y) * GW + (x0 + x)) * 3;
        for (let ch = 0; ch < 3; ch++) {
          const v = data[((b * C + ch) * H + y) * W + x];
          out[o + ch] = Math.max(0, Math.min(255, Math.round((v + 1) * 127.5)));
        }
      }
    }
  }
  const png = await sharp(out, { raw: { width: GW, height: GH, channels: 3 } }).png().toBuffer();
  return { png, rows, cols: c };
}

/**
 * Writes samples/iter_<n>.png and .json; returns the PNG path. `captions` are in grid order;
 * `order` places the images (see {@link imagesToPng}).
 */
export async function writeSampleGrid(
  runDir: string, images: Tensor, captions: string[], iteration: number, epoch: number,
  options: { cols?: number; order?: ArrayLike<number> } = {},
): Promise<string> {
  const dir = path.join(runDir, 'samples');
  await fs.mkdir(dir, { recursive: true });
  const { png, rows, cols: c } = await imagesToPng(images, options.cols ?? 4, options.order);
  const base = path.join(dir, `iter_${String(iteration).padStart(6, '0')}`);
  const info: SampleGridInfo = { iteration, epoch, rows, cols: c, imageSize: images.shape[3], captions };
  await writeFileAtomic(`${base}.png`, png);
  await writeJsonAtomic(`${base}.json`, info);
  return `${base}.png`;
}
