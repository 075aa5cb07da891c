// SPDX-License-Identifier: MIT
/**
 * `mirrorgan pretrain-stream`: train the STREAM captioner on real images of a dataset.
 * `mirrorgan caption`: describe image files with a trained captioner.
 */
import { Command, Option } from 'commander';

import { invalidArg } from '../../lib/errors.js';
import { dispose } from '../../lib/tensor.js';
import { DATASET_KINDS, type DatasetKind } from '../data/index.js';
import { Vocabulary } from '../text/vocabulary.js';
import {
  decodeCaptions, loadCaptioner, pretrainStream, readCaptionImages,
  type CaptionEncoderArch, type CaptionInputNorm, type PretrainStreamOptions,
} from '../stream/index.js';

function int(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isInteger(n) || n < min || n > max) {
    throw invalidArg(name, `integer between ${min} and ${max}`, value);
  }
  return n;
}

interface PretrainFlags {
  dataset: DatasetKind;
  root?: string;
  cache?: string;
  limit?: string;
  size: string;
  epochs: string;
  batchSize: string;
  lr: string;
  out: string;
  resume?: boolean;
  vocab?: string;
  encoder: CaptionEncoderArch;
  inputNorm: CaptionInputNorm;
  hidden: string;
  endToken: boolean;
  evalImages?: string;
  beam: string;
  seed: string;
  progress: boolean;
}

/** The `pretrain-stream` command (commander 14). */
export function pretrainStreamCommand(): Command {
  return new Command('pretrain-stream')
    .description('pretrain the STREAM captioner (image -> caption) on real images, with the vocabulary STEM uses')
    .addOption(new Option('-d, --dataset <kind>', 'dataset layout').choices([...DATASET_KINDS]).default('openmoji'))
    .option('-r, --root <dir>', 'dataset root (required for cub, coco, folder)')
    .option('-c, --cache <dir>', 'image cache root (default $MIRRORGAN_CACHE or ~/.cache/mirrorgan)')
    .option('--limit <n>', 'OpenMoji only: an evenly spread subset of n emoji')
    .option('-s, --size <px>', 'training crop side (the compact encoder input)', '64')
    .option('-e, --epochs <n>', 'total epochs (a resumed run continues up to this number)', '10')
    .option('-b, --batch-size <n>', 'images per batch', '32')
    .option('--lr <x>', 'Adam learning rate', '0.001')
    .option('-o, --out <dir>', 'captioner directory (weights, vocabulary, config, optimizer)', 'runs/stream')
    .option('--resume', 'continue the captioner in --out')
    .option('--vocab <file>', "STEM's vocabulary JSON: encode captions with it so STREAM and STEM share word ids")
    .addOption(new Option('--encoder <arch>', 'image encoder: compact CNN from scratch, or the official ResNet-152 (frozen trunk)').choices(['compact', 'resnet152']).default('compact'))
    .addOption(new Option('--input-norm <mode>', "encoder input normalisation ('none' = the official MirrorGAN use)").choices(['imagenet', 'none']).default('imagenet'))
    .option('--hidden <n>', 'decoder LSTM width', '512')
    .option('--no-end-token', 'train without the <end> target (official captions; decoding then never stops early)')
    .option('--eval-images <n>', 'test images used for validation CE and BLEU each epoch (default all)')
    .option('--beam <k>', 'beam width of the BLEU captions (1 = greedy)', '1')
    .option('--seed <n>', 'seed of the initial weights and the data order', '0')
    .option('--no-progress', 'plain progress lines instead of a bar')
    .action(async (f: PretrainFlags) => {
      const lr = Number(f.lr);
      if (!(lr > 0 && lr < 1)) throw invalidArg('--lr', 'a number in (0, 1)', f.lr);
      const size = int('--size', f.size, 16, 1024);
      const options: PretrainStreamOptions = {
        out: f.out,
        resume: f.resume ?? false,
        dataset: f.dataset,
        imageSize: size,
        epochs: int('--epochs', f.epochs, 1, 100_000),
        batchSize: int('--batch-size', f.batchSize, 1, 4096),
        lr,
        encoder: { arch: f.encoder, inputNorm: f.inputNorm, ...(f.encoder === 'compact' ? { imageSize: size } : {}) },
        decoder: { hiddenSize: int('--hidden', f.hidden, 1, 65536), endToken: f.endToken },
        beamSize: int('--beam', f.beam, 1, 64),
        seed: int('--seed', f.seed, 0, 0xffffffff),
        progress: f.progress ? 'auto' : false,
      };
      if (f.root) options.root = f.root;
      if (f.cache) options.cacheDir = f.cache;
      if (f.limit !== undefined) options.openmojiLimit = int('--limit', f.limit, 1, 1_000_000);
      if (f.evalImages !== undefined) options.evalImages = int('--eval-images', f.evalImages, 1, 1e9);
      if (f.vocab) options.vocabulary = await Vocabulary.load(f.vocab);
      const result = await pretrainStream(options);
      const last = result.config.history.at(-1);
      process.stderr.write(
        `pretrain-stream: ${result.config.epochs} epochs in ${result.dir}` +
          (last?.bleu ? `; BLEU-4 ${(100 * last.bleu[3]).toFixed(1)}` : '') +
          ` (${result.seconds.toFixed(0)} s this run)\n`,
      );
    });
}

interface CaptionFlags {
  model: string;
  beam: string;
  maxLength?: string;
  vocab?: string;
  json?: boolean;
}

/** The `caption` command: one caption per image, in input order. */
export function captionCommand(): Command {
  return new Command('caption')
    .description('describe images with a pretrained STREAM captioner')
    .argument('<images...>', 'image files (png, jpg, webp, svg, ...)')
    .requiredOption('-m, --model <dir>', 'captioner directory written by pretrain-stream')
    .option('--beam <k>', 'beam width (1 = greedy)', '1')
    .option('--max-length <n>', 'longest caption in words (default: the model\'s, 20)')
    .option('--vocab <file>', 'refuse the model unless it uses this (STEM) vocabulary')
    .option('--json', 'print [{ image, caption, score }] as JSON')
    .action(async (images: string[], f: CaptionFlags) => {
      const beamSize = int('--beam', f.beam, 1, 64);
      const expected = f.vocab ? await Vocabulary.load(f.vocab) : undefined;
      const { encoder, decoder, vocabulary, config } = await loadCaptioner(f.model, expected ? { vocabulary: expected } : {});
      encoder.eval();
      const trainedSide = config.training?.imageSize;
      const side = typeof trainedSide === 'number' ? trainedSide : encoder.options.imageSize || 64;
      const batch = await readCaptionImages(images, side);
      const features = encoder.encode(batch, { grad: false });
      const options = f.maxLength !== undefined ? { maxLength: int('--max-length', f.maxLength, 1, 1024) } : {};
      const decoded = beamSize > 1 ? decoder.beam(features, { ...options, beamSize }) : decoder.greedy(features, options);
      dispose([batch, features]);
      const captions = decodeCaptions(decoded, vocabulary);
      if (f.json) {
        process.stdout.write(`${JSON.stringify(images.map((image, i) => ({ image, caption: captions[i], score: decoded.scores[i] })), null, 2)}\n`);
      } else {
        images.forEach((image, i) => process.stdout.write(images.length === 1 ? `${captions[i]}\n` : `${image}: ${captions[i]}\n`));
      }
    });
}
