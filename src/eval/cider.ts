// SPDX-License-Identifier: MIT
/**
 * CIDEr-D (Vedantam et al., 2015) as the reference implementation computes it
 * (vrama91/cider `pyciderevalcap/ciderD/ciderD_scorer.py`, the captioning benchmarks' CIDEr-D):
 *
 * - n-grams of 1..4 words; document frequency df(g) = number of images whose references contain g
 *   (each image counted once), over the evaluated corpus ("corpus" mode), ref_len = log(#images);
 * - each sentence a tf-idf vector per n: tf(g) · (ref_len − log(max(1, df(g))));
 * - per reference and n: Σ_g min(hyp_g, ref_g) · ref_g / (|hyp_n| |ref_n|) (the "-D" clipping),
 *   times exp(−δ² / (2σ²)), σ = 6, δ = the length difference (the scorer counts a sentence's
 *   length as its number of bigrams, i.e. words − 1; kept as is);
 * - an image's score: mean over n, summed over its references, divided by their number, × 10;
 *   the corpus score is the mean over images.
 */
import { invalidArg } from '../../lib/errors.js';

const N = 4;
const SIGMA = 6;

export interface CiderResult {
  /** Corpus CIDEr-D (mean of the per-image scores). */
  score: number;
  /** Per-image scores, index-aligned with the hypotheses. */
  scores: number[];
}

type Counts = Map<string, number>;

function ngramCounts(tokens: readonly string[]): Counts {
  const counts: Counts = new Map();
  for (let k = 1; k <= N; k++) {
    for (let i = 0; i + k <= tokens.length; i++) {
      const g = `${k}\u0000${tokens.slice(i, i + k).join('\u0000')}`;
      counts.set(g, (counts.get(g) ?? 0) + 1);
    }
  }
  return counts;
}

interface Vec {
  weights: Map<string, number>[];  // per n
  norms: number[];
  length: number;
}

/**
 * CIDEr-D of tokenized hypotheses against their references.
 * @param references per hypothesis, one or more tokenized reference captions.
 * @param hypotheses tokenized candidate captions, index-aligned with `references`.
 */
export function ciderD(references: readonly (readonly (readonly string[])[])[], hypotheses: readonly (readonly string[])[]): CiderResult {
  if (!Array.isArray(references) || !Array.isArray(hypotheses) || references.length !== hypotheses.length || hypotheses.length === 0) {
    throw invalidArg('references', `a non-empty array with one entry per hypothesis (${Array.isArray(hypotheses) ? hypotheses.length : '?'})`, references);
  }
  const refCounts = references.map((refs, i) => {
    if (!Array.isArray(refs) || refs.length === 0) throw invalidArg(`references[${i}]`, 'a non-empty array of token arrays', refs);
    return refs.map(ngramCounts);
  });
  const df = new Map<string, number>();
  for (const refs of refCounts) {
    const seen = new Set<string>();
    for (const c of refs) for (const g of c.keys()) seen.add(g);
    for (const g of seen) df.set(g, (df.get(g) ?? 0) + 1);
  }
  const refLen = Math.log(references.length);
  const toVec = (counts: Counts): Vec => {
    const weights = Array.from({ length: N }, () => new Map<string, number>());
    const sq = new Array<number>(N).fill(0);
    let length = 0;
    for (const [g, tf] of counts) {
      const n = Number(g.slice(0, g.indexOf('\u0000'))) - 1;
      const w = tf * (refLen - Math.log(Math.max(1, df.get(g) ?? 0)));
      weights[n]!.set(g, w);
      sq[n]! += w * w;
      if (n === 1) length += tf;  // the scorer's length: the bigram count
    }
    return { weights, norms: sq.map(Math.sqrt), length };
  };
  const sim = (h: Vec, r: Vec): number[] => {
    const delta = h.length - r.length;
    return h.weights.map((hw, n) => {
      let v = 0;
      for (const [g, w] of hw) {
        const rw = r.weights[n]!.get(g) ?? 0;
        v += Math.min(w, rw) * rw;
      }
      if (h.norms[n] !== 0 && r.norms[n] !== 0) v /= h.norms[n]! * r.norms[n]!;
      return v * Math.exp(-(delta * delta) / (2 * SIGMA * SIGMA));
    });
  };
  const scores = hypotheses.map((hyp, i) => {
    const h = toVec(ngramCounts(hyp));
    const total = new Array<number>(N).fill(0);
    for (const rc of refCounts[i]!) sim(h, toVec(rc)).forEach((v, n) => (total[n]! += v));
    return ((total.reduce((a, b) => a + b, 0) / N) / refCounts[i]!.length) * 10;
  });
  return { score: scores.reduce((a, b) => a + b, 0) / scores.length, scores };
}
