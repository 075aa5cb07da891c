// SPDX-License-Identifier: MIT
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { dispose, tensor } from '../../lib/index.js';
import { imagesToPng } from '../../src/train/samples.js';

/** Reads pixel (x, y) of a PNG. */
async function pixel(png: Buffer, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  const o = (y * info.width + x) * info.channels;
  return Array.from(data.subarray(o, o + 3));
}

describe('sample grids', () => {
  it('lays images out in cells, 2 px gutters, [-1, 1] -> [0, 255], placed by order', async () => {
    // three 4x4 images: red, green, blue
    const B = 3, S = 4;
    const v = new Float32Array(B * 3 * S * S).fill(-1);
    for (let b = 0; b < B; b++) v.fill(1, (b * 3 + b) * S * S, (b * 3 + b + 1) * S * S);
    const images = tensor(v, [B, 3, S, S]);
    const plain = await imagesToPng(images, 2);
    expect([plain.rows, plain.cols]).toEqual([2, 2]);
    const meta = await sharp(plain.png).metadata();
    expect([meta.width, meta.height]).toEqual([2 * S + 3 * 2, 2 * S + 3 * 2]);
    const cell = (k: number) => [2 + (k % 2) * (S + 2) + 1, 2 + Math.floor(k / 2) * (S + 2) + 1] as const;
    expect(await pixel(plain.png, ...cell(0))).toEqual([255, 0, 0]);
    expect(await pixel(plain.png, ...cell(2))).toEqual([0, 0, 255]);
    expect(await pixel(plain.png, 0, 0)).toEqual([255, 255, 255]);
    // image b goes to cell order[b]
    const placed = await imagesToPng(images, 2, [2, 0, 1]);
    expect(await pixel(placed.png, ...cell(2))).toEqual([255, 0, 0]);
    expect(await pixel(placed.png, ...cell(0))).toEqual([0, 255, 0]);
    expect(await pixel(placed.png, ...cell(1))).toEqual([0, 0, 255]);
    dispose(images);
  });
});
