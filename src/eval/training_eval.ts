// SPDX-License-Identifier: MIT
/**
 * `train.evalInterval`: a small evaluation every N GAN iterations, hooked into the trainer from
 * outside through its `onIteration` callback. The EMA generator (as sample grids see it) draws
 * `train.evalSamples` images for a fixed set of held-out captions with fixed noise, so the curve
 * moves with the generator only; they are scored in memory by the same {@link EvalSession} as
 * `mirrorgan eval` (offline metrics: R-precision, FID/KID in DAMSM space, BLEU/CIDEr-D of the
 * captioner's re-descriptions, whichever the run has). Each evaluation appends
 * `{"type":"eval","iteration":…,"metrics":{…},"std":{…},"samples":…}` to metrics.jsonl, which the
 * report plots.
 */
import path from 'node:path';
import { tensor } from '../../lib/tensor.js';
import { finalImageSizeOf, type MirrorGANConfig } from '../config/schema.js';
import type { Dataset } from '../data/types.js';
import type { Generator } from '../glam/generator.js';
import { parseCaptions } from '../model/generation.js';
import { sampleNoise } from '../model/noise.js';
import { encodeText, synthesise, type SynthesisModules, type SynthesisRow } from '../model/synthesis.js';
import type { TextEncoder } from '../stem/text_encoder.js';
import type { Vocabulary } from '../text/vocabulary.js';
import type { CheckpointScorer } from '../train/checkpoint_retention.js';
import type { TrainCallbacks } from '../train/gan_trainer.js';
import { MetricsLog } from '../train/metrics_log.js';
import type { MetricName, MetricResult } from './metrics.js';
import { resolveNetworks, type ResolvedNetworks } from './networks.js';
import { captionPool, drawQueries, type CaptionPool, type EvalQuery } from './queries.js';
import { EvalSession } from './session.js';

/** What is evaluated during training: the metrics that need no downloaded weights, bar the probe. */
const TRAINING_METRICS: readonly MetricName[] = ['r_precision', 'fid_damsm', 'kid_damsm', 'bleu', 'cider_d'];
const BATCH = 50;

export interface TrainingEvaluatorOptions {
  config: MirrorGANConfig;
  runDir: string;
  /** The held-out split the captions and the real images come from. */
  split: Dataset;
  /** Names the dataset in the reference cache key (its cache folder or root). */
  source: string;
  textEncoder: TextEncoder;
  vocabulary: Vocabulary;
  cacheDir?: string;
}

export class TrainingEvaluator {
  readonly #o: TrainingEvaluatorOptions;
  readonly #resolved: ResolvedNetworks;
  readonly #pool: CaptionPool;
  readonly #queries: EvalQuery[];
  /** The latest evaluation, for the checkpoint written at the same iteration. */
  #last: { iteration: number; results: readonly MetricResult[] } | null = null;

  private constructor(o: TrainingEvaluatorOptions, resolved: ResolvedNetworks) {
    this.#o = o;
    this.#resolved = resolved;
    this.#pool = captionPool(o.split);
    this.#queries = drawQueries(this.#pool, o.config.train.evalSamples, o.config.train.seed);
  }

  /** Loads the run's DAMSM image encoder and captioner; null when the run has neither (nothing to evaluate). */
  static async create(o: TrainingEvaluatorOptions): Promise<TrainingEvaluator | null> {
    const resolved = await resolveNetworks({ config: o.config, vocabulary: o.vocabulary }, o.runDir, TRAINING_METRICS, new Set());
    return resolved.metrics.length > 0 ? new TrainingEvaluator(o, resolved) : null;
  }

  /** What was left out and why (no captioner at λ = 0, ...). */
  get skipped(): ResolvedNetworks['skipped'] {
    return this.#resolved.skipped;
  }

  /** Scores `generator` on the fixed captions and noise (sample q has seed train.seed + q). */
  async evaluate(generator: Generator): Promise<MetricResult[]> {
    const o = this.#o;
    const modules: SynthesisModules = { textEncoder: o.textEncoder, generator };
    const sentenceFeatures = async (captions: string[]) =>
      (await encodeText(modules, parseCaptions(o.vocabulary, captions).map((p) => p.ids), BATCH)).map((t) => t.sentence);
    const S = finalImageSizeOf(o.config);
    const session = await EvalSession.create({
      model: { config: o.config, vocabulary: o.vocabulary, sentenceFeatures },
      pool: this.#pool, metrics: this.#resolved.metrics, networks: this.#resolved.networks, total: this.#queries.length,
      imageSize: S, reference: { split: o.split, source: o.source, cacheDir: o.cacheDir },
      rPrecision: { seed: o.config.train.seed }, kid: { seed: o.config.train.seed },
    });
    const { zDim, cDim } = generator.options;
    try {
      for (let from = 0; from < this.#queries.length; from += BATCH) {
        const batch = this.#queries.slice(from, from + BATCH);
        const texts = await encodeText(modules, parseCaptions(o.vocabulary, batch.map((q) => q.caption)).map((p) => p.ids), BATCH);
        const rows = texts.map((text, k): SynthesisRow => {
          const noise = sampleNoise(o.config.train.seed + from + k, zDim, cDim);
          return { text, z: noise.z, eps: noise.eps };
        });
        // The last stage of each row, in batch order, scored on the CPU (where the encoders are).
        const results = await synthesise(modules, rows, BATCH);
        const data = new Float32Array(results.length * 3 * S * S);
        results.forEach((r, b) => data.set(r.stages[r.stages.length - 1] as Float32Array, b * 3 * S * S));
        const images = tensor(data, [results.length, 3, S, S]);
        try {
          await session.add(images, batch);
        } finally {
          images.dispose();
        }
      }
      return await session.finish();
    } finally {
      session.dispose();
    }
  }

  /** `inner` with an evaluation every `train.evalInterval` iterations added to onIteration. */
  callbacks(trainer: { emaGenerator(): Generator }, inner: TrainCallbacks = {}): TrainCallbacks {
    const every = this.#o.config.train.evalInterval;
    return {
      ...inner,
      onIteration: async (info) => {
        await inner.onIteration?.(info);
        if (every > 0 && info.iteration % every === 0) await this.record(await this.evaluate(trainer.emaGenerator()), info.iteration);
      },
    };
  }

  /**
   * Scores checkpoints by the R-precision of the evaluation at their iteration (onIteration runs
   * before the checkpoint of the same iteration), so retention keeps the best-evaluated one; null
   * for a checkpoint without an evaluation at its iteration or a run without the DAMSM encoder.
   */
  checkpointScorer(): CheckpointScorer {
    return {
      name: 'R-precision', higherIsBetter: true,
      score: (iteration) => (this.#last?.iteration === iteration ? this.#last.results.find((r) => r.key === 'r_precision')?.value ?? null : null),
    };
  }

  /** Appends one evaluation to the run's metrics.jsonl. */
  async record(results: readonly MetricResult[], iteration: number): Promise<void> {
    this.#last = { iteration, results };
    const log = new MetricsLog(path.join(this.#o.runDir, 'metrics.jsonl'));
    try {
      log.write({
        type: 'eval', iteration, time: Date.now() / 1000, samples: this.#queries.length,
        metrics: Object.fromEntries(results.map((r) => [r.key, r.value])),
        std: Object.fromEntries(results.filter((r) => r.std !== undefined).map((r) => [r.key, r.std])),
      });
    } finally {
      log.close();
    }
  }
}
