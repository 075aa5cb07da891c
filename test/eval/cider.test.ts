// SPDX-License-Identifier: MIT
import { describe, expect, it } from 'vitest';
import { ciderD } from '../../src/eval/cider.js';

const t = (s: string) => s.split(' ');

describe('CIDEr-D (vrama91/cider ciderD_scorer)', () => {
  it('scores a hypothesis equal to its only reference 10 x mean(1, 1, 0, 0) = 5 for two-word captions', () => {
    // every n-gram occurs in one of the 2 images: idf = log 2 for all; 3- and 4-grams do not exist
    const r = ciderD([[t('a b')], [t('c d')]], [t('a b'), t('c d')]);
    expect(r.scores).toEqual([5, 5]);
    expect(r.score).toBe(5);
  });

  it('matches a hand computation with clipping, an unseen word and the length penalty', () => {
    const r = ciderD([[t('a b')], [t('c d')]], [t('a b x'), t('e f')]);
    // image 0: n=1 2L²/(√3L·√2L), n=2 L²/(√2L·L), n=3 0 (reference has no 3-grams);
    // lengths in bigrams 2 vs 1 -> exp(-1/72)
    const want0 = ((2 / Math.sqrt(6) + 1 / Math.SQRT2) * Math.exp(-1 / 72) / 4) * 10;
    expect(r.scores[0]).toBeCloseTo(want0, 12);
    expect(r.scores[1]).toBe(0);
    expect(r.score).toBeCloseTo(want0 / 2, 12);
  });

  it('averages over the references of an image and down-weights n-grams common to all images', () => {
    const refs = [[t('a red heart'), t('red heart')], [t('a blue circle'), t('blue circle')], [t('a green square'), t('green square')]];
    const good = ciderD(refs, [t('a red heart'), t('a blue circle'), t('a green square')]);
    const generic = ciderD(refs, [t('a'), t('a'), t('a')]);
    expect(good.score).toBeGreaterThan(generic.score);
    // 'a' is in every image's references: idf log(3) - log(3) = 0
    expect(generic.score).toBe(0);
  });

  it('refuses misaligned inputs', () => {
    expect(() => ciderD([[t('a')]], [t('a'), t('b')])).toThrow(/one entry per hypothesis/);
    expect(() => ciderD([[]], [t('a')])).toThrow(/references\[0\]/);
  });
});
