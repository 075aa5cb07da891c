// SPDX-License-Identifier: MIT
// `mirrorgan generate`: images for captions from a trained run folder.
import path from 'node:path';
import { Command } from 'commander';
import { MirrorGAN } from '../model/mirrorgan.js';

export function generateCommand(): Command {
  return new Command('generate')
    .description('generate one image per caption with a trained run (its latest checkpoint, EMA weights)')
    .argument('<captions...>', 'captions, one image each')
    .requiredOption('--run <dir>', 'trained run folder')
    .option('--out <dir>', 'where to write the PNG files', 'generated')
    .option('--seed <n>', 'noise seed', '0')
    .option('--grid <cols>', 'also write grid.png: all images in caption order, <cols> per row')
    .option('--no-conditioning-noise', 'use the mean of the sentence code (CA_NET) instead of sampling it; z stays random')
    .action(async (captions: string[], opts: { run: string; out: string; seed: string; grid?: string; conditioningNoise: boolean }) => {
      const seed = Number(opts.seed);
      if (!Number.isSafeInteger(seed) || seed < 0) throw Object.assign(new Error(`Expected a non-negative integer for --seed but received ${opts.seed}`), { code: 'ERR_INVALID_ARG' });
      const cols = opts.grid === undefined ? 0 : Number(opts.grid);
      if (opts.grid !== undefined && !(Number.isInteger(cols) && cols >= 1 && cols <= 64)) {
        throw Object.assign(new Error(`Expected an integer between 1 and 64 for --grid but received ${opts.grid}`), { code: 'ERR_INVALID_ARG' });
      }
      const model = await MirrorGAN.load(opts.run);
      const images = await model.generate(captions, { seed, conditioningNoise: opts.conditioningNoise });
      const files = await MirrorGAN.writeImages(opts.out, images);
      images.forEach((img, i) => {
        const note = img.unknownWords.length ? `  (unknown words dropped: ${img.unknownWords.join(', ')})` : '';
        process.stdout.write(`${files[i]}  ${img.size}x${img.size}  "${img.caption}"${note}\n`);
      });
      if (cols > 0) {
        const file = await MirrorGAN.writeGrid(path.join(opts.out, 'grid.png'), images, cols);
        process.stdout.write(`${file}  grid of ${images.length}, ${Math.min(cols, images.length)} per row\n`);
      }
    });
}
