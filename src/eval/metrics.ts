// SPDX-License-Identifier: MIT
/**
 * The catalogue of evaluation metrics: names, what each needs, its protocol (with a version that
 * changes whenever its numbers would) and whether its numbers compare with published ones. One
 * place, read by the evaluator, eval.json, the HTML summary and docs/evaluation.md.
 */
import { MirrorganError } from '../../lib/errors.js';

export const METRIC_NAMES = ['r_precision', 'fid_damsm', 'kid_damsm', 'bleu', 'cider_d', 'probe', 'is', 'fid', 'kid'] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/** Metrics that need no downloaded weights (the run's own DAMSM encoders and captioner, the OpenMoji set). */
export const OFFLINE_METRICS: readonly MetricName[] = ['r_precision', 'fid_damsm', 'kid_damsm', 'bleu', 'cider_d', 'probe'];
/** Metrics on published Inception-v3 weights the user converts (see docs/evaluation.md). */
export const INCEPTION_METRICS: readonly MetricName[] = ['is', 'fid', 'kid'];

export interface MetricInfo {
  label: string;
  better: 'higher' | 'lower';
  /** Shown ×100 with a % sign. */
  percent: boolean;
  /** Protocol and version: changes whenever the computation would change the numbers. */
  protocol: string;
  /** How the numbers relate to published ones. */
  comparable: string;
}

export const METRIC_INFO: Record<MetricName, MetricInfo> = {
  r_precision: {
    label: 'R-precision (top-1 of 100)', better: 'higher', percent: true,
    protocol: 'r-precision/1: DM-GAN protocol; true caption + 99 captions of held-out images of other classes; cosine of the DAMSM image code and sentence feature; hits (ties count) shuffled into 10 groups, mean ± std; top-2/3 alongside',
    comparable: 'with published numbers only when scored by the published DAMSM encoders of that dataset (train.netE); with a run\'s own encoders it ranks runs that share them',
  },
  fid_damsm: {
    label: 'FID in DAMSM feature space', better: 'lower', percent: false,
    protocol: 'fid-damsm/1: Fréchet distance of the DAMSM global image codes of the samples and of the held-out real images (centre crop at the sample size, 8-bit)',
    comparable: 'not with published FIDs (another network, another feature space); between runs scored by the same DAMSM encoder',
  },
  kid_damsm: {
    label: 'KID in DAMSM feature space', better: 'lower', percent: false,
    protocol: 'kid-damsm/1: unbiased MMD² with the cubic polynomial kernel on the DAMSM global codes, mean ± std over 100 subsets of ≤ 1,000',
    comparable: 'not with published KIDs; between runs scored by the same DAMSM encoder',
  },
  bleu: {
    label: 'BLEU-4 of STREAM re-descriptions', better: 'higher', percent: true,
    protocol: 'bleu/1: corpus BLEU-1..4 (NLTK corpus_bleu, no smoothing) of the captioner\'s greedy captions of the samples against every caption of the source image',
    comparable: 'no published counterpart; between runs scored by the same captioner',
  },
  cider_d: {
    label: 'CIDEr-D of STREAM re-descriptions', better: 'higher', percent: false,
    protocol: 'cider-d/1: vrama91/cider CIDEr-D (corpus document frequencies, σ 6, clipping, ×10) of the greedy captions against every caption of the source image',
    comparable: 'no published counterpart; between runs scored by the same captioner',
  },
  probe: {
    label: 'OpenMoji colour × shape probe', better: 'higher', percent: false,
    protocol: 'probe/1: 24 captions (8 colours × 3 shapes) per noise seed, colour and shape of the foreground against the real emoji; hits of 24, mean over seeds',
    comparable: 'OpenMoji runs of this project only (chance: colour 3/24, shape 8/24)',
  },
  is: {
    label: 'Inception Score', better: 'higher', percent: false,
    protocol: 'is/1: torchvision Inception-v3 (inception_v3_google-0cc3c7bd), bilinear resize to 299, ImageNet normalisation with transform_input, softmax over 1000 classes, 10 splits, mean ± std',
    comparable: 'in method with COCO ISs (ImageNet Inception, 10 splits; published COCO numbers use the TF 2015-12-05 graph, whose weights differ slightly); not with CUB ISs, which use a network fine-tuned on CUB',
  },
  fid: {
    label: 'FID (pytorch-fid)', better: 'lower', percent: false,
    protocol: 'fid/1: pytorch-fid FID Inception pool3 (pt_inception-2015-12-05-6726825d), bilinear resize to 299, against the held-out real images; matrix square root by symmetric eigendecomposition',
    comparable: 'with pytorch-fid FIDs at the same sample count and reference set (DM-GAN: 30,000 samples vs the test split); not with TF-FID numbers',
  },
  kid: {
    label: 'KID (pytorch-fid features)', better: 'lower', percent: false,
    protocol: 'kid/1: unbiased MMD² with the cubic polynomial kernel on FID Inception pool3 features, mean ± std over 100 subsets of ≤ 1,000 (Bińkowski et al.; clean-fid / torch-fidelity)',
    comparable: 'with KIDs on the same features and subset size',
  },
};

/** A computed metric, as eval.json stores it. */
export interface MetricResult {
  /** Stable name of this number: the metric's, or a part of it (`probe_colour`, `probe_shape`). */
  key: string;
  metric: MetricName;
  label: string;
  value: number;
  std?: number;
  better: 'higher' | 'lower';
  percent: boolean;
  /** Images (or queries) the value is computed from. */
  samples: number;
  protocol: string;
  comparable: string;
  /** Everything else worth keeping (top-2/3, BLEU-1..3, reference counts, the probe's range). */
  details?: Record<string, unknown>;
}

export function metricResult(
  metric: MetricName, value: number, samples: number,
  extra: { std?: number; details?: Record<string, unknown>; key?: string; label?: string } = {},
): MetricResult {
  const info = METRIC_INFO[metric];
  return {
    key: extra.key ?? metric, metric, label: extra.label ?? info.label, value, ...(extra.std !== undefined ? { std: extra.std } : {}), better: info.better, percent: info.percent,
    samples, protocol: info.protocol, comparable: info.comparable, ...(extra.details ? { details: extra.details } : {}),
  };
}

/**
 * Parses a metric selection: 'offline' (the default), 'all', or names, separated by commas (the
 * command line's --metrics). `required` are the metrics whose missing prerequisites are an error:
 * those named, and with 'all' the Inception ones (their weights are what 'all' asks for); the
 * others are skipped, with the reason, when the run cannot have them (no captioner, not OpenMoji).
 */
export function parseMetricSelection(selection: string | readonly string[] | undefined): { metrics: MetricName[]; required: Set<MetricName> } {
  const parts = selection === undefined ? ['offline'] : (typeof selection === 'string' ? selection.split(',') : [...selection]).map((s) => s.trim()).filter(Boolean);
  const out = new Set<MetricName>();
  const required = new Set<MetricName>();
  for (const p of parts) {
    if (p === 'offline') OFFLINE_METRICS.forEach((m) => out.add(m));
    else if (p === 'all') {
      METRIC_NAMES.forEach((m) => out.add(m));
      INCEPTION_METRICS.forEach((m) => required.add(m));
    } else if ((METRIC_NAMES as readonly string[]).includes(p)) {
      out.add(p as MetricName);
      required.add(p as MetricName);
    } else {
      throw new MirrorganError('ERR_INVALID_ARG', `Expected one of offline, all, ${METRIC_NAMES.join(', ')} for --metrics but received '${p}'`);
    }
  }
  if (out.size === 0) throw new MirrorganError('ERR_INVALID_ARG', 'Expected at least one metric for --metrics');
  return { metrics: METRIC_NAMES.filter((m) => out.has(m)), required };
}

/** "27.3 ± 1.2 %" / "12.41" for a table cell. */
export function formatMetric(r: Pick<MetricResult, 'value' | 'std' | 'percent'>): string {
  const scale = r.percent ? 100 : 1;
  const digits = r.percent ? 1 : Math.abs(r.value) < 0.1 ? 4 : 2;
  const v = (r.value * scale).toFixed(digits);
  const s = r.std !== undefined ? ` ± ${(r.std * scale).toFixed(digits)}` : '';
  return `${v}${s}${r.percent ? ' %' : ''}`;
}
