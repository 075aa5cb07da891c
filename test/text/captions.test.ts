// SPDX-License-Identifier: MIT
import { describe, expect, it } from 'vitest';

import { Rng } from '../../src/util/rng.js';
import { captionMask, capWords, encodeCaptions, padCaptions, sortByLength } from '../../src/text/captions.js';
import { Vocabulary } from '../../src/text/vocabulary.js';

const long = Array.from({ length: 30 }, (_, i) => i + 1);

describe('capWords', () => {
  it('leaves short captions alone', () => {
    expect(capWords([5, 6, 7], 18, 'sample', new Rng(1))).toEqual([5, 6, 7]);
  });

  it('truncates at inference', () => {
    expect(capWords(long, 5, 'truncate')).toEqual([1, 2, 3, 4, 5]);
  });

  it('subsamples in order, without replacement, deterministically per seed', () => {
    const a = capWords(long, 18, 'sample', new Rng(42));
    expect(a).toHaveLength(18);
    expect(new Set(a).size).toBe(18);
    expect([...a].sort((x, y) => x - y)).toEqual(a);
    expect(capWords(long, 18, 'sample', new Rng(42))).toEqual(a);
    const others = [1, 2, 3, 4, 5].map((s) => capWords(long, 18, 'sample', new Rng(s)).join());
    expect(new Set([a.join(), ...others]).size).toBeGreaterThan(1);
    expect(() => capWords(long, 18, 'sample')).toThrow(/rng/);
  });

  it('keeps every position with roughly equal probability', () => {
    const hits = new Array<number>(30).fill(0);
    const rng = new Rng(7);
    for (let i = 0; i < 3000; i++) for (const w of capWords(long, 15, 'sample', rng)) hits[w - 1]++;
    for (const h of hits) expect(h / 3000).toBeGreaterThan(0.42);
  });
});

describe('padding, sort and mask', () => {
  it('pads to (B, T) with 0 and sorts stably by length, descending', () => {
    const { ids, lengths } = padCaptions([[1, 2], [3, 4, 5], [6, 7], [8]], 4);
    expect(Array.from(ids)).toEqual([1, 2, 0, 0, 3, 4, 5, 0, 6, 7, 0, 0, 8, 0, 0, 0]);
    expect(Array.from(sortByLength(lengths))).toEqual([1, 0, 2, 3]);
    expect(() => padCaptions([[1, 2, 3]], 2)).toThrow();
  });

  it('mask is (id == 0) cut to the longest caption', () => {
    const { ids } = padCaptions([[1, 2, 3], [4]], 5);
    const { mask, maxLength } = captionMask(ids, 2, 5);
    expect(maxLength).toBe(3);
    expect(Array.from(mask)).toEqual([0, 0, 0, 0, 1, 1]);
  });

  it('encodes user captions sorted, with unknown words per input', () => {
    const v = Vocabulary.fromTokens([['a', 'red', 'bird', 'with', 'long', 'tail']]);
    const e = encodeCaptions(v, ['a bird', 'a red bird with a long shiny tail'], 4);
    expect(Array.from(e.order)).toEqual([1, 0]);
    expect(Array.from(e.lengths)).toEqual([4, 2]);
    expect(v.decode(e.ids.subarray(0, 4))).toEqual(['a', 'red', 'bird', 'with']);
    expect(e.unknown).toEqual([[], ['shiny']]);
    expect(() => encodeCaptions(v, ['a bird', 'zzz'])).toThrowError(expect.objectContaining({ code: 'ERR_CAPTION_UNKNOWN' }));
  });
});
