// SPDX-License-Identifier: MIT
/**
 * The STREAM decoder (official `CAPTION_RNN`): `embed` Embedding(nWords, 256) -> `lstm`
 * LSTM(256 -> hiddenSize) -> `linear` hiddenSize -> nWords, keys identical to the tutorial's
 * DecoderRNN so `rnn_decoder.ckpt` files load once converted to safetensors.
 *
 * ```ts
 * const dec = new CaptionDecoder({ nWords: vocab.size, endToken: true });
 * const { logits, targets, lengths } = dec.teacherForce(features, captions, capLens);
 * const { ids } = dec.greedy(features);       // word ids per image
 * decodeCaptions(dec.beam(features, { beamSize: 3 }), vocab);  // ['a red apple', ...]
 * ```
 */
import { checkInt, invalidArg } from '../../lib/errors.js';
import { callNative, callNativeAsync, Module, type ForwardOptions, type TensorRecord } from '../../lib/module.js';
import { dispose, type Tensor } from '../../lib/tensor.js';
import { CAPTION_DECODER_KEYS, captionDecoderOptions, withSchemaDefaults } from '../config/module_options.js';
import { defaults } from '../config/schema.js';
import type { Vocabulary } from '../text/vocabulary.js';

/** Options of {@link CaptionDecoder}. */
export interface CaptionDecoderOptions {
  /** Vocabulary size n_words (id 0 = `<end>`/padding). Required. */
  nWords: number;
  /** Word-embedding width, CAP.embed_size (`stream.embedSize`; its default and range); must equal the encoder's. */
  embedSize?: number;
  /** LSTM width. Default: 2 x `stream.hiddenSize`'s default, as the official trainer builds it from CAP.hidden_size. */
  hiddenSize?: number;
  /**
   * Train with `<end>` (id 0) appended as the target after each caption, so decoding knows where
   * to stop. The official captions carry no end token (false). Default: false.
   */
  endToken?: boolean;
  /** Longest decoded caption (the tutorial's max_seq_length). Default: 20. */
  maxLength?: number;
}

/** {@link CaptionDecoderOptions} with every default filled in. */
export type ResolvedCaptionDecoderOptions = Required<CaptionDecoderOptions>;

/** What {@link CaptionDecoder.teacherForce} returns, rows in PackedSequence (time-major) order. */
export interface TeacherForcing {
  /** (N, nWords) logits, N = sum(lengths): step 0 of every caption, then step 1 of those long enough, ... */
  logits: Tensor;
  /** (N,) int64 target word ids in the same order. */
  targets: Tensor;
  /** (B,) int64 steps per caption (capLens, + 1 with the end token). */
  lengths: Tensor;
}

/** Decoded captions as word ids. */
export interface DecodedIds {
  /** Word ids of each caption (no padding, no end token). */
  ids: number[][];
  /** Sum of the log-probabilities of each caption's steps (the end token's included). */
  scores: number[];
}

/** Options of {@link CaptionDecoder.greedy}. */
export interface GreedyOptions {
  /** Longest caption. Default: the decoder's maxLength. */
  maxLength?: number;
}

/** Options of {@link CaptionDecoder.beam}. */
export interface BeamOptions extends GreedyOptions {
  /** Beams kept per image. Default: 3. */
  beamSize?: number;
  /** Rank complete captions by logp / steps^lengthPenalty (0 = plain sum). Default: 0. */
  lengthPenalty?: number;
}

/** Validates {@link CaptionDecoderOptions} and fills in the defaults. */
export function resolveCaptionDecoderOptions(options: CaptionDecoderOptions): ResolvedCaptionDecoderOptions {
  const s = withSchemaDefaults(options, CAPTION_DECODER_KEYS);
  const o: ResolvedCaptionDecoderOptions = {
    nWords: s.nWords, embedSize: s.embedSize!, hiddenSize: s.hiddenSize ?? captionDecoderOptions(defaults()).hiddenSize,
    endToken: s.endToken ?? false, maxLength: s.maxLength ?? 20,
  };
  checkInt('nWords', o.nWords, 2, 2 ** 31 - 1);
  checkInt('hiddenSize', o.hiddenSize, 1, 65536);
  checkInt('maxLength', o.maxLength, 1, 1024);
  if (typeof o.endToken !== 'boolean') throw invalidArg('endToken', 'a boolean', o.endToken);
  return o;
}

/** The native `CAPTION_RNN` module with teacher forcing, greedy and beam-search decoding. */
export class CaptionDecoder extends Module {
  /** The resolved construction options (saved with checkpoints). */
  readonly options: ResolvedCaptionDecoderOptions;

  /** Builds the decoder with LibTorch's default init (as the tutorial's nn modules). */
  constructor(options: CaptionDecoderOptions) {
    const o = resolveCaptionDecoderOptions(options);
    super('CAPTION_RNN', { nWords: o.nWords, embedSize: o.embedSize, hiddenSize: o.hiddenSize, endToken: o.endToken });
    this.options = o;
  }

  /**
   * Teacher-forced logits: inputs [feature, embed(w0), embed(w1), ...] packed with the lengths.
   * @param features (B, embedSize) image features.
   * @param captions (B, L) int64 word ids, row b = capLens[b] ids then 0-padding.
   * @param capLens (B,) int64 lengths in 1..L, non-increasing (ERR_INVALID_ARG otherwise).
   */
  teacherForce(features: Tensor, captions: Tensor, capLens: Tensor, options: ForwardOptions = {}): TeacherForcing {
    const out = this.forward({ features, captions, cap_lens: capLens }, options);
    return { logits: out.logits as Tensor, targets: out.targets as Tensor, lengths: out.lengths as Tensor };
  }

  /** Greedy decoding (the tutorial's `sample`): the most likely word at every step. */
  greedy(features: Tensor, options: GreedyOptions = {}): DecodedIds {
    return this.search('caption_greedy', features, { maxLength: options.maxLength ?? this.options.maxLength });
  }

  /** Beam search: keeps the `beamSize` best partial captions per image. */
  beam(features: Tensor, options: BeamOptions = {}): DecodedIds {
    return this.search('caption_beam', features, this.beamSettings(options));
  }

  /** {@link greedy} on a worker thread. */
  greedyAsync(features: Tensor, options: GreedyOptions = {}): Promise<DecodedIds> {
    return this.searchAsync('caption_greedy', features, { maxLength: options.maxLength ?? this.options.maxLength });
  }

  /** {@link beam} on a worker thread. */
  beamAsync(features: Tensor, options: BeamOptions = {}): Promise<DecodedIds> {
    return this.searchAsync('caption_beam', features, this.beamSettings(options));
  }

  private beamSettings(options: BeamOptions): Record<string, number> {
    const beamSize = options.beamSize ?? 3;
    const lengthPenalty = options.lengthPenalty ?? 0;
    checkInt('beamSize', beamSize, 1, 1024);
    if (typeof lengthPenalty !== 'number' || !(lengthPenalty >= 0 && lengthPenalty <= 10)) {
      throw invalidArg('lengthPenalty', 'a number between 0 and 10', lengthPenalty);
    }
    return { maxLength: options.maxLength ?? this.options.maxLength, beamSize, lengthPenalty };
  }

  private search(fn: string, features: Tensor, options: Record<string, number>): DecodedIds {
    checkInt('maxLength', options.maxLength, 1, 1024);
    const weights = this.namedParameters();
    let out: TensorRecord = {};
    try {
      out = callNative(fn, { features, ...Object.fromEntries(weights) }, { ...options, endToken: this.options.endToken });
      return decodedIds(out);
    } finally {
      dispose([weights, out]);
    }
  }

  private async searchAsync(fn: string, features: Tensor, options: Record<string, number>): Promise<DecodedIds> {
    checkInt('maxLength', options.maxLength, 1, 1024);
    const weights = this.namedParameters();
    let out: TensorRecord = {};
    try {
      out = await this.lock.run(fn, () => callNativeAsync(fn, { features, ...Object.fromEntries(weights) }, { ...options, endToken: this.options.endToken }));
      return decodedIds(out);
    } finally {
      dispose([weights, out]);
    }
  }
}

/** The search functions' (B, L) ids and (B,) lengths -> one id list per image. */
function decodedIds(out: TensorRecord): DecodedIds {
  const [batch, width] = out.ids!.shape as [number, number];
  const flat = out.ids!.toArray();
  const lengths = out.lengths!.toArray();
  const ids = Array.from({ length: batch }, (_, b) => flat.slice(b * width, b * width + (lengths[b] as number)));
  return { ids, scores: out.scores!.toArray() };
}

/** The captions as strings: words joined by single spaces (the tokenizer's lower-case words). */
export function decodeCaptions(decoded: DecodedIds, vocabulary: Vocabulary): string[] {
  return decoded.ids.map((ids) => vocabulary.decode(ids).join(' '));
}
