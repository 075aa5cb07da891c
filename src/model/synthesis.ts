// SPDX-License-Identifier: MIT
/**
 * Text to image on worker threads, in batches: STEM's text features of token lists, then GLAM's
 * images of every stage and its word attention for rows of (text features, noise). Text
 * features and noise pass through JS as plain arrays, so interpolation can mix them and every
 * sample's noise comes from its own seed (noise.ts).
 *
 * Rows are batched only with rows of the same caption length and padding: with
 * `gan.maskTiling: 'official'`, AttnGAN's mask tiling hands row r the mask of row r mod B, so a
 * batch mixing lengths would give a caption another caption's padding. Within such a batch every
 * row sees its own mask, and a sample does not depend on what it is batched with.
 */
import { dispose, tensor, type Tensor } from '../../lib/tensor.js';
import type { Generator } from '../glam/generator.js';
import type { TextEncoder } from '../stem/text_encoder.js';

/** STEM's features of one caption. */
export interface TextFeatures {
  /** Word ids fed to the text encoder (the known words, capped). */
  ids: number[];
  /** (D) sentence feature. */
  sentence: Float32Array;
  /** (D, T) word features, T = `mask.length`. */
  words: Float32Array;
  /** (T) 1 where the position is padding. */
  mask: Uint8Array;
}

/** One sample to generate. */
export interface SynthesisRow {
  text: TextFeatures;
  z: Float32Array;
  /** CA_NET's ε; null = zeros (its code is then its mean, μ). */
  eps: Float32Array | null;
}

/** What one row gave. */
export interface SynthesisResult {
  /** (3, S, S) in [-1, 1] per stage (64, 128, 256 px). */
  stages: Float32Array[];
  /** (T, H, W) word attention per stage from the second on; H = W = the previous stage's size. */
  attention: Float32Array[];
}

/** The modules synthesis runs. */
export interface SynthesisModules {
  textEncoder: TextEncoder;
  generator: Generator;
}

/** Groups item indices by key, keeping input order, and cuts each group into chunks of `size`. */
function batches<T>(items: readonly T[], key: (item: T) => string, size: number): number[][] {
  const groups = new Map<string, number[]>();
  items.forEach((item, i) => {
    const k = key(item);
    const g = groups.get(k);
    if (g) g.push(i);
    else groups.set(k, [i]);
  });
  const out: number[][] = [];
  for (const g of groups.values()) for (let s = 0; s < g.length; s += size) out.push(g.slice(s, s + size));
  return out;
}

/** Splits a (B, ...) float tensor's data into B rows. */
async function rowsOf(t: Tensor): Promise<Float32Array[]> {
  const data = (await t.data()) as Float32Array;
  const B = t.shape[0] as number;
  const n = data.length / B;
  return Array.from({ length: B }, (_, b) => data.slice(b * n, (b + 1) * n));
}

/** STEM's features of each token list (each non-empty), in input order. */
export async function encodeText(m: SynthesisModules, tokenLists: number[][], batchSize: number): Promise<TextFeatures[]> {
  const out: TextFeatures[] = new Array(tokenLists.length);
  const device = m.textEncoder.device;
  for (const batch of batches(tokenLists, (ids) => String(ids.length), batchSize)) {
    const B = batch.length;
    const T = (tokenLists[batch[0] as number] as number[]).length;
    const ids = new BigInt64Array(B * T);
    batch.forEach((i, b) => (tokenLists[i] as number[]).forEach((id, t) => { ids[b * T + t] = BigInt(id); }));
    const idsT = tensor(ids, [B, T], { device });
    const lengths = tensor(new BigInt64Array(B).fill(BigInt(T)), [B], { device });
    let enc: Awaited<ReturnType<TextEncoder['encodeAsync']>> | undefined;
    try {
      enc = await m.textEncoder.encodeAsync(idsT, lengths, { grad: false });
      const [sentences, words] = [await rowsOf(enc.sentEmb), await rowsOf(enc.wordsEmb)];
      batch.forEach((i, b) => {
        out[i] = { ids: tokenLists[i] as number[], sentence: sentences[b] as Float32Array, words: words[b] as Float32Array, mask: new Uint8Array(T) };
      });
    } finally {
      dispose([idsT, lengths, enc]);
    }
  }
  return out;
}

/** Generates every row, `batchSize` rows of equal length and padding at a time; results in input order. */
export async function synthesise(m: SynthesisModules, rows: SynthesisRow[], batchSize: number): Promise<SynthesisResult[]> {
  const out: SynthesisResult[] = new Array(rows.length);
  const device = m.generator.device;
  const { zDim, cDim } = m.generator.options;
  const key = (r: SynthesisRow): string => `${r.text.mask.length}:${r.text.mask.join('')}`;
  for (const batch of batches(rows, key, batchSize)) {
    const B = batch.length;
    const first = rows[batch[0] as number] as SynthesisRow;
    const T = first.text.mask.length;
    const D = first.text.sentence.length;
    const pack = (len: number, get: (r: SynthesisRow) => ArrayLike<number> | null): Float32Array => {
      const a = new Float32Array(B * len);
      batch.forEach((i, b) => { const v = get(rows[i] as SynthesisRow); if (v) a.set(v, b * len); });
      return a;
    };
    const mask = new Uint8Array(B * T);
    batch.forEach((i, b) => mask.set((rows[i] as SynthesisRow).text.mask, b * T));
    const inputs = {
      z: tensor(pack(zDim, (r) => r.z), [B, zDim], { device }),
      eps: tensor(pack(cDim, (r) => r.eps), [B, cDim], { device }),
      sentEmb: tensor(pack(D, (r) => r.text.sentence), [B, D], { device }),
      wordsEmb: tensor(pack(D * T, (r) => r.text.words), [B, D, T], { device }),
      mask: tensor(mask, [B, T], { device, dtype: 'bool' }),
    };
    let g: Awaited<ReturnType<Generator['generateAsync']>> | undefined;
    try {
      g = await m.generator.generateAsync(inputs, { grad: false });
      const stages = await Promise.all(g.images.map(rowsOf));
      const attention = await Promise.all(g.attention.map(rowsOf));
      batch.forEach((i, b) => {
        out[i] = { stages: stages.map((s) => s[b] as Float32Array), attention: attention.map((a) => a[b] as Float32Array) };
      });
    } finally {
      dispose([inputs, g]);
    }
  }
  return out;
}
