// SPDX-License-Identifier: MIT
/**
 * Decoding one source image with sharp into the cached form (reference §6.4, §8.2):
 * optional CUB bounding-box crop, conversion to 8-bit sRGB (grayscale and CMYK converted,
 * alpha flattened on white), then the short side resized to `side` (304 for 256 training) with
 * torchvision `Scale` arithmetic.
 */
import { readFile } from 'node:fs/promises';

import sharp, { type Sharp } from 'sharp';

import type { FixReason } from './report.js';
import type { BBox, ImageRef, RgbImage } from './types.js';

/** Default size OpenMoji SVGs are rasterised at before downscaling. */
export const DEFAULT_SVG_RENDER_SIZE = 512;

/** Side of the cached image for a largest training size: int(size · 76 / 64). */
export function cacheSideFor(imageSize: number): number {
  return Math.floor((imageSize * 76) / 64);
}

/** A decoded image plus the repairs that were needed. */
export interface DecodedImage {
  /** RGB pixels, short side = requested side. */
  image: RgbImage;
  /** Repairs applied (empty for a plain sRGB image). */
  fixes: FixReason[];
}

/**
 * The official CUB crop box (reference §8.2): a square of side 1.5·max(w, h) centred on the
 * box, clipped to the image. Returns `[left, top, right, bottom]`.
 */
export function cubCropBox(bbox: BBox, width: number, height: number): [number, number, number, number] {
  const [x, y, w, h] = bbox;
  const r = Math.floor(Math.max(w, h) * 0.75);
  const cx = Math.floor((2 * x + w) / 2);
  const cy = Math.floor((2 * y + h) / 2);
  return [Math.max(0, cx - r), Math.max(0, cy - r), Math.min(width, cx + r), Math.min(height, cy + r)];
}

/** torchvision `Scale(side)`: short side → side, long side → int(side · long / short). */
export function scaledSize(width: number, height: number, side: number): [number, number] {
  return width <= height ? [side, Math.floor((side * height) / width)] : [Math.floor((side * width) / height), side];
}

/** Options of {@link decodeImage}. */
export interface DecodeOptions {
  /** Target short side. */
  side: number;
  /** SVG rasterisation size before downscaling (default {@link DEFAULT_SVG_RENDER_SIZE}). */
  svgRenderSize?: number;
}

/**
 * Decodes, repairs and resizes one image. Throws (with sharp's or fs's message) when the file
 * is missing, unreadable, corrupt or truncated; callers turn that into a skip.
 */
export async function decodeImage(ref: ImageRef, options: DecodeOptions): Promise<DecodedImage> {
  const input = await readFile(ref.path);
  const fixes: FixReason[] = [];
  let img: Sharp;
  let width: number;
  let height: number;
  if (ref.format === 'svg') {
    // SVG user units are 72 dpi; pick the density that renders the longest side at svgRenderSize.
    const probe = await sharp(input).metadata();
    const longest = Math.max(probe.width ?? 72, probe.height ?? 72);
    const scale = (options.svgRenderSize ?? DEFAULT_SVG_RENDER_SIZE) / longest;
    img = sharp(input, { density: 72 * scale });
    width = Math.round((probe.width ?? 72) * scale);
    height = Math.round((probe.height ?? 72) * scale);
  } else {
    img = sharp(input, { failOn: 'warning' });
    const meta = await img.metadata();
    if (meta.space === 'cmyk') fixes.push('CMYK → RGB');
    else if (meta.space === 'b-w' || meta.space === 'grey16' || meta.channels === 1 || meta.channels === 2) fixes.push('grayscale → RGB');
    else if (meta.space && !['srgb', 'rgb', 'rgb16'].includes(meta.space)) fixes.push('other colour space → RGB');
    if (meta.hasAlpha) fixes.push('alpha flattened on white');
    width = meta.width ?? 0;
    height = meta.height ?? 0;
  }
  if (!width || !height) throw new Error('image has no size');
  if (ref.bbox) {
    const [l, t, r, b] = cubCropBox(ref.bbox, width, height);
    if (r - l < 1 || b - t < 1) throw new Error(`bounding box ${ref.bbox.join(' ')} lies outside the ${width}×${height} image`);
    img = img.extract({ left: l, top: t, width: r - l, height: b - t });
    width = r - l;
    height = b - t;
  }
  const [ow, oh] = scaledSize(width, height, options.side);
  const { data, info } = await img
    .resize(ow, oh, { fit: 'fill', kernel: 'linear' })
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb')
    .removeAlpha()
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || info.width !== ow || info.height !== oh) {
    throw new Error(`decoder returned ${info.width}×${info.height}×${info.channels}, expected ${ow}×${oh}×3`);
  }
  return { image: { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: ow, height: oh }, fixes };
}
