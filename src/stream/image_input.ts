// SPDX-License-Identifier: MIT
/**
 * Image files -> the (B, 3, S, S) [-1, 1] batch a captioner expects, prepared exactly as the
 * data loader prepares test images: decode with sharp (SVG rendered, alpha flattened on white),
 * short side resized to int(S·76/64), centre S x S crop.
 */
import { extname } from 'node:path';

import { invalidArg, MirrorganError } from '../../lib/errors.js';
import { tensor, type Tensor } from '../../lib/tensor.js';
import { cacheSideFor, decodeImage } from '../data/image.js';
import { cropFlip, resizeToCHW } from '../data/resize.js';

/** Reads image files into one (B, 3, side, side) float tensor in [-1, 1]. */
export async function readCaptionImages(paths: readonly string[], side: number): Promise<Tensor> {
  if (!Array.isArray(paths) || paths.length === 0) throw invalidArg('paths', 'at least one image path', paths);
  const plane = 3 * side * side;
  const out = new Float32Array(paths.length * plane);
  await Promise.all(
    paths.map(async (path, b) => {
      let decoded;
      try {
        decoded = await decodeImage(extname(path).toLowerCase() === '.svg' ? { path, format: 'svg' } : { path }, { side: cacheSideFor(side) });
      } catch (cause) {
        throw new MirrorganError('ERR_FILE', `Cannot read image ${path}: ${(cause as Error).message}`, { cause });
      }
      const img = decoded.image;
      const cs = Math.min(img.width, img.height, side);
      const crop = cropFlip(img, Math.floor((img.width - cs) / 2), Math.floor((img.height - cs) / 2), cs, false);
      resizeToCHW(crop, side, side, out, b * plane);
    }),
  );
  return tensor(out, [paths.length, 3, side, side]);
}
