// SPDX-License-Identifier: MIT
/**
 * STREAM, the captioner of MirrorGAN's text -> image -> text loop: image encoders, the caption
 * decoder with greedy and beam-search decoding, the caption loss, BLEU, pretraining and the
 * frozen captioner used inside MirrorGAN training.
 */
export {
  CaptionEncoder, captionCnnKeyFromTorchvision, resolveCaptionEncoderOptions,
  type CaptionEncoderArch, type CaptionEncoderOptions, type CaptionInputNorm, type ResolvedCaptionEncoderOptions,
} from './caption_encoder.js';
export {
  CaptionDecoder, decodeCaptions, resolveCaptionDecoderOptions,
  type BeamOptions, type CaptionDecoderOptions, type DecodedIds, type GreedyOptions,
  type ResolvedCaptionDecoderOptions, type TeacherForcing,
} from './caption_decoder.js';
export { captionLoss, type CaptionLossOptions, type CaptionLossResult, type CaptionReduction } from './caption_loss.js';
export { corpusBleu, type BleuScore } from './bleu.js';
export { assertSameVocabulary, firstVocabularyDifference, VOCAB_MISMATCH } from './vocabulary_check.js';
export {
  CAPTIONER_FILES, hasCaptioner, loadCaptioner, readCaptionerConfig, saveCaptioner,
  type Captioner, type CaptionerConfig, type EpochRecord,
} from './checkpoint.js';
export { frozenCaptioner, type FrozenCaptioner } from './frozen.js';
export { readCaptionImages } from './image_input.js';
export {
  pretrainStream, pretrainStreamOptionsOf,
  type PretrainStreamCallbacks, type PretrainStreamOptions, type PretrainStreamResult, type StreamStepInfo,
} from './pretrain.js';
