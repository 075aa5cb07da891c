// SPDX-License-Identifier: MIT
/**
 * A captioner directory: everything needed to use or resume a STREAM captioner.
 *
 * | file | contents |
 * |---|---|
 * | `cnn_encoder.safetensors` | encoder state dict (official CAPTION_CNN keys, or CAPTION_CNN_COMPACT's) |
 * | `rnn_decoder.safetensors` | decoder state dict (official CAPTION_RNN keys) |
 * | `vocabulary.json` | the word list, id order (Vocabulary.save) |
 * | `captioner.json` | format tag, encoder/decoder options, training settings, epochs done, history |
 * | `optimizer.safetensors` | Adam moments and step counts (pretraining only; for resume) |
 *
 * The file names follow the official `caption_cnn_path` / `caption_rnn_path` (`cnn_encoder.ckpt`,
 * `rnn_decoder.ckpt`). Every file is written to a temporary name and renamed.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { MirrorganError } from '../../lib/errors.js';
import { Vocabulary } from '../text/vocabulary.js';
import { CaptionDecoder, type ResolvedCaptionDecoderOptions } from './caption_decoder.js';
import { CaptionEncoder, type ResolvedCaptionEncoderOptions } from './caption_encoder.js';
import { assertSameVocabulary } from './vocabulary_check.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { pathExists } from '../util/fs.js';

/** File names inside a captioner directory. */
export const CAPTIONER_FILES = {
  encoder: 'cnn_encoder.safetensors',
  decoder: 'rnn_decoder.safetensors',
  vocabulary: 'vocabulary.json',
  config: 'captioner.json',
  optimizer: 'optimizer.safetensors',
} as const;

/** One epoch of pretraining, as recorded in `captioner.json`. */
export interface EpochRecord {
  /** 1-based epoch number. */
  epoch: number;
  /** Mean training cross entropy (per token) over the epoch. */
  trainCE: number;
  /** Validation cross entropy per token (teacher forced), or null without a test split. */
  valCE: number | null;
  /** Corpus BLEU-1..4 of greedy captions on the test split against all its captions, or null. */
  bleu: [number, number, number, number] | null;
  /** Wall-clock seconds of the epoch, validation included. */
  seconds: number;
}

/** Contents of `captioner.json`. */
export interface CaptionerConfig {
  format: 'mirrorgan-captioner';
  version: 1;
  encoder: ResolvedCaptionEncoderOptions;
  decoder: ResolvedCaptionDecoderOptions;
  /** Settings of the pretraining run (dataset, batch size, lr, ...), for resume and the record. */
  training?: Record<string, unknown>;
  /** Epochs completed. */
  epochs: number;
  history: EpochRecord[];
}

/** A loaded captioner. */
export interface Captioner {
  encoder: CaptionEncoder;
  decoder: CaptionDecoder;
  vocabulary: Vocabulary;
  config: CaptionerConfig;
}

/** True when `dir` holds a `captioner.json`. */
export function hasCaptioner(dir: string): Promise<boolean> {
  return pathExists(join(dir, CAPTIONER_FILES.config));
}

/** Reads and checks `captioner.json`. */
export async function readCaptionerConfig(dir: string): Promise<CaptionerConfig> {
  const path = join(dir, CAPTIONER_FILES.config);
  let json: Partial<CaptionerConfig>;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw new MirrorganError('ERR_FILE', `Cannot read captioner config ${path}: ${(cause as Error).message}`, { cause });
  }
  if (json?.format !== 'mirrorgan-captioner' || json.version !== 1 || !json.encoder || !json.decoder) {
    throw new MirrorganError('ERR_FILE', `${path} is not a mirrorgan-captioner version 1 config`);
  }
  return { ...json, epochs: json.epochs ?? 0, history: json.history ?? [] } as CaptionerConfig;
}

/**
 * Loads a captioner directory. With `vocabulary`, refuses (ERR_VOCAB_MISMATCH) a captioner
 * trained on another vocabulary.
 */
export async function loadCaptioner(dir: string, options: { vocabulary?: Vocabulary } = {}): Promise<Captioner> {
  const config = await readCaptionerConfig(dir);
  const vocabulary = await Vocabulary.load(join(dir, CAPTIONER_FILES.vocabulary));
  if (options.vocabulary) assertSameVocabulary(options.vocabulary, vocabulary, 'the expected (STEM) vocabulary', `the captioner in ${dir}`);
  if (vocabulary.size !== config.decoder.nWords) {
    throw new MirrorganError(
      'ERR_VOCAB_MISMATCH',
      `${dir}: vocabulary.json has ${vocabulary.size} words but the decoder was built for ${config.decoder.nWords}`,
    );
  }
  const encoder = new CaptionEncoder(config.encoder);
  const decoder = new CaptionDecoder(config.decoder);
  await encoder.load(join(dir, CAPTIONER_FILES.encoder));
  await decoder.load(join(dir, CAPTIONER_FILES.decoder));
  return { encoder, decoder, vocabulary, config };
}

/** Writes weights, vocabulary and config (not the optimizer) into `dir`, each file atomically. */
export async function saveCaptioner(dir: string, captioner: Captioner): Promise<void> {
  const { encoder, decoder, vocabulary, config } = captioner;
  const meta = { vocabularySize: String(vocabulary.size) };
  await encoder.save(join(dir, CAPTIONER_FILES.encoder), meta);
  await decoder.save(join(dir, CAPTIONER_FILES.decoder), meta);
  await vocabulary.save(join(dir, CAPTIONER_FILES.vocabulary));
  await writeJsonAtomic(join(dir, CAPTIONER_FILES.config), config);
}
