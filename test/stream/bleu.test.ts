// SPDX-License-Identifier: MIT
import { describe, expect, it } from 'vitest';
import { corpusBleu } from '../../src/stream/index.js';

const split = (s: string): string[] => s.split(' ');

describe('corpus BLEU', () => {
  it('is 1 for exact matches and 0 without any matching 4-gram', () => {
    const refs = [[split('a red apple on a table')], [split('two blue birds')]];
    expect(corpusBleu(refs, [split('a red apple on a table'), split('two blue birds')]).bleu).toEqual([1, 1, 1, 1]);
    const r = corpusBleu([[split('the cat sat on the mat')]], [split('the mat sat on the cat')]);
    expect(r.precisions[0]).toBe(1);
    expect(r.precisions[1]).toBeCloseTo(4 / 5, 12);  // all but "mat sat"
    expect(r.bleu[3]).toBe(0);
  });

  it('clips counts and applies the brevity penalty (BLEU paper and torchmetrics examples)', () => {
    // Papineni et al. 2002: "the the the the the the the" -> unigram precision 2/7
    const p = corpusBleu([[split('the cat is on the mat'), split('there is a cat on the mat')]], [split('the the the the the the the')]);
    expect(p.precisions[0]).toBeCloseTo(2 / 7, 12);
    // torchmetrics test_corpus_bleu: (4/6 * 3/4 * 2/2 * 1/1)^(1/4) with BP 1
    const t = corpusBleu(
      [[split('My full pytorch test'), split('Completely Different')], [split('No Match')]],
      [split('My full pytorch test'), split('Another Sentence')],
    );
    expect(t.bleu[3]).toBeCloseTo(0.8408964152537145, 12);
    // hypothesis of 3 words vs closest reference of 6: BP = exp(1 - 6/3)
    const short = corpusBleu([[split('a b c d e f'), split('a b c d e f g h')]], [split('a b c')]);
    expect(short.referenceLength).toBe(6);
    expect(short.brevityPenalty).toBeCloseTo(Math.exp(-1), 12);
    expect(short.bleu[0]).toBeCloseTo(Math.exp(-1), 12);
    // ties between reference lengths go to the shorter one (NLTK closest_ref_length)
    expect(corpusBleu([[split('a b'), split('a b c d')]], [split('a b c')]).referenceLength).toBe(2);
  });

  it("matches NLTK's corpus_bleu doctest (0.5920...)", () => {
    const hyp1 = split('It is a guide to action which ensures that the military always obeys the commands of the party');
    const ref1a = split('It is a guide to action that ensures that the military will forever heed Party commands');
    const ref1b = split('It is the guiding principle which guarantees the military forces always being under the command of the Party');
    const ref1c = split('It is the practical guide for the army always to heed the directions of the party');
    const hyp2 = split('he read the book because he was interested in world history');
    const ref2a = split('he was interested in world history because he read the book');
    const r = corpusBleu([[ref1a, ref1b, ref1c], [ref2a]], [hyp1, hyp2]);
    expect(r.bleu[3]).toBeCloseTo(0.5920778868801042, 10);
    expect(corpusBleu([[ref1a, ref1b, ref1c]], [hyp1]).bleu[3]).toBeCloseTo(0.5045666840058485, 10);
    expect(corpusBleu([[ref1a, ref1b, ref1c]], [hyp1]).precisions[0]).toBeCloseTo(17 / 18, 12);
  });

  it('refuses misaligned inputs', () => {
    expect(() => corpusBleu([[['a']]], [['a'], ['b']])).toThrow(/one entry per hypothesis/);
    expect(() => corpusBleu([[]], [['a']])).toThrow(/non-empty/);
  });
});
