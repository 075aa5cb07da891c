// SPDX-License-Identifier: MIT
/**
 * The DAMSM text encoder (AttnGAN/MirrorGAN `RNN_ENCODER`): word embedding -> dropout ->
 * bidirectional LSTM (or GRU) over the packed captions. Parameter names are the official
 * state-dict keys (`encoder.weight`, `rnn.weight_ih_l0`, `rnn.weight_ih_l0_reverse`, ...), so a
 * converted `text_encoder200.pth` loads key for key.
 *
 * ```ts
 * const enc = new TextEncoder({ nTokens: vocab.size }).eval();
 * const { wordsEmb, sentEmb, mask } = enc.encode(captions, capLens);  // (B,256,T), (B,256), (B,T)
 * ```
 */
import { checkInt, invalidArg } from '../../lib/errors.js';
import { Module, type ForwardOptions } from '../../lib/module.js';
import type { Tensor } from '../../lib/tensor.js';
import { TEXT_ENCODER_KEYS, withSchemaDefaults } from '../config/module_options.js';
import type { MirrorGANConfig } from '../config/schema.js';

/** Recurrent cell of the text encoder (official cfg.RNN_TYPE). */
export type RnnType = MirrorGANConfig['text']['rnnType'];

/**
 * Options of {@link TextEncoder} (`textEncoderOptions(config, vocabSize)` in
 * src/config/module_options.ts). `nHidden` and `rnnType` left out take their config key's
 * default and range from the schema; `nInput` and `dropProb` are the official constructor's.
 */
export interface TextEncoderOptions {
  /** Vocabulary size n_words (index 0 = `<end>` padding). Required. */
  nTokens: number;
  /** Word-embedding width. Default: 300 (AttnGAN RNN_ENCODER's ninput). */
  nInput?: number;
  /** Output width, TEXT.EMBEDDING_DIM (`text.embeddingDim`), split over the two directions. Even. */
  nHidden?: number;
  /** Dropout on the embedded words, active in train mode only. Default: 0.5 (AttnGAN's drop_prob). */
  dropProb?: number;
  /** Recurrent cell, RNN_TYPE (`text.rnnType`). */
  rnnType?: RnnType;
}

/** The official RNN_ENCODER constructor's values of the options no config key sets. */
const RNN_ENCODER_DEFAULTS = { nInput: 300, dropProb: 0.5 } as const;

/** What {@link TextEncoder.encode} returns. */
export interface TextEncoding {
  /** (B, nHidden, T) word features, T = max(capLens); exactly 0 at t >= capLens[b]. */
  wordsEmb: Tensor;
  /** (B, nHidden) sentence feature: [forward final state; backward final state]. */
  sentEmb: Tensor;
  /** (B, T) bool, true where the caption holds padding (captions == 0, cut to T columns). */
  mask: Tensor;
}

/** Validates {@link TextEncoderOptions} and fills in the defaults. */
export function resolveTextEncoderOptions(options: TextEncoderOptions): Required<TextEncoderOptions> {
  const s = withSchemaDefaults(options, TEXT_ENCODER_KEYS);
  const o: Required<TextEncoderOptions> = {
    nTokens: s.nTokens,
    nInput: s.nInput ?? RNN_ENCODER_DEFAULTS.nInput,
    nHidden: s.nHidden!,
    dropProb: s.dropProb ?? RNN_ENCODER_DEFAULTS.dropProb,
    rnnType: s.rnnType!,
  };
  checkInt('nTokens', o.nTokens, 1, 2 ** 31 - 1);
  checkInt('nInput', o.nInput, 1, 65536);
  if (o.nHidden % 2 !== 0) throw invalidArg('nHidden', 'an even integer (two directions)', o.nHidden);
  if (typeof o.dropProb !== 'number' || !(o.dropProb >= 0 && o.dropProb < 1)) throw invalidArg('dropProb', 'number in [0, 1)', o.dropProb);
  return o;
}

/** The native `RNN_ENCODER` module with a typed forward. */
export class TextEncoder extends Module {
  /** The resolved construction options. */
  readonly options: Required<TextEncoderOptions>;

  /** Builds the encoder with the official init (embedding U(-0.1, 0.1), LSTM torch default). */
  constructor(options: TextEncoderOptions) {
    const resolved = resolveTextEncoderOptions(options);
    super('RNN_ENCODER', { ...resolved });
    this.options = resolved;
  }

  /**
   * Encodes a batch of captions.
   * @param captions (B, L) int64 word ids, row b = capLens[b] ids then 0-padding.
   * @param capLens (B,) int64 lengths in 1..L, sorted in decreasing order (ERR_INVALID_ARG otherwise).
   */
  encode(captions: Tensor, capLens: Tensor, options: ForwardOptions = {}): TextEncoding {
    const out = this.forward({ captions, cap_lens: capLens }, options);
    return { wordsEmb: out.words_emb, sentEmb: out.sent_emb, mask: out.mask };
  }

  /** {@link encode} on a worker thread. */
  async encodeAsync(captions: Tensor, capLens: Tensor, options: ForwardOptions = {}): Promise<TextEncoding> {
    const out = await this.forwardAsync({ captions, cap_lens: capLens }, options);
    return { wordsEmb: out.words_emb, sentEmb: out.sent_emb, mask: out.mask };
  }
}
