// SPDX-License-Identifier: MIT
// `mirrorgan generate`: images for captions with the shipped model, or a run, checkpoint or model folder.
import fs from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { invalidArg } from '../../lib/errors.js';
import { attentionFigure } from '../model/attention_figure.js';
import { MAX_SAMPLES, type GeneratedImage } from '../model/generation.js';
import { MirrorGAN } from '../model/mirrorgan.js';
import { MAX_SEED } from '../model/noise.js';
import { writeFileAtomic } from '../util/atomic.js';
import { integerAtLeast, loadModelOption, runOptionHelp } from './options.js';
import { printable, printOut } from './output.js';
import { ensureWritableFolder } from './writable.js';

interface GenerateFlags {
  run?: string;
  out: string;
  samples: number;
  seed: string;
  sharedNoise?: boolean;
  grid?: string;
  captions?: string;
  attention?: boolean;
  describe?: boolean;
  json?: boolean;
  conditioningNoise: boolean;
}

/** The captions of a --captions file: one per line; blank lines and lines starting with # are skipped. */
export async function readCaptionsFile(file: string): Promise<string[]> {
  const text = await fs.readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw invalidArg('--captions', 'a readable text file with one caption per line', `${file} (${e.code ?? e.message})`);
  });
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  if (lines.length === 0) throw invalidArg('--captions', 'a file with at least one caption', file);
  return lines;
}

function line(img: GeneratedImage, file: string, figure: string | null): string {
  const note = img.unknownWords.length ? `  (unknown words dropped: ${img.unknownWords.map(printable).join(', ')})` : '';
  const said = img.description !== undefined ? `  -> "${printable(img.description)}"` : '';
  return `${file}  ${img.size}x${img.size}  seed ${img.seed}  "${printable(img.caption)}"${note}${said}${figure ? `\n${figure}  attention figure` : ''}`;
}

export function generateCommand(): Command {
  return new Command('generate')
    .description('generate images for captions with the shipped model (or --run: a run, checkpoint or model folder)')
    .argument('[captions...]', 'captions (or --captions <file>)')
    .option('--run <folder>', `${runOptionHelp(['run', 'checkpoint', 'model'])} (default: the model that ships with the package)`)
    .option('-o, --out <dir>', 'where to write the PNG files', 'generated')
    .option('-n, --samples <n>', `images per caption (at most ${MAX_SAMPLES})`, integerAtLeast(1), 1)
    .option('--seed <n>', 'seed of the first image; image k of the call gets seed + k (printed with each image)', '0')
    .option('--shared-noise', 'the same seeds (noise) for every caption: image j of each caption gets seed + j')
    .option('--captions <file>', 'read captions from a text file, one per line (# comments and blank lines skipped)')
    .option('--attention', 'also write NNN_attention.png: the image and one labelled heat map per word (AttnGAN-style)')
    .option('--describe', "add STREAM's re-description of each image")
    .option('--grid <cols>', 'also write grid.png: all images in order, <cols> per row')
    .option('--json', 'print the results as JSON instead of lines')
    .option('--no-conditioning-noise', 'use the mean of the sentence code (CA_NET) instead of sampling it; z stays random')
    .action(async (args: string[], opts: GenerateFlags) => {
      const seed = Number(opts.seed);
      if (!/^\d+$/.test(opts.seed) || !Number.isSafeInteger(seed) || seed > MAX_SEED) throw invalidArg('--seed', `an integer between 0 and ${MAX_SEED}`, opts.seed);
      if (opts.samples > MAX_SAMPLES) throw invalidArg('--samples', `an integer between 1 and ${MAX_SAMPLES}`, opts.samples);
      const cols = opts.grid === undefined ? 0 : Number(opts.grid);
      if (opts.grid !== undefined && !(Number.isInteger(cols) && cols >= 1 && cols <= 64)) throw invalidArg('--grid', 'an integer between 1 and 64', opts.grid);
      const captions = [...args, ...(opts.captions ? await readCaptionsFile(opts.captions) : [])];
      if (captions.length === 0) throw invalidArg('captions', 'at least one caption (as arguments or in --captions <file>)', captions);
      await ensureWritableFolder(opts.out);
      using gan = await loadModelOption(opts.run);
      const images = await gan.generate(captions, {
        n: opts.samples, seed, sharedNoise: opts.sharedNoise ?? false, conditioningNoise: opts.conditioningNoise, describe: opts.describe ?? false,
      });
      const files = await MirrorGAN.writeImages(opts.out, images);
      const figures = opts.attention && images[0]!.attention.length > 0
        ? await Promise.all(images.map(async (img, i) => {
          const file = path.join(opts.out, `${String(i).padStart(3, '0')}_attention.png`);
          await writeFileAtomic(file, await attentionFigure(img));
          return file;
        }))
        : null;
      const grid = cols > 0 ? await MirrorGAN.writeGrid(path.join(opts.out, 'grid.png'), images, cols) : null;
      if (opts.json) {
        printOut(JSON.stringify(images.map((img, i) => ({
          file: files[i], caption: img.caption, seed: img.seed, size: img.size, tokens: img.tokens, unknownWords: img.unknownWords,
          ...(figures ? { attention: figures[i] } : {}), ...(img.description !== undefined ? { description: img.description } : {}),
        })), null, 2));
        return;
      }
      const lines = images.map((img, i) => line(img, files[i] as string, figures?.[i] ?? null));
      if (opts.attention && !figures) lines.push(`no attention figure: ${gan.source.path} has one stage (64 px), and word attention starts at the second`);
      if (grid) lines.push(`${grid}  grid of ${images.length}, ${Math.min(cols, images.length)} per row`);
      printOut(lines.join('\n'));
    });
}
