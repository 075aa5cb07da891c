// SPDX-License-Identifier: MIT
/**
 * Which networks an evaluation of a run scores with, and which asked-for metrics it has to skip
 * (with the reason) because the run or this machine lacks what they need: the run's DAMSM
 * encoders (R-precision, DAMSM FID/KID), a STREAM captioner (BLEU, CIDEr-D), the OpenMoji data
 * (the probe) and the converted Inception weights (IS, FID, KID). A metric the user named
 * explicitly is an error instead of a skip, naming what is missing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MirrorganError } from '../../lib/errors.js';
import type { MirrorGANConfig } from '../config/schema.js';
import type { Vocabulary } from '../text/vocabulary.js';
import { DAMSM_FILES, loadDamsmImageEncoder } from '../stem/pretrain_damsm.js';
import { frozenCaptioner, hasCaptioner, loadCaptioner } from '../stream/index.js';
import { defaultWeightsDir, inceptionWeightsPath, loadInceptionWeights, missingWeightsError } from './inception.js';
import type { MetricName } from './metrics.js';
import { fileSha1 } from './reference.js';
import type { EvalNetworks } from './session.js';

/** The run's configuration and vocabulary (a loaded MirrorGAN, or a trainer's). */
export interface RunModel {
  config: MirrorGANConfig;
  vocabulary: Vocabulary;
}

export interface NetworkChoices {
  /** Folder of the DAMSM encoders (default: beside train.netE, else <run>/damsm). */
  damsm?: string;
  /** Captioner folder (default: train.captioner, else <run>/stream). */
  captioner?: string;
  /** Folder of the converted Inception weights (default <cache root>/weights). */
  weightsDir?: string;
  /** The samples come from a folder, not from the generator (the probe needs the generator). */
  fromFolder?: boolean;
}

export interface ResolvedNetworks {
  networks: EvalNetworks;
  /** Metrics that will be computed. */
  metrics: MetricName[];
  skipped: { metric: MetricName; reason: string }[];
  /** Where each network came from, for eval.json. */
  sources: Record<string, string>;
}

/** The DAMSM folder a run's evaluation uses. */
export function damsmDirOf(model: RunModel, runDir: string, choice?: string): string {
  return choice ?? (model.config.train.netE ? path.dirname(model.config.train.netE) : path.join(runDir, 'damsm'));
}

export async function resolveNetworks(model: RunModel, runDir: string, wanted: readonly MetricName[], required: ReadonlySet<MetricName>, choices: NetworkChoices = {}): Promise<ResolvedNetworks> {
  const networks: EvalNetworks = {};
  const skipped: ResolvedNetworks['skipped'] = [];
  const sources: Record<string, string> = {};
  const keep = new Set(wanted);
  const drop = (metrics: readonly MetricName[], reason: string): void => {
    for (const m of metrics.filter((x) => keep.has(x))) {
      if (required.has(m)) throw new MirrorganError('ERR_FILE', `metric ${m}: ${reason}`);
      keep.delete(m);
      skipped.push({ metric: m, reason });
    }
  };
  const any = (ms: readonly MetricName[]) => ms.some((m) => keep.has(m));

  const damsmMetrics: MetricName[] = ['r_precision', 'fid_damsm', 'kid_damsm'];
  if (any(damsmMetrics)) {
    const dir = damsmDirOf(model, runDir, choices.damsm);
    const file = path.join(dir, DAMSM_FILES.imageEncoder);
    if (fs.existsSync(path.join(dir, DAMSM_FILES.state)) && fs.existsSync(file)) {
      networks.damsm = { encoder: (await loadDamsmImageEncoder(dir)).eval().setRequiresGrad(false), id: await fileSha1(file) };
      sources.damsm = dir;
    } else {
      drop(damsmMetrics, `no DAMSM image encoder in ${dir} (${DAMSM_FILES.state} and ${DAMSM_FILES.imageEncoder}); pass --damsm <folder pretrain-damsm wrote>`);
    }
  }

  const captionMetrics: MetricName[] = ['bleu', 'cider_d'];
  if (any(captionMetrics)) {
    const dir = choices.captioner ?? (model.config.train.captioner || path.join(runDir, 'stream'));
    if (await hasCaptioner(dir)) {
      networks.captioner = frozenCaptioner(await loadCaptioner(dir, { vocabulary: model.vocabulary }));
      sources.captioner = dir;
    } else {
      drop(captionMetrics, `no STREAM captioner in ${dir} (a λ = 0 run trains none); pass --captioner <folder>`);
    }
  }

  if (keep.has('probe')) {
    if (model.config.dataset.name !== 'openmoji') drop(['probe'], `the probe's captions and references are OpenMoji emoji; this run trained on '${model.config.dataset.name}'`);
    else if (choices.fromFolder) drop(['probe'], 'the probe generates its own 24 captions: it needs the generator, not a folder of images');
  }

  const weightsDir = choices.weightsDir ?? defaultWeightsDir();
  if (keep.has('is')) {
    const file = inceptionWeightsPath('is', weightsDir);
    if (fs.existsSync(file)) {
      networks.inception = await loadInceptionWeights('is', file);
      sources.inception = file;
    } else {
      drop(['is'], missingWeightsError('is', file).message);
    }
  }
  if (any(['fid', 'kid'])) {
    const file = inceptionWeightsPath('fid', weightsDir);
    if (fs.existsSync(file)) {
      networks.fidInception = { net: await loadInceptionWeights('fid', file), id: await fileSha1(file) };
      sources.fidInception = file;
    } else {
      drop(['fid', 'kid'], missingWeightsError('fid', file).message);
    }
  }
  return { networks, metrics: wanted.filter((m) => keep.has(m)), skipped, sources };
}
