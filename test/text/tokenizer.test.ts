// SPDX-License-Identifier: MIT
import { describe, expect, it } from 'vitest';

import { splitCaptionLines, tokenize } from '../../src/text/tokenizer.js';

describe('tokenize (official AttnGAN rule)', () => {
  it('lower-cases and keeps \\w+ runs, dropping punctuation', () => {
    expect(tokenize('This bird has a RED crown, and a short-beak!')).toEqual(['this', 'bird', 'has', 'a', 'red', 'crown', 'and', 'a', 'short', 'beak']);
  });

  it('keeps digits and underscores inside tokens', () => {
    expect(tokenize('2 birds_on 1 branch; 3rd')).toEqual(['2', 'birds_on', '1', 'branch', '3rd']);
  });

  it('replaces the U+FFFD pair with a space', () => {
    expect(tokenize('small\uFFFD\uFFFDbird')).toEqual(['small', 'bird']);
  });

  it('treats non-ASCII characters as separators (Python 2 byte-string semantics)', () => {
    expect(tokenize('naïve café ÉCLAIR')).toEqual(['na', 've', 'caf', 'clair']);
    expect(tokenize('İstanbul')).toEqual(['stanbul']);
    expect(tokenize('a 🐦 bird')).toEqual(['a', 'bird']);
  });

  it('returns [] for empty, whitespace or punctuation-only captions', () => {
    expect(tokenize('')).toEqual([]);
    expect(tokenize('   \t ')).toEqual([]);
    expect(tokenize('...!?,;')).toEqual([]);
    expect(tokenize('日本語')).toEqual([]);
  });

  it('splits caption files into non-blank lines', () => {
    expect(splitCaptionLines('a bird\r\n\r\nred bird\n  \nblue bird\r')).toEqual(['a bird', 'red bird', 'blue bird']);
  });
});
