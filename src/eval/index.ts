// SPDX-License-Identifier: MIT
/**
 * `mirrorgan-native/eval`: evaluation beside training — the OpenMoji colour × shape probe
 * (`mirrorgan probe`), what the guides (STREAM captioner, DAMSM encoder) say of generated
 * images, and R-precision.
 */
export {
  colourShapeProbes, formatProbeLayout, formatProbeMatching, formatProbeScore, formatProbeSummary, formatProbeTextSeparation,
  probeLayout, probeMatching, probeReferenceFiles, probeTextSeparation, ProbeReferences, scoreColourShape, summariseProbeScores,
  PROBE_COLOURS, PROBE_SHAPES,
  type Probe, type ProbeCell, type ProbeColour, type ProbeHitStats, type ProbeLayout, type ProbeMatching, type ProbeScore,
  type ProbeShape, type ProbeSummary, type ProbeTextSeparation,
} from './colour_shape_probe.js';
export { captionerCrossEntropies, damsmSentenceScores } from './guide_scores.js';
export { rPrecision, type RPrecisionOptions, type RPrecisionResult } from './r_precision.js';
