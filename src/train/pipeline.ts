// SPDX-License-Identifier: MIT
/**
 * The whole MirrorGAN pipeline in one call, as `npx mirrorgan train` runs it: load the dataset,
 * pretrain STEM (DAMSM) unless a text encoder is given, pretrain STREAM unless a captioner is
 * given (or `train.streamWeight` = 0), train GLAM against both, and write the HTML report. Every phase writes into
 * the run folder and resumes where it stopped.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { MirrorganError } from '../../lib/errors.js';
import { getDeterministic, setDeterministic } from '../../lib/runtime.js';
import type { Device } from '../../lib/tensor.js';
import { textEncoderOptions } from '../config/module_options.js';
import { datasetImageSizeOf, openMojiOptionsOf, sampleCaptionsOf, type MirrorGANConfig } from '../config/schema.js';
import { loadDataset, OPENMOJI_PROBE_CAPTIONS, stderrLogger, type DataLogger, type LoadedDataset } from '../data/index.js';
import { writeReport } from '../report/html.js';
import { TextEncoder } from '../stem/index.js';
import type { ImageEncoder } from '../stem/image_encoder.js';
import { DAMSM_FILES, loadDamsmImageEncoder, pretrainDamsm, type PretrainDamsmSummary } from '../stem/pretrain_damsm.js';
import { frozenCaptioner, hasCaptioner, loadCaptioner, pretrainStream, pretrainStreamOptionsOf, type PretrainStreamResult } from '../stream/index.js';
import { assertSameVocabulary } from '../stream/vocabulary_check.js';
import { Vocabulary } from '../text/index.js';
import { GanTrainer, type CaptionLossHook, type TrainCallbacks, type TrainSummary } from './gan_trainer.js';
import { listCheckpoints, settleCheckpoints } from './checkpoint.js';
import type { CheckpointScorer } from './checkpoint_retention.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { pathExists } from '../util/fs.js';
import { evaluationSplit } from '../eval/queries.js';
import { TrainingEvaluator } from '../eval/training_eval.js';
import { removeStaleTemps } from '../util/stale_temp.js';

export interface TrainPipelineOptions {
  config: MirrorGANConfig;
  /** Run folder (created). Phases write into damsm/, stream/ and the folder itself. */
  runDir: string;
  /** Continue every phase from what the run folder holds. Default false. */
  resume?: boolean;
  /** Progress bars / lines on stderr. Default true. */
  progress?: boolean;
  signal?: AbortSignal;
  logger?: DataLogger;
  device?: Device;
  /** A dataset already loaded (tests, library use); else loaded from config.dataset. */
  dataset?: LoadedDataset;
  /** Scores GAN checkpoints so the best one is kept beside the newest `train.keepCheckpoints`. */
  scorer?: CheckpointScorer;
}

export interface TrainPipelineResult {
  runDir: string;
  damsm: PretrainDamsmSummary | null;
  stream: PretrainStreamResult | null;
  gan: TrainSummary;
  report: string | null;
  seconds: number;
}

/** The captions all of whose words `vocabulary` knows (a subset's vocabulary may lack the default probes' words). */
function knownCaptions(captions: readonly string[], vocabulary: Vocabulary): string[] {
  return captions.filter((cap) => {
    try {
      return vocabulary.encodeCaption(cap).unknown.length === 0;
    } catch {
      return false;
    }
  });
}

export async function trainPipeline(options: TrainPipelineOptions, callbacks: TrainCallbacks = {}): Promise<TrainPipelineResult> {
  const t0 = Date.now();
  const c = options.config;
  const runDir = path.resolve(options.runDir);
  const logger = options.logger ?? stderrLogger;
  const progress = options.progress ?? true;
  await fs.mkdir(runDir, { recursive: true });
  // What killed processes left: half-written files and checkpoint folders (a complete one is moved into place).
  await settleCheckpoints(runDir, logger);
  await removeStaleTemps(['', 'damsm', 'stream', 'samples'].map((d) => path.join(runDir, d)));
  if (!options.resume && (await listCheckpoints(runDir)).length > 0) {
    throw new MirrorganError('ERR_INVALID_ARG', `${runDir} already holds a training run; pass --resume to continue it or choose another --out`);
  }
  // The resolved configuration before any phase, so `train --resume --out <run>` alone continues any phase with it.
  await writeJsonAtomic(path.join(runDir, 'config.json'), c);

  const need = datasetImageSizeOf(c);
  const data = options.dataset ?? await loadDataset({
    dataset: c.dataset.name, root: c.dataset.root || undefined, cacheDir: c.dataset.cacheDir || undefined, imageSize: need,
    openmoji: openMojiOptionsOf(c.dataset), logger, progress: progress ? 'auto' : false,
  });
  // The dataset this call opened is closed however the phases end (its file handles too).
  const wasDeterministic = getDeterministic();
  try {
    setDeterministic(c.train.deterministic);
    const vocabulary = data.vocabulary;

    // ---- STEM: the text encoder (pretrained with DAMSM here unless given) ----
    const textEncoder = new TextEncoder(textEncoderOptions(c, vocabulary.size));
    let damsm: PretrainDamsmSummary | null = null;
    if (c.train.netE) {
      const vocabFile = path.join(path.dirname(c.train.netE), 'vocabulary.json');
      if (await pathExists(vocabFile)) assertSameVocabulary(vocabulary, await Vocabulary.load(vocabFile), 'the dataset vocabulary', vocabFile);
      await textEncoder.load(c.train.netE);
    } else {
      const dir = path.join(runDir, 'damsm');
      logger.info(`STEM: pretraining the DAMSM text encoder into ${dir} (${c.damsm.epochs} epochs)`);
      damsm = await pretrainDamsm({
        outDir: dir, config: c, dataset: data, resume: await pathExists(path.join(dir, DAMSM_FILES.state)), logger,
        progress: progress ? 'auto' : false, signal: options.signal,
      });
      if (damsm.stopped) throw new MirrorganError('ERR_ABORTED', `stopped during DAMSM pretraining (${dir} keeps ${damsm.epochs} completed epochs)`);
      await textEncoder.load(path.join(dir, DAMSM_FILES.textEncoder));
    }

    if (options.signal?.aborted) throw new MirrorganError('ERR_ABORTED', 'stopped after DAMSM pretraining, before STREAM');

    // ---- STREAM: the captioner (pretrained on real images here unless given) ----
    let stream: PretrainStreamResult | null = null;
    let captioner: CaptionLossHook | undefined;
    if (c.train.streamWeight > 0) {
      const dir = c.train.captioner || path.join(runDir, 'stream');
      if (!c.train.captioner) {
        logger.info(`STREAM: pretraining the captioner into ${dir} (${c.stream.epochs} epochs)`);
        stream = await pretrainStream({
          ...pretrainStreamOptionsOf(c), out: dir, resume: await hasCaptioner(dir), vocabulary,
          progress: progress ? 'auto' : false, logger, signal: options.signal,
        });
        if (stream.stopped) throw new MirrorganError('ERR_ABORTED', `stopped during STREAM pretraining (${dir} keeps ${stream.config.epochs} completed epochs)`);
      }
      const frozen = frozenCaptioner(await loadCaptioner(dir, { vocabulary }));
      // Unweighted L_stream: the trainer applies train.streamWeight in L_G (generator_loss.ts).
      captioner = {
        async loss(fakes, captions, capLens) {
          return frozen.loss(fakes, captions, capLens, { reduction: c.train.streamReduction }).loss;
        },
      };
    }
    // The optional DAMSM term on G (train.damsmWeight, AttnGAN's) scores fakes with STEM's image encoder.
    const damsmDir = c.train.netE ? path.dirname(c.train.netE) : path.join(runDir, 'damsm');
    const imageEncoder: ImageEncoder | undefined = c.train.damsmWeight > 0 ? await loadDamsmImageEncoder(damsmDir) : undefined;
    if (options.signal?.aborted) throw new MirrorganError('ERR_ABORTED', 'training stopped before the GAN phase');

    // ---- GLAM ----
    const resumeGan = (options.resume ?? false) && (await listCheckpoints(runDir)).length > 0;
    if (options.resume && !resumeGan) logger.info(`resume: ${runDir} has no GAN checkpoint yet; the GAN phase starts at iteration 0`);
    // train.evalInterval: small evaluations hooked in through onIteration (eval/training_eval.ts);
    // their R-precision scores the checkpoints for retention unless the caller brings a scorer.
    const evaluator = c.train.evalInterval > 0 ? await TrainingEvaluator.create({
      config: c, runDir, split: evaluationSplit(data), source: data.cacheDir ?? data.root, textEncoder, vocabulary, cacheDir: c.dataset.cacheDir || undefined,
    }) : null;
    if (c.train.evalInterval > 0 && !evaluator) logger.warn('train.evalInterval: this run has no DAMSM image encoder or captioner to evaluate with');
    const trainer = await GanTrainer.create({
      config: c, runDir,
      deps: {
        textEncoder, vocabulary, train: data.train, test: data.test, captioner, imageEncoder,
        sampleCaptions: sampleCaptionsOf(c.train, c.dataset.name === 'openmoji' ? knownCaptions(OPENMOJI_PROBE_CAPTIONS, vocabulary) : []),
      },
      resume: resumeGan, device: options.device, progress, logger, scorer: options.scorer ?? evaluator?.checkpointScorer(),
    });
    let gan: TrainSummary;
    try {
      gan = await trainer.run(evaluator ? evaluator.callbacks(trainer, callbacks) : callbacks, { progress, signal: options.signal });
    } finally {
      trainer.dispose();
    }
    let report: string | null = null;
    try {
      report = await writeReport(runDir);
    } catch (e) {
      logger.warn(`report: ${(e as Error).message}`);
    }
    return { runDir, damsm, stream, gan, report, seconds: (Date.now() - t0) / 1000 };
  } finally {
    if (!options.dataset) await data.close();
    setDeterministic(wasDeterministic);
  }
}
