// SPDX-License-Identifier: MIT
/**
 * STEM / DAMSM building blocks: the text encoder, the image encoders (Inception-v3 and compact),
 * the DAMSM matching losses and the DAMSM pretraining loop.
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
export {
  DAMSM_FILES, loadDamsmImageEncoder, pretrainDamsm, top1Hits,
  type DamsmEpochRecord, type DamsmIterationInfo, type DamsmLosses, type DamsmRunConfig,
  type DamsmState, type DamsmValidation, type PretrainDamsmCallbacks, type PretrainDamsmOptions, type PretrainDamsmSummary,
} from './pretrain_damsm.js';
