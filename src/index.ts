// SPDX-License-Identifier: MIT
/** mirrorgan-native: MirrorGAN text-to-image generation on LibTorch. */
export * from '../lib/index.js';
export * from './config/index.js';
export * from './data/index.js';
export * from './distributed/index.js';
export * from './glam/index.js';
export * from './stem/index.js';
export * from './stream/index.js';
export {
  exportTensorBoard, parseMetrics, readMetrics, renderReport, TensorBoardWriter, writeReport,
  type ExportTensorBoardOptions, type ReportOptions, type TensorBoardWriterOptions,
} from './report/index.js';
export {
  colourShapeProbes, formatProbeLayout, formatProbeMatching, formatProbeScore, formatProbeSummary, formatProbeTextSeparation, probeLayout, probeMatching, probeReferenceFiles, probeTextSeparation,
  ProbeReferences, scoreColourShape, summariseProbeScores, PROBE_COLOURS, PROBE_SHAPES,
  type Probe, type ProbeCell, type ProbeColour, type ProbeHitStats, type ProbeLayout, type ProbeMatching, type ProbeScore, type ProbeShape, type ProbeSummary, type ProbeTextSeparation,
} from './eval/colour_shape_probe.js';
export { captionerCrossEntropies, damsmSentenceScores } from './eval/guide_scores.js';
export { MirrorGAN, type GeneratedImage, type GenerateOptions, type MirrorGANTrainOptions } from './model/mirrorgan.js';
export { GanTrainer, type CaptionLossHook, type GanTrainerDeps, type GanTrainerOptions, type IterationInfo, type TrainCallbacks, type TrainSummary } from './train/gan_trainer.js';
export { trainPipeline, type TrainPipelineOptions, type TrainPipelineResult } from './train/pipeline.js';
