// SPDX-License-Identifier: MIT
/**
 * STREAM must share STEM's vocabulary: the decoder's output ids are the text encoder's input
 * ids, and MirrorGAN compares the captioner's predictions with the very captions fed to STEM.
 * A mismatch is refused, never patched over.
 */
import { MirrorganError } from '../../lib/errors.js';
import type { Vocabulary } from '../text/vocabulary.js';

/** Code of the error thrown when two vocabularies differ. */
export const VOCAB_MISMATCH = 'ERR_VOCAB_MISMATCH';

/** The first id whose word differs (or the smaller size when one is a prefix), or -1 when equal. */
export function firstVocabularyDifference(a: Vocabulary, b: Vocabulary): number {
  const n = Math.min(a.size, b.size);
  for (let id = 0; id < n; id++) if (a.word(id) !== b.word(id)) return id;
  return a.size === b.size ? -1 : n;
}

/**
 * Throws a MirrorganError with code `ERR_VOCAB_MISMATCH` unless `actual` equals `expected`
 * word for word. `what` names the two sides, e.g. `the checkpoint in runs/stream` / `the dataset`.
 */
export function assertSameVocabulary(expected: Vocabulary, actual: Vocabulary, expectedName: string, actualName: string): void {
  const id = firstVocabularyDifference(expected, actual);
  if (id < 0) return;
  const show = (v: Vocabulary): string => (id < v.size ? JSON.stringify(v.word(id)) : 'nothing');
  throw new MirrorganError(
    VOCAB_MISMATCH,
    `Vocabulary mismatch: ${expectedName} has ${expected.size} words, ${actualName} has ${actual.size}; ` +
      `id ${id} is ${show(expected)} in the first and ${show(actual)} in the second. ` +
      'STREAM must use the vocabulary of the STEM text encoder it works with (pass that vocabulary JSON, or retrain).',
  );
}
