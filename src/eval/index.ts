// SPDX-License-Identifier: MIT
/**
 * `mirrorgan-native/eval`: evaluation — `evaluateRun` (what `mirrorgan eval` does), the λ
 * ablation, the metrics on their own (R-precision, Inception Score, FID and KID on pytorch-fid's
 * or the DAMSM features, CIDEr-D) with the Inception-v3 networks they need, the OpenMoji colour ×
 * shape probe (`mirrorgan probe`), and what the guides (STREAM captioner, DAMSM encoder) say of
 * generated images.
 */
export {
  colourShapeProbes, formatProbeLayout, formatProbeMatching, formatProbeScore, formatProbeSummary, formatProbeTextSeparation,
  probeLayout, probeMatching, probeReferenceFiles, probeTextSeparation, ProbeReferences, runColourShapeProbe, scoreColourShape, summariseProbeScores,
  PROBE_COLOURS, PROBE_SHAPES,
  type Probe, type ProbeCell, type ProbeColour, type ProbeHitStats, type ProbeLayout, type ProbeMatching, type ProbeScore,
  type ProbeShape, type ProbeSummary, type ProbeTextSeparation,
} from './colour_shape_probe.js';
export { captionerCrossEntropies, damsmSentenceScores } from './guide_scores.js';
export { runAblation, summariseArms, formatAblation, ABLATION_DEFAULTS, type AblationOptions, type AblationReport, type AblationRun, type ArmSummary, type AblationComparison } from './ablation.js';
export { ciderD, type CiderResult } from './cider.js';
export { evaluateRun, EVAL_REPORT_VERSION, type EvalReport, type EvaluateOptions } from './evaluate.js';
export { ActivationStatistics, activationStatistics, frechetDistance, type FrechetResult, type GaussianStats } from './frechet.js';
export {
  FidInceptionV3, InceptionV3, INCEPTION_WEIGHTS, inceptionWeightsPath, loadInceptionWeights,
  type InceptionOutput, type InceptionWeightsKind,
} from './inception.js';
export { inceptionScore, InceptionScoreAccumulator, IS_SPLITS, type InceptionScoreResult } from './inception_score.js';
export { kernelInceptionDistance, type KidOptions, type KidResult } from './kid.js';
export { formatMetric, METRIC_INFO, METRIC_NAMES, OFFLINE_METRICS, INCEPTION_METRICS, parseMetricSelection, type MetricName, type MetricResult } from './metrics.js';
export { captionPool, drawQueries, evaluationSplit, type CaptionPool, type EvalQuery } from './queries.js';
export { referenceFeatures, REFERENCE_FEATURE_CAP, type FeatureNetwork, type ReferenceFeatures } from './reference.js';
export { rPrecision, rPrecisionOfScores, R_PRECISION_DEFAULTS, type RPrecisionAtK, type RPrecisionOptions, type RPrecisionResult } from './r_precision.js';
export { EvalSession, type EvalModel, type EvalNetworks, type EvalSessionOptions } from './session.js';
export { TrainingEvaluator } from './training_eval.js';
