// SPDX-License-Identifier: MIT
/**
 * The options of every module MirrorGAN builds from its configuration, derived in one place.
 * Each table says which config key (src/config/schema.ts) a module option is set from; the
 * trainer, the pipeline and `MirrorGAN.load` build their modules with the functions below, and
 * the module wrappers take their defaults from the same tables applied to the schema's defaults
 * and check values against the same ranges (`checkSetting`). So a default or a range is written
 * once, in the schema, and a config maps onto modules the same way wherever a module is built.
 */
import { invalidArg } from '../../lib/errors.js';
import type { CaptionDecoderOptions } from '../stream/caption_decoder.js';
import type { CaptionEncoderOptions } from '../stream/caption_encoder.js';
import type { DiscriminatorOptions } from '../glam/discriminator.js';
import type { GeneratorOptions } from '../glam/generator.js';
import type { DamsmGammaOptions } from '../stem/damsm_loss.js';
import type { TextEncoderOptions } from '../stem/text_encoder.js';
import { checkSetting, coerce, defaults, getField, type MirrorGANConfig } from './schema.js';

/** Module option name -> the config key it is set from. */
type KeyTable = Readonly<Record<string, string>>;

/** GLAM's generator (G_NET). */
export const GENERATOR_KEYS = {
  gfDim: 'gan.gfDim', efDim: 'text.embeddingDim', cDim: 'gan.conditionDim', zDim: 'gan.zDim', rNum: 'gan.rNum',
  branchNum: 'tree.branchNum', sentenceAttention: 'gan.sentenceAttention', maskTiling: 'gan.maskTiling',
} as const satisfies KeyTable;

/** The discriminators (D_NET64/128/256); the image size comes from the generator's stages. */
export const DISCRIMINATOR_KEYS = { dfDim: 'gan.dfDim', efDim: 'text.embeddingDim' } as const satisfies KeyTable;

/** STEM's text encoder (RNN_ENCODER); the vocabulary size comes from the data. */
export const TEXT_ENCODER_KEYS = { nHidden: 'text.embeddingDim', rnnType: 'text.rnnType' } as const satisfies KeyTable;

/** STEM's image encoders (CNN_ENCODER, CNN_ENCODER_COMPACT): their embeddings match the text's. */
export const IMAGE_ENCODER_KEYS = { nef: 'text.embeddingDim' } as const satisfies KeyTable;

/** The DAMSM losses' smoothing factors. */
export const DAMSM_GAMMA_KEYS = { gamma1: 'train.gamma1', gamma2: 'train.gamma2', gamma3: 'train.gamma3' } as const satisfies KeyTable;

/**
 * STREAM's image encoder (CAPTION_CNN, CAPTION_CNN_COMPACT). Its trunk and input size are set
 * from `stream.encoder` and `stream.imageSize` by captionEncoderOptions, but a library caller's
 * default trunk is the compact one (the schema's default, ResNet-152, needs ImageNet weights).
 */
export const CAPTION_ENCODER_KEYS = { embedSize: 'stream.embedSize' } as const satisfies KeyTable;

/** STREAM's caption loss. */
export const CAPTION_LOSS_KEYS = { reduction: 'train.streamReduction' } as const satisfies KeyTable;

/** STREAM's decoder (CAPTION_RNN); its LSTM width is derived from `stream.hiddenSize` below. */
export const CAPTION_DECODER_KEYS = { embedSize: 'stream.embedSize' } as const satisfies KeyTable;

/** The official trainer builds STREAM's decoder LSTM with CAP.hidden_size x 2 units (train_bird.yml: 256 -> 512). */
export const CAPTION_DECODER_HIDDEN_PER_SETTING = 2;

/** Reads each option's key from `config`, refusing a value outside the schema's range. */
function read(config: Partial<MirrorGANConfig>, keys: KeyTable): Record<string, unknown> {
  return Object.fromEntries(Object.entries(keys).map(([name, key]) => [name, coerce(key, getField(config as MirrorGANConfig, key))]));
}

/**
 * `options` with each option the caller left out (or set to undefined) taken from the schema's
 * defaults through `keys`, and each given one checked against its key's range.
 */
export function withSchemaDefaults<T extends object>(options: T, keys: KeyTable): T {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw invalidArg('options', 'an options object', options);
  const given = options as Record<string, unknown>;
  const filled: Record<string, unknown> = { ...given };
  const fallback = read(defaults(), keys);
  for (const [name, key] of Object.entries(keys)) {
    if (given[name] === undefined) filled[name] = fallback[name];
    else checkSetting(name, key, given[name]);
  }
  return filled as T;
}

/** G_NET's options for `config`. */
export function generatorOptions(config: MirrorGANConfig): Required<GeneratorOptions> {
  return read(config, GENERATOR_KEYS) as unknown as Required<GeneratorOptions>;
}

/** The options of the discriminator judging `size`-pixel images for `config`. */
export function discriminatorOptions(config: MirrorGANConfig, size: number): DiscriminatorOptions {
  return { size, ...(read(config, DISCRIMINATOR_KEYS) as Pick<DiscriminatorOptions, 'dfDim' | 'efDim'>) };
}

/** The text encoder's options for `config` and a vocabulary of `vocabSize` words. */
export function textEncoderOptions(config: Pick<MirrorGANConfig, 'text'>, vocabSize: number): TextEncoderOptions {
  return { nTokens: vocabSize, ...(read(config, TEXT_ENCODER_KEYS) as Pick<TextEncoderOptions, 'nHidden' | 'rnnType'>) };
}

/** The DAMSM smoothing factors γ1..γ3 of `config`. */
export function damsmGammas(config: MirrorGANConfig): Required<DamsmGammaOptions> {
  return read(config, DAMSM_GAMMA_KEYS) as unknown as Required<DamsmGammaOptions>;
}

/** STREAM's image encoder options for `config`. */
export function captionEncoderOptions(config: MirrorGANConfig): CaptionEncoderOptions {
  return {
    arch: coerce('stream.encoder', config.stream.encoder) as CaptionEncoderOptions['arch'],
    imageSize: coerce('stream.imageSize', config.stream.imageSize) as number,
    ...(read(config, CAPTION_ENCODER_KEYS) as Pick<CaptionEncoderOptions, 'embedSize'>),
  };
}

/** STREAM's decoder options for `config` (the vocabulary size comes from the data). */
export function captionDecoderOptions(config: MirrorGANConfig): Required<Pick<CaptionDecoderOptions, 'embedSize' | 'hiddenSize'>> {
  const { embedSize } = read(config, CAPTION_DECODER_KEYS) as { embedSize: number };
  return { embedSize, hiddenSize: (coerce('stream.hiddenSize', config.stream.hiddenSize) as number) * CAPTION_DECODER_HIDDEN_PER_SETTING };
}
