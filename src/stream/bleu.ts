// SPDX-License-Identifier: MIT
/**
 * Corpus BLEU (Papineni et al., 2002) as NLTK's `corpus_bleu` computes it without smoothing:
 * clipped n-gram counts summed over the whole corpus, the brevity penalty from the summed
 * hypothesis length and the summed closest reference lengths (ties go to the shorter reference),
 * and BLEU-n = BP x the geometric mean of the modified precisions p_1..p_n (uniform weights).
 * A zero precision makes that BLEU-n zero.
 */
import { invalidArg } from '../../lib/errors.js';

/** Result of {@link corpusBleu}. */
export interface BleuScore {
  /** BLEU-1..4 in [0, 1]. */
  bleu: [number, number, number, number];
  /** Modified n-gram precisions p_1..p_4 (matches / hypothesis n-grams; 0 when there are none). */
  precisions: [number, number, number, number];
  /** Brevity penalty exp(min(0, 1 - r / c)). */
  brevityPenalty: number;
  /** Total hypothesis length c. */
  hypothesisLength: number;
  /** Total closest-reference length r. */
  referenceLength: number;
}

const MAX_N = 4;

function ngramCounts(tokens: readonly string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join('\u0000');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** Length of the reference closest to `length` (the shorter one on a tie). */
function closestReferenceLength(references: readonly (readonly string[])[], length: number): number {
  let best = references[0]!.length;
  for (const r of references) {
    const d = Math.abs(r.length - length), bd = Math.abs(best - length);
    if (d < bd || (d === bd && r.length < best)) best = r.length;
  }
  return best;
}

/**
 * Corpus BLEU of tokenized hypotheses against their references.
 * @param references per hypothesis, one or more tokenized reference captions.
 * @param hypotheses tokenized candidate captions, index-aligned with `references`.
 */
export function corpusBleu(references: readonly (readonly (readonly string[])[])[], hypotheses: readonly (readonly string[])[]): BleuScore {
  if (!Array.isArray(references) || !Array.isArray(hypotheses) || references.length !== hypotheses.length) {
    throw invalidArg('references', `an array with one entry per hypothesis (${Array.isArray(hypotheses) ? hypotheses.length : '?'})`, references);
  }
  const matches = new Array<number>(MAX_N).fill(0);
  const totals = new Array<number>(MAX_N).fill(0);
  let c = 0;
  let r = 0;
  hypotheses.forEach((hyp, i) => {
    const refs = references[i]!;
    if (!Array.isArray(refs) || refs.length === 0) throw invalidArg(`references[${i}]`, 'a non-empty array of token arrays', refs);
    c += hyp.length;
    r += closestReferenceLength(refs, hyp.length);
    for (let n = 1; n <= MAX_N; n++) {
      const counts = ngramCounts(hyp, n);
      const maxRef = new Map<string, number>();
      for (const ref of refs) {
        for (const [g, k] of ngramCounts(ref, n)) if (counts.has(g)) maxRef.set(g, Math.max(maxRef.get(g) ?? 0, k));
      }
      for (const [g, k] of counts) {
        matches[n - 1]! += Math.min(k, maxRef.get(g) ?? 0);
        totals[n - 1]! += k;
      }
    }
  });
  const precisions = matches.map((m, k) => (totals[k]! > 0 ? m / totals[k]! : 0)) as BleuScore['precisions'];
  const brevityPenalty = c === 0 ? 0 : c >= r ? 1 : Math.exp(1 - r / c);
  const bleu = [1, 2, 3, 4].map((n) => {
    const ps = precisions.slice(0, n);
    if (ps.some((p) => p === 0)) return 0;
    return brevityPenalty * Math.exp(ps.reduce((a, p) => a + Math.log(p), 0) / n);
  }) as BleuScore['bleu'];
  return { bleu, precisions, brevityPenalty, hypothesisLength: c, referenceLength: r };
}
