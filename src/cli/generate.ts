// SPDX-License-Identifier: MIT
// `mirrorgan generate`: images for captions from a trained run folder.
import { Command } from 'commander';
import { MirrorGAN } from '../model/mirrorgan.js';

export function generateCommand(): Command {
  return new Command('generate')
    .description('generate one image per caption with a trained run (its latest checkpoint, EMA weights)')
    .argument('<captions...>', 'captions, one image each')
    .requiredOption('--run <dir>', 'trained run folder')
    .option('--out <dir>', 'where to write the PNG files', 'generated')
    .option('--seed <n>', 'noise seed', '0')
    .action(async (captions: string[], opts: { run: string; out: string; seed: string }) => {
      const seed = Number(opts.seed);
      if (!Number.isSafeInteger(seed) || seed < 0) throw Object.assign(new Error(`Expected a non-negative integer for --seed but received ${opts.seed}`), { code: 'ERR_INVALID_ARG' });
      const model = await MirrorGAN.load(opts.run);
      const images = await model.generate(captions, { seed });
      const files = await MirrorGAN.writeImages(opts.out, images);
      images.forEach((img, i) => {
        const note = img.unknownWords.length ? `  (unknown words dropped: ${img.unknownWords.join(', ')})` : '';
        process.stdout.write(`${files[i]}  ${img.size}x${img.size}  "${img.caption}"${note}\n`);
      });
    });
}
