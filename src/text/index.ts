// SPDX-License-Identifier: MIT
/** Text side of the data pipeline: tokenizer, vocabulary, caption batching helpers. */
export { tokenize, splitCaptionLines } from './tokenizer.js';
export { Vocabulary, END_TOKEN } from './vocabulary.js';
export type { VocabularyJSON, EncodeResult, CaptionsPickle } from './vocabulary.js';
export { capWords, padCaptions, sortByLength, captionMask, encodeCaptions } from './captions.js';
export type { WordsCapMode, PaddedCaptions, EncodedCaptions } from './captions.js';
