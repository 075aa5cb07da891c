// SPDX-License-Identifier: MIT
/**
 * mirrorgan-native: MirrorGAN text-to-image generation on LibTorch. The root export holds what a
 * user builds with: the model, its configuration, the data, the MirrorGAN modules and their
 * pretraining, data-parallel training, the run report, errors and the essentials of the tensor
 * binding.
 * `mirrorgan-native/lib` is the whole binding; `mirrorgan-native/eval` the probe and evaluation.
 */

// ---- the model and its training ----
export {
  MirrorGAN, type GeneratedImage, type GenerateOptions, type InterpolateOptions, type InterpolationFrame, type LoadOptions, type MirrorGANTrainOptions,
  type ModelSourceInfo,
} from './model/mirrorgan.js';
export type { StageImage, WordAttention } from './model/generation.js';
export type { DescribeOptions } from './model/describe.js';
export { attentionFigure, attentionOverlays, type WordOverlay } from './model/attention_figure.js';
export { exportModel, type ExportOptions } from './model/export.js';
export { MODEL_FILES, readModelManifest, type ModelDtype, type ModelLicence, type ModelManifest } from './model/model_folder.js';
export type { PretrainedModel } from './model/pretrained.js';
export { trainPipeline, type TrainPipelineOptions, type TrainPipelineResult } from './train/pipeline.js';
export type { CheckpointScore, CheckpointScorer } from './train/checkpoint_retention.js';
export {
  GanTrainer, type CaptionLossHook, type GanTrainerDeps, type GanTrainerOptions, type IterationInfo, type TrainCallbacks, type TrainSummary,
} from './train/gan_trainer.js';

// ---- configuration ----
export { resolveConfig, type ResolveOptions } from './config/load.js';
export { defaults, FIELDS, PRESETS, type DatasetName, type MirrorGANConfig } from './config/schema.js';
export {
  captionDecoderOptions, captionEncoderOptions, damsmGammas, discriminatorOptions, generatorOptions, textEncoderOptions,
} from './config/module_options.js';

// ---- data ----
export { DATASET_KINDS, loadDataset, type LoadDatasetOptions, type LoadedDataset } from './data/dataset.js';
export { DataLoader, type Batch, type LoaderOptions } from './data/loader.js';
export type { Dataset, DatasetKind, Split } from './data/types.js';
export { stderrLogger, type DataLogger } from './data/report.js';
export { OPENMOJI_ATTRIBUTION, type OpenMojiOptions } from './data/openmoji.js';
export type { FolderOptions } from './data/folder.js';
export { END_TOKEN, Vocabulary, type VocabularyJSON } from './text/vocabulary.js';
export { tokenize } from './text/tokenizer.js';
export { encodeCaptions, type EncodedCaptions } from './text/captions.js';

// ---- the modules: GLAM, STEM, STREAM ----
export * from './glam/index.js';
export {
  CompactImageEncoder, InceptionImageEncoder, TextEncoder, damsmSentLoss, damsmWordsLoss, damsmWordsLossAsync,
  DAMSM_FILES, loadDamsmImageEncoder, pretrainDamsm,
  type CompactImageEncoderOptions, type DamsmEpochRecord, type DamsmGammaOptions, type DamsmIterationInfo, type DamsmLosses,
  type DamsmRunConfig, type DamsmState, type DamsmValidation, type ImageEncoder, type ImageEncoding, type InceptionImageEncoderOptions,
  type PretrainDamsmCallbacks, type PretrainDamsmOptions, type PretrainDamsmSummary, type RnnType, type TextEncoderOptions, type TextEncoding,
} from './stem/index.js';
export {
  CaptionDecoder, CaptionEncoder, captionLoss, corpusBleu, decodeCaptions, frozenCaptioner, hasCaptioner, loadCaptioner, pretrainStream,
  readCaptionImages, saveCaptioner, CAPTIONER_FILES,
  type BeamOptions, type BleuScore, type Captioner, type CaptionerConfig, type CaptionDecoderOptions, type CaptionEncoderOptions,
  type CaptionLossOptions, type CaptionLossResult, type DecodedIds, type FrozenCaptioner, type GreedyOptions,
  type PretrainStreamCallbacks, type PretrainStreamOptions, type PretrainStreamResult, type StreamStepInfo, type TeacherForcing,
} from './stream/index.js';

// ---- data-parallel training (docs/distributed.md) ----
export {
  checkSameConfig, DataParallel, initDataParallel, isMainProcess, launchLocal, readLaunchEnv, workerDevice,
  type DataParallelOptions, type LaunchEnv, type LaunchOptions,
} from './distributed/index.js';

// ---- the run report ----
export {
  exportTensorBoard, parseMetrics, readMetrics, renderReport, TensorBoardWriter, writeReport,
  type ExportTensorBoardOptions, type ReportOptions, type RunMetrics, type TensorBoardWriterOptions,
} from './report/index.js';

// ---- errors and the binding's essentials (all of it: mirrorgan-native/lib) ----
export {
  DataError, ERROR_CODES, isErrorCode, MirrorganError, type DataErrorCode, type ErrorCode,
  callNative, callNativeAsync, Module, type ForwardOptions, type ModuleOptions, type TensorRecord,
  Adam, clipGradNorm, clipGradNormAsync, type AdamOptions, type ClipGradNormOptions,
  distributedSupport, ProcessGroup, type DistributedSupport, type JoinOptions,
  cudaAvailable, defaultDevice, getDeterministic, getNumThreads, manualSeed, runtimeInfo, setDeterministic, setNumThreads, type RuntimeInfo,
  loadSafetensors, readSafetensorsHeader, saveSafetensors, type LoadedTensors,
  dispose, full, keep, memory, ones, rand, randn, Tensor, tensor, tidy, zeros,
  type Device, type DType, type TensorOptions,
} from '../lib/index.js';
