// SPDX-License-Identifier: MIT
// `mirrorgan generate`: images for captions from a trained run folder or one of its checkpoints.
import path from 'node:path';
import { Command } from 'commander';
import { invalidArg } from '../../lib/errors.js';
import { MirrorGAN } from '../model/mirrorgan.js';
import { resolveRunOption, runOptionHelp } from './options.js';
import { printable, printOut } from './output.js';
import { ensureWritableFolder } from './writable.js';

export function generateCommand(): Command {
  return new Command('generate')
    .description('generate one image per caption with a trained run (EMA weights of its latest checkpoint, or of the checkpoint given)')
    .argument('<captions...>', 'captions, one image each')
    .requiredOption('--run <folder>', runOptionHelp())
    .option('-o, --out <dir>', 'where to write the PNG files', 'generated')
    .option('--seed <n>', 'noise seed', '0')
    .option('--grid <cols>', 'also write grid.png: all images in caption order, <cols> per row')
    .option('--no-conditioning-noise', 'use the mean of the sentence code (CA_NET) instead of sampling it; z stays random')
    .action(async (captions: string[], opts: { run: string; out: string; seed: string; grid?: string; conditioningNoise: boolean }) => {
      const seed = Number(opts.seed);
      if (!/^\d+$/.test(opts.seed) || !Number.isSafeInteger(seed)) throw invalidArg('--seed', 'a non-negative integer', opts.seed);
      const cols = opts.grid === undefined ? 0 : Number(opts.grid);
      if (opts.grid !== undefined && !(Number.isInteger(cols) && cols >= 1 && cols <= 64)) throw invalidArg('--grid', 'an integer between 1 and 64', opts.grid);
      const runPath = await resolveRunOption(opts.run);
      await ensureWritableFolder(opts.out);
      const model = await MirrorGAN.load(runPath.checkpointDir ?? opts.run);
      const images = await model.generate(captions, { seed, conditioningNoise: opts.conditioningNoise });
      const files = await MirrorGAN.writeImages(opts.out, images);
      const lines = images.map((img, i) => {
        const note = img.unknownWords.length ? `  (unknown words dropped: ${img.unknownWords.map(printable).join(', ')})` : '';
        return `${files[i]}  ${img.size}x${img.size}  "${printable(img.caption)}"${note}`;
      });
      if (cols > 0) {
        const file = await MirrorGAN.writeGrid(path.join(opts.out, 'grid.png'), images, cols);
        lines.push(`${file}  grid of ${images.length}, ${Math.min(cols, images.length)} per row`);
      }
      printOut(lines.join('\n'));
    });
}
