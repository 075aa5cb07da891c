// SPDX-License-Identifier: MIT
/**
 * `mirrorgan pretrain-stream`: train the STREAM captioner on real images of a dataset.
 * `mirrorgan caption`: describe image files with a trained captioner.
 */
import { Command, Option } from 'commander';

import { invalidArg, MirrorganError } from '../../lib/errors.js';
import { dispose } from '../../lib/tensor.js';
import { resolveConfig } from '../config/index.js';
import { captionerDirOf } from '../model/run_path.js';
import { Vocabulary } from '../text/vocabulary.js';
import {
  CAPTIONER_FILES, decodeCaptions, hasCaptioner, loadCaptioner, pretrainStream, pretrainStreamOptionsOf, readCaptionImages,
  type CaptionInputNorm, type PretrainStreamOptions,
} from '../stream/index.js';
import { untilInterrupted } from './interrupt.js';
import { configFromFlags, integerAtLeast, resolveRunOption, runOptionHelp, withConfigFlags, type ConfigFlags } from './options.js';
import { printable, printErr, printOut } from './output.js';
import { ensureWritableFolder } from './writable.js';

function int(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isInteger(n) || n < min || n > max) {
    throw invalidArg(name, `integer between ${min} and ${max}`, value);
  }
  return n;
}

interface PretrainFlags extends ConfigFlags {
  epochs?: number;
  out: string;
  resume?: boolean;
  vocab?: string;
  inputNorm: CaptionInputNorm;
  endToken: boolean;
  evalImages?: string;
  beam: string;
  progress: boolean;
}

/**
 * The `pretrain-stream` command (commander 14): the configuration comes from --preset/--cfg/--set
 * as for `train` (dataset.*, stream.*, text.wordsNum, train.seed), so a captioner pretrained here
 * is the one `train` would pretrain with the same flags.
 */
export function pretrainStreamCommand(): Command {
  return withConfigFlags(new Command('pretrain-stream'))
    .description('pretrain the STREAM captioner (image -> caption) on real images, with the vocabulary STEM uses')
    .option('-e, --epochs <n>', 'total epochs (overrides stream.epochs; a resumed run continues up to this number)', integerAtLeast(1))
    .option('-o, --out <dir>', 'captioner folder (weights, vocabulary, config, optimizer)', 'runs/stream')
    .option('--resume', 'continue the captioner in --out')
    .option('--vocab <file>', "STEM's vocabulary JSON: encode captions with it so STREAM and STEM share word ids")
    .addOption(new Option('--input-norm <mode>', "encoder input normalisation ('none' = the official MirrorGAN use)").choices(['imagenet', 'none']).default('imagenet'))
    .option('--no-end-token', 'train without the <end> target (official captions; decoding then never stops early)')
    .option('--eval-images <n>', 'test images used for validation CE and BLEU each epoch (default all)')
    .option('--beam <k>', 'beam width of the BLEU captions (1 = greedy)', '1')
    .option('--no-progress', 'plain progress lines instead of a bar')
    .action(async (f: PretrainFlags) => {
      const config = configFromFlags(f, { extraSet: f.epochs !== undefined ? [`stream.epochs=${f.epochs}`] : [] });
      const derived = pretrainStreamOptionsOf(config);
      const options: PretrainStreamOptions = {
        ...derived,
        out: f.out,
        resume: f.resume ?? false,
        encoder: { ...derived.encoder, inputNorm: f.inputNorm },
        decoder: { ...derived.decoder, endToken: f.endToken },
        beamSize: int('--beam', f.beam, 1, 64),
        progress: f.progress ? 'auto' : false,
      };
      if (f.evalImages !== undefined) options.evalImages = int('--eval-images', f.evalImages, 1, 1e9);
      if (f.vocab) options.vocabulary = await Vocabulary.load(f.vocab);
      await ensureWritableFolder(f.out);
      const result = await untilInterrupted((signal) => pretrainStream({ ...options, signal }), {
        what: 'STREAM pretraining',
        stoppedMessage: (r) => `stopped; ${r.dir} keeps ${r.config.epochs} completed epochs; continue with: npx mirrorgan pretrain-stream --resume --out ${r.dir} (and the same --preset/--cfg/--set)`,
      });
      const last = result.config.history.at(-1);
      printErr(
        `pretrain-stream: ${result.config.epochs} epochs in ${result.dir}` +
          (last?.bleu ? `; BLEU-4 ${(100 * last.bleu[3]).toFixed(1)}` : '') +
          ` (${result.seconds.toFixed(0)} s this run)`,
      );
    });
}

interface CaptionFlags {
  run: string;
  beam: string;
  maxLength?: string;
  vocab?: string;
  json?: boolean;
}

const CAPTION_RUN_KINDS = ['run', 'checkpoint', 'captioner', 'model'] as const;

/** The `caption` command: one caption per image, in input order. */
export function captionCommand(): Command {
  return new Command('caption')
    .description('describe images with a pretrained STREAM captioner (a run\'s, or one from pretrain-stream)')
    .argument('<images...>', 'image files (png, jpg, webp, svg, ...)')
    .requiredOption('--run <folder>', runOptionHelp(CAPTION_RUN_KINDS))
    .option('--beam <k>', 'beam width (1 = greedy)', '1')
    .option('--max-length <n>', 'longest caption in words (default: the model\'s, 20)')
    .option('--vocab <file>', 'refuse the model unless it uses this (STEM) vocabulary')
    .option('--json', 'print [{ image, caption, score }] as JSON')
    .action(async (images: string[], f: CaptionFlags) => {
      const beamSize = int('--beam', f.beam, 1, 64);
      const maxLength = f.maxLength !== undefined ? { maxLength: int('--max-length', f.maxLength, 1, 1024) } : {};
      const runPath = await resolveRunOption(f.run, CAPTION_RUN_KINDS);
      const trainCaptioner = runPath.configFile ? resolveConfig({ files: [runPath.configFile] }).train.captioner : '';
      const dir = captionerDirOf(runPath, trainCaptioner);
      if (!(await hasCaptioner(dir))) throw new MirrorganError('ERR_FILE', `${f.run} has no STREAM captioner (${dir} holds no ${CAPTIONER_FILES.config}; the run was trained with train.streamWeight = 0?)`);
      const expected = f.vocab ? await Vocabulary.load(f.vocab) : undefined;
      const { encoder, decoder, vocabulary, config } = await loadCaptioner(dir, expected ? { vocabulary: expected } : {});
      encoder.eval();
      const trainedSide = config.training?.imageSize;
      const side = typeof trainedSide === 'number' ? trainedSide : encoder.options.imageSize || 64;
      const batch = await readCaptionImages(images, side);
      const features = encoder.encode(batch, { grad: false });
      const decoded = beamSize > 1 ? decoder.beam(features, { ...maxLength, beamSize }) : decoder.greedy(features, maxLength);
      dispose([batch, features]);
      const captions = decodeCaptions(decoded, vocabulary);
      if (f.json) {
        printOut(JSON.stringify(images.map((image, i) => ({ image, caption: captions[i], score: decoded.scores[i] })), null, 2));
      } else {
        printOut(images.map((image, i) => (images.length === 1 ? printable(captions[i] as string) : `${printable(image)}: ${printable(captions[i] as string)}`)).join('\n'));
      }
    });
}
