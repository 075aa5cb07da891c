// SPDX-License-Identifier: MIT
/**
 * The official AttnGAN/MirrorGAN caption tokenizer (AttnGAN code/datasets.py, load_captions):
 *
 * 1. the two-character sequence U+FFFD U+FFFD is replaced by a space;
 * 2. the caption is lower-cased;
 * 3. `\w+` tokens are taken (NLTK `RegexpTokenizer(r'\w+')`);
 * 4. non-ASCII characters are removed from each token and empty tokens are dropped.
 *
 * The official code runs on Python 2 byte strings, where `\w` and `lower()` are ASCII-only.
 * We reproduce that: only A–Z are lower-cased and `\w` means `[A-Za-z0-9_]`, so every
 * non-ASCII character separates tokens (`"naïve"` → `na`, `ve`; `"café"` → `caf`).
 * Step 4 is then implied, and no token can contain a non-ASCII character.
 */

const FFFD_PAIR = /\uFFFD\uFFFD/g;
const ASCII_UPPER = /[A-Z]/g;
const WORD = /[A-Za-z0-9_]+/g;

/** Splits one caption into official tokens; returns `[]` when nothing word-like is left. */
export function tokenize(caption: string): string[] {
  const cleaned = caption
    .replace(FFFD_PAIR, ' ')
    .replace(ASCII_UPPER, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
  return cleaned.match(WORD) ?? [];
}

/**
 * Splits a caption file's text into captions the official way: one caption per line,
 * blank lines skipped (`\r\n` and `\r` tolerated).
 */
export function splitCaptionLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/).filter((line) => line.trim().length > 0);
}
