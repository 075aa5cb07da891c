// SPDX-License-Identifier: MIT
/**
 * Caption length cap, padding, batch length sort and mask (reference §1.2).
 */
import type { Rng } from '../util/rng.js';
import type { Vocabulary } from './vocabulary.js';

/** How captions longer than WORDS_NUM are shortened. */
export type WordsCapMode =
  /** Training (official): keep WORDS_NUM randomly chosen positions, in their original order. */
  | 'sample'
  /** Inference: keep the first WORDS_NUM words. */
  | 'truncate';

/**
 * Caps a caption at `wordsNum` words. `sample` draws `wordsNum` positions without
 * replacement (shuffle, take the first `wordsNum`, sort), as AttnGAN's `get_caption`
 * does, using `rng`; `truncate` keeps the head. Shorter captions are returned unchanged (copied).
 */
export function capWords(ids: readonly number[], wordsNum: number, mode: WordsCapMode, rng?: Rng): number[] {
  if (ids.length <= wordsNum) return ids.slice();
  if (mode === 'truncate') return ids.slice(0, wordsNum);
  if (!rng) throw new Error('capWords: mode "sample" needs an rng');
  const positions = Array.from({ length: ids.length }, (_, i) => i);
  rng.shuffle(positions);
  const kept = positions.slice(0, wordsNum).sort((a, b) => a - b);
  return kept.map((p) => ids[p] as number);
}

/**
 * Stable descending sort by length: returns `order` such that `lengths[order[0]]` is the
 * longest and equal lengths keep their input order. Use it to reorder every per-item array.
 */
export function sortByLength(lengths: ArrayLike<number>): Int32Array {
  const order = Array.from({ length: lengths.length }, (_, i) => i);
  order.sort((a, b) => (lengths[b] as number) - (lengths[a] as number) || a - b);
  return Int32Array.from(order);
}

/** Padded caption matrix. */
export interface PaddedCaptions {
  /** (B, wordsNum) row-major word ids, right-padded with 0. */
  ids: Int32Array;
  /** Length of each row (≤ wordsNum). */
  lengths: Int32Array;
}

/**
 * Right-pads captions (already capped) to `(B, wordsNum)` with 0. Throws if one is longer.
 */
export function padCaptions(captions: readonly (readonly number[])[], wordsNum: number): PaddedCaptions {
  const ids = new Int32Array(captions.length * wordsNum);
  const lengths = new Int32Array(captions.length);
  captions.forEach((cap, b) => {
    if (cap.length > wordsNum) throw new Error(`padCaptions: caption ${b} has ${cap.length} words > wordsNum ${wordsNum}`);
    ids.set(cap, b * wordsNum);
    lengths[b] = cap.length;
  });
  return { ids, lengths };
}

/**
 * The official mask: `mask = (ids == 0)`, cut to the longest length in the batch.
 * Returns a (B, maxLength) row-major array of 0/1 and `maxLength`.
 */
export function captionMask(ids: Int32Array, batchSize: number, wordsNum: number): { mask: Uint8Array; maxLength: number } {
  let maxLength = 0;
  for (let b = 0; b < batchSize; b++) {
    let len = 0;
    for (let t = 0; t < wordsNum; t++) if (ids[b * wordsNum + t] !== 0) len = t + 1;
    if (len > maxLength) maxLength = len;
  }
  const mask = new Uint8Array(batchSize * maxLength);
  for (let b = 0; b < batchSize; b++) {
    for (let t = 0; t < maxLength; t++) mask[b * maxLength + t] = ids[b * wordsNum + t] === 0 ? 1 : 0;
  }
  return { mask, maxLength };
}

/** Captions encoded for inference by {@link encodeCaptions}. */
export interface EncodedCaptions extends PaddedCaptions {
  /** Length sort: row k holds input caption `order[k]`. */
  order: Int32Array;
  /** Unknown (dropped) words per input caption, in input order. */
  unknown: string[][];
}

/**
 * Encodes user captions for generation: tokenize, drop unknown words (listed per caption so the
 * caller can warn), truncate to `wordsNum` (default 25, the official eval cap), pad, and sort by
 * length. Throws `ERR_CAPTION_EMPTY` / `ERR_CAPTION_UNKNOWN` for a caption with no usable word.
 */
export function encodeCaptions(vocabulary: Vocabulary, captions: readonly string[], wordsNum = 25): EncodedCaptions {
  const encoded = captions.map((c) => vocabulary.encodeCaption(c));
  const capped = encoded.map((e) => capWords(e.ids, wordsNum, 'truncate'));
  const padded = padCaptions(capped, wordsNum);
  const order = sortByLength(padded.lengths);
  const ids = new Int32Array(padded.ids.length);
  const lengths = new Int32Array(padded.lengths.length);
  order.forEach((p, k) => {
    ids.set(padded.ids.subarray(p * wordsNum, (p + 1) * wordsNum), k * wordsNum);
    lengths[k] = padded.lengths[p] as number;
  });
  return { ids, lengths, order, unknown: encoded.map((e) => e.unknown) };
}
