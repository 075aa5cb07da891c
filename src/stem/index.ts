// SPDX-License-Identifier: MIT
/**
 * STEM / DAMSM building blocks: the text encoder, the image encoders (Inception-v3 and compact)
 * and the DAMSM matching losses.
 */
export { TextEncoder, resolveTextEncoderOptions, type RnnType, type TextEncoderOptions, type TextEncoding } from './text_encoder.js';
export {
  damsmSentLoss, damsmWordsLoss, damsmWordsLossAsync,
  type DamsmGammaOptions, type DamsmSentLossInputs, type DamsmSentLossResult,
  type DamsmWordsLossInputs, type DamsmWordsLossOptions, type DamsmWordsLossResult,
} from './damsm_loss.js';
export {
  CompactImageEncoder, InceptionImageEncoder, resolveCompactImageEncoderOptions,
  type CompactImageEncoderOptions, type ImageEncoder, type ImageEncoding, type InceptionImageEncoderOptions,
} from './image_encoder.js';
