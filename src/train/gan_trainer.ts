// SPDX-License-Identifier: MIT
/**
 * The MirrorGAN training loop (official trainer.py, §6): per iteration encode the captions with
 * the frozen STEM text encoder, run G once, update every stage's D on real / fake / mismatched
 * pairs, take one G step on L_G (src/train/generator_loss.ts: the adversarial terms of all
 * stages + KL + λ_stream·STREAM (+ optional λ_damsm·DAMSM)), then update the 0.999 moving
 * average of G. Each native step runs on a worker thread,
 * so data loading and progress output continue meanwhile.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { DataError, MirrorganError } from '../../lib/errors.js';
import { callNative, type Module } from '../../lib/module.js';
import { Adam } from '../../lib/optim.js';
import { manualSeed } from '../../lib/runtime.js';
import { copyInto, dispose, emaUpdate, keep, randn, tensor, tidy, type Device, type Tensor } from '../../lib/tensor.js';
import { damsmGammas, discriminatorOptions, generatorOptions } from '../config/module_options.js';
import type { MirrorGANConfig } from '../config/schema.js';
import { DataLoader, stderrLogger, type Batch, type DataLogger, type Dataset } from '../data/index.js';
import { Discriminator } from '../glam/discriminator.js';
import { Generator } from '../glam/generator.js';
import { damsmSentLoss, damsmWordsLoss, type ImageEncoder, type TextEncoder } from '../stem/index.js';
import { encodeCaptions, type Vocabulary } from '../text/index.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { ProgressReporter } from '../util/progress.js';
import { batchTensors } from './batch_tensors.js';
import { generatorLoss, generatorLossWeights } from './generator_loss.js';
import { checkpointName, latestCheckpoint, saveCheckpoint } from './checkpoint.js';
import { checkpointOrReport } from './checkpoint_policy.js';
import { scoreAt, type CheckpointScorer } from './checkpoint_retention.js';
import { ganCheckpointParts, loadGanCheckpoint } from './gan_checkpoint.js';
import { DivergenceGuard } from './divergence_guard.js';
import { MetricsLog, rewindMetrics } from './metrics_log.js';
import { restoreNewest } from './resume.js';
import { writeSampleGrid } from './samples.js';

/**
 * STREAM inside GAN training: re-describes the last-stage fakes and returns the unweighted
 * caption loss L_stream (the trainer weighs it by `train.streamWeight` in L_G). Frozen:
 * gradients reach the images only.
 */
export interface CaptionLossHook {
  loss(fakes: Tensor, captions: Tensor, capLens: Tensor): Promise<Tensor>;
}

/** What the trainer needs besides the configuration. */
export interface GanTrainerDeps {
  /** The pretrained STEM text encoder (frozen and put in eval mode here). */
  textEncoder: TextEncoder;
  vocabulary: Vocabulary;
  train: Dataset;
  /** Source of the held-out half of the sample grid (default: train). */
  test?: Dataset;
  /**
   * Probe captions shown first in every sample grid (at most 8), e.g. colours x shapes; the
   * rest of the grid is a seeded draw from `test`. Default: none (all 16 drawn from `test`).
   */
  sampleCaptions?: readonly string[];
  /** STREAM; omitted or `train.streamWeight` = 0 gives the AttnGAN-style baseline. */
  captioner?: CaptionLossHook;
  /** DAMSM image encoder, for the optional DAMSM term (`train.damsmWeight` > 0). */
  imageEncoder?: ImageEncoder;
}

export interface IterationInfo {
  iteration: number;
  epoch: number;
  losses: Record<string, number>;
  itPerSec: number;
  elapsed: number;
}

export interface TrainCallbacks {
  onIteration?(info: IterationInfo): void | Promise<void>;
  onEpoch?(info: { epoch: number; iteration: number; losses: Record<string, number> }): void | Promise<void>;
  onSample?(file: string, iteration: number): void | Promise<void>;
  onCheckpoint?(dir: string, iteration: number): void | Promise<void>;
}

export interface GanTrainerOptions {
  config: MirrorGANConfig;
  /** Run folder: metrics.jsonl, samples/, checkpoints/, config.json. */
  runDir: string;
  deps: GanTrainerDeps;
  /** Continue from the run folder's latest checkpoint. Default false. */
  resume?: boolean;
  /** Where tensors live. Default 'cpu'. */
  device?: Device;
  /** Progress on stderr. Default true. */
  progress?: boolean;
  /** Stops the loop after the current iteration (a checkpoint is written). */
  signal?: AbortSignal;
  /** Resume, checkpoint and divergence messages. Default: stderr. */
  logger?: DataLogger;
  /** Scores each checkpoint so the best one outlives `train.keepCheckpoints` (src/train/checkpoint_retention.ts). */
  scorer?: CheckpointScorer;
}

export interface TrainSummary {
  iterations: number;
  epochs: number;
  seconds: number;
  lastLosses: Record<string, number>;
  checkpoint: string | null;
  stopped: boolean;
}

/** Images per sample grid (4 x 4), of which at most {@link MAX_PROBE_CAPTIONS} are probes. */
const SAMPLE_COUNT = 16;
export const MAX_PROBE_CAPTIONS = 8;

/** The captions, their encodings and the noise every sample grid of a run uses. */
interface FixedSample {
  z: Tensor;
  sentEmb: Tensor;
  wordsEmb: Tensor;
  mask: Tensor;
  /** In grid order. */
  captions: string[];
  /** Row k of the encodings belongs to grid cell order[k] (the encoder needs length order). */
  order: Int32Array;
}

/** Seed of iteration `it`: every iteration's noise is reproducible on resume. */
function iterationSeed(seed: number, it: number): number {
  return (seed * 1_000_003 + it * 7919) % 2_147_483_647;
}

/** Decay of G's moving average after iteration `it` (see `train.emaWarmup`). */
export function emaDecayAt(train: Pick<MirrorGANConfig['train'], 'emaDecay' | 'emaWarmup'>, it: number): number {
  return train.emaWarmup ? Math.min(train.emaDecay, (1 + it) / (10 + it)) : train.emaDecay;
}

async function loss(name: string, t: Tensor, into: Record<string, number>): Promise<void> {
  into[name] = (await t.data())[0] as number;
}

export class GanTrainer {
  readonly config: MirrorGANConfig;
  readonly runDir: string;
  readonly device: Device;
  readonly netG: Generator;
  /** G with the moving average of the parameters (what is sampled and released). */
  readonly netGEma: Generator;
  readonly netsD: Discriminator[];
  readonly optimizerG: Adam;
  readonly optimizersD: Adam[];
  iteration = 0;
  epoch = 0;
  /** Batches of `epoch` already consumed (for an exact mid-epoch resume). */
  stepInEpoch = 0;

  readonly #deps: GanTrainerDeps;
  readonly #logger: DataLogger;
  readonly #scorer: CheckpointScorer | undefined;
  readonly #guard: DivergenceGuard;
  readonly #gParams: Tensor[];
  readonly #emaParams: Tensor[];
  readonly #gBuffers: Tensor[];
  readonly #emaBuffers: Tensor[];
  #fixed: FixedSample | null = null;

  private constructor(options: GanTrainerOptions) {
    const c = options.config;
    this.config = c;
    this.runDir = options.runDir;
    this.device = options.device ?? 'cpu';
    this.#deps = options.deps;
    this.#logger = options.logger ?? stderrLogger;
    this.#scorer = options.scorer;
    this.#guard = new DivergenceGuard(c.train.maxNonFiniteSteps);
    manualSeed(c.train.seed);  // the initial weights follow from the seed
    const gOpts = generatorOptions(c);
    this.netG = new Generator(gOpts).to(this.device);
    this.netGEma = new Generator(gOpts).to(this.device);
    this.netsD = this.netG.sizes.map((size) => new Discriminator(discriminatorOptions(c, size)).to(this.device));
    const betas: [number, number] = [c.train.beta1, c.train.beta2];
    this.optimizerG = new Adam(this.netG, { lr: c.train.generatorLr, betas });
    this.optimizersD = this.netsD.map((d) => new Adam(d, { lr: c.train.discriminatorLr, betas }));
    // Long-lived handles on G's and G_ema's tensors, for the EMA and for sampling.
    const split = (m: Module) => {
      const params = new Set(m.namedParameters().keys());
      const sd = [...m.namedStateDict()];
      return {
        params: keepAll(sd.filter(([k]) => params.has(k)).map(([, t]) => t)),
        buffers: keepAll(sd.filter(([k]) => !params.has(k)).map(([, t]) => t)),
      };
    };
    const g = split(this.netG);
    const e = split(this.netGEma);
    this.#gParams = g.params;
    this.#gBuffers = g.buffers;
    this.#emaParams = e.params;
    this.#emaBuffers = e.buffers;
    copyInto(this.#emaParams, this.#gParams);
    // STEM is frozen: eval mode, no gradients.
    options.deps.textEncoder.eval().setRequiresGrad(false);
    options.deps.imageEncoder?.eval().setRequiresGrad(false);
  }

  /**
   * Builds the networks, restoring with `resume` the newest checkpoint that checks out (a
   * damaged newer one is skipped with a warning: src/train/resume.ts), else `train.netG`.
   */
  static async create(options: GanTrainerOptions): Promise<GanTrainer> {
    const t = new GanTrainer(options);
    await fs.mkdir(options.runDir, { recursive: true });
    if (options.resume) {
      await restoreNewest(options.runDir, (dir) => t.restore(dir), t.#logger);
    } else if (options.config.train.netG) {
      await t.netG.load(options.config.train.netG);
      copyInto(t.#emaParams, t.#gParams);
    }
    return t;
  }

  /** Why the last step() was skipped (a NaN/Inf loss or gradient: divergence_guard.ts), or null. */
  get skipped(): string | null {
    return this.#guard.skipped;
  }

  /** Number of iterations the configuration asks for. */
  totalIterations(batchesPerEpoch: number): number {
    const byEpochs = this.config.train.maxEpoch * batchesPerEpoch;
    return this.config.train.maxIterations > 0 ? Math.min(this.config.train.maxIterations, byEpochs) : byEpochs;
  }

  /** Encodes captions with the frozen text encoder (no graph). */
  #encode(captions: Tensor, capLens: Tensor): { wordsEmb: Tensor; sentEmb: Tensor; mask: Tensor } {
    return this.#deps.textEncoder.encode(captions, capLens, { grad: false, checkFinite: false });
  }

  /** One MirrorGAN iteration on `batch`; returns the losses. */
  async step(batch: Batch): Promise<Record<string, number>> {
    const c = this.config;
    manualSeed(iterationSeed(c.train.seed, this.iteration));
    const losses: Record<string, number> = {};
    const owned: unknown[] = [];
    this.#guard.begin(this.#gBuffers);  // a non-finite iteration steps no further (divergence_guard.ts)
    try {
      const bt = batchTensors(batch, this.netG.sizes, this.device);
      owned.push(bt);
      const text = this.#encode(bt.captions, bt.capLens);
      owned.push(text);
      const z = randn([batch.batchSize, c.gan.zDim], { device: this.device });
      owned.push(z);
      const fake = await this.netG.generateAsync({ z, sentEmb: text.sentEmb, wordsEmb: text.wordsEmb, mask: text.mask }, { checkFinite: false });
      owned.push(fake);

      // ---- discriminators: one update per stage (fakes detached inside d_loss) ----
      for (let i = 0; i < this.netsD.length; i++) {
        this.optimizersD[i].zeroGrad();
        const { errD, parts } = await this.netsD[i].dLoss(bt.images[i], fake.images[i], text.sentEmb);
        owned.push(parts);
        await errD.backwardAsync();
        await loss(`D${i}`, errD, losses);
        await this.#guard.step(this.optimizersD[i], [`D${i}`], losses);
      }

      // ---- generator: L_G = Σ_i L_G_i^adv + λ_stream·L_stream + KL (+ λ_damsm·L_damsm) ----
      this.optimizerG.zeroGrad();
      const adversarial: Tensor[] = [];
      for (let i = 0; i < this.netsD.length; i++) {
        const g = await this.netsD[i].gLoss(fake.images[i], text.sentEmb);
        owned.push(g.parts);
        adversarial.push(g.loss);
      }
      const { loss: kl } = callNative('kl_loss', { mu: fake.mu, logvar: fake.logvar });
      owned.push(kl);
      const last = fake.images[fake.images.length - 1];
      const { captioner, imageEncoder } = this.#deps;
      const { total, terms } = await generatorLoss({
        adversarial, kl,
        stream: captioner && (() => captioner.loss(last, bt.captions, bt.capLens)),
        damsm: imageEncoder && (async () => tidy(() => {
          const enc = imageEncoder.encode(last, { checkFinite: false });
          const gam = damsmGammas(c);
          const w = damsmWordsLoss({ imgFeatures: enc.features, wordsEmb: text.wordsEmb, capLens: bt.capLens, classIds: bt.classIds }, gam);
          const s = damsmSentLoss({ cnnCode: enc.cnnCode, sentEmb: text.sentEmb, classIds: bt.classIds }, gam);
          return w.loss0.add(w.loss1).add(s.loss0).add(s.loss1);
        })),
      }, generatorLossWeights(c));
      owned.push(terms, total);
      for (const [name, t] of Object.entries(terms)) await loss(name, t, losses);
      await loss('G_total', total, losses);
      await total.backwardAsync();
      if (await this.#guard.step(this.optimizerG, [...Object.keys(terms), 'G_total'], losses)) {
        emaUpdate(this.#emaParams, this.#gParams, emaDecayAt(c.train, this.iteration));
      }
      return losses;
    } catch (e) {
      if (!this.#guard.absorb(e)) throw e;  // a module refused a NaN/Inf input: the iteration is skipped
      return losses;
    } finally {
      this.#guard.end();
      dispose(owned);
      this.iteration++;
      this.stepInEpoch++;
    }
  }

  /**
   * Fixed captions and noise for sample grids: the probe captions, then a seeded draw from the
   * test split (so the grid spans held-out classes), encoded once for the whole run.
   */
  async #fixedSample(): Promise<FixedSample> {
    if (this.#fixed) return this.#fixed;
    const probes = (this.#deps.sampleCaptions ?? []).slice(0, MAX_PROBE_CAPTIONS);
    // Held-out captions when there are any (a folder dataset may have no test split).
    const ds = this.#deps.test && this.#deps.test.size > 0 ? this.#deps.test : this.#deps.train;
    const n = Math.min(SAMPLE_COUNT - probes.length, ds.size);
    const drawn: string[] = [];
    if (n > 0) {
      const loader = new DataLoader(ds, {
        batchSize: n, imageSizes: [64], wordsNum: this.config.text.wordsNum, wordsCap: 'truncate', shuffle: true,
        augment: false, seed: this.config.train.seed, prefetch: 0,
      });
      for await (const b of loader.epoch(0)) {
        const W = b.wordsNum;
        for (let k = 0; k < b.batchSize; k++) drawn.push(this.#deps.vocabulary.decode(b.captions.subarray(k * W, k * W + b.captionLengths[k])).join(' '));
        break;
      }
    }
    const captions = [...probes, ...drawn];
    if (captions.length === 0) throw new DataError('ERR_DATA_EMPTY', 'no captions for the sample grid');
    const enc = encodeCaptions(this.#deps.vocabulary, captions, this.config.text.wordsNum);
    const B = captions.length;
    const T = enc.lengths[0] as number;
    const W = this.config.text.wordsNum;
    const ids = new BigInt64Array(B * T);
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) ids[b * T + t] = BigInt(enc.ids[b * W + t] as number);
    const text = tidy(() => this.#encode(
      tensor(ids, [B, T]).to(this.device), tensor(BigInt64Array.from(enc.lengths, BigInt), [B]).to(this.device)));
    manualSeed(this.config.train.seed);
    const z = randn([B, this.config.gan.zDim], { device: this.device });
    this.#fixed = { z: keep(z), sentEmb: keep(text.sentEmb), wordsEmb: keep(text.wordsEmb), mask: keep(text.mask), captions, order: enc.order };
    return this.#fixed;
  }

  /** Writes a sample grid from the EMA generator (eval mode, G's BatchNorm statistics). */
  async sample(): Promise<string> {
    const f = await this.#fixedSample();
    copyInto(this.#emaBuffers, this.#gBuffers);
    this.netGEma.eval();
    manualSeed(this.config.train.seed + 1);
    const out = await this.netGEma.generateAsync({ z: f.z, sentEmb: f.sentEmb, wordsEmb: f.wordsEmb, mask: f.mask }, { grad: false });
    try {
      return await writeSampleGrid(this.runDir, out.images[out.images.length - 1], f.captions, this.iteration, this.epoch, { order: f.order });
    } finally {
      dispose(out);
    }
  }

  /** The EMA generator as sample() uses it: eval mode, G's current BatchNorm statistics (for evaluations). */
  emaGenerator(): Generator {
    copyInto(this.#emaBuffers, this.#gBuffers);
    return this.netGEma.eval();
  }

  /** Writes a checkpoint of everything a resume needs. */
  async checkpoint(extra: Record<string, unknown> = {}): Promise<string> {
    copyInto(this.#emaBuffers, this.#gBuffers);
    const score = await scoreAt(this.#scorer, this.iteration);
    const state = {
      iteration: this.iteration, epoch: this.epoch, stepInEpoch: this.stepInEpoch, seed: this.config.train.seed,
      config: this.config, savedAt: new Date().toISOString(), ...(score ? { score } : {}), ...extra,
    };
    const parts = ganCheckpointParts(this, this.#deps.vocabulary);
    return saveCheckpoint(this.runDir, this.iteration, parts, state, { keep: this.config.train.keepCheckpoints, logger: this.#logger });
  }

  /** checkpoint() under `train.onCheckpointError` (checkpoint_policy.ts), then onCheckpoint. */
  async #checkpointOrReport(callbacks: TrainCallbacks, metrics: MetricsLog, final: boolean): Promise<string | null> {
    const c = this.config.train;
    const a = { runDir: this.runDir, iteration: this.iteration, policy: c.onCheckpointError, final, logger: this.#logger, metrics };
    const dir = await checkpointOrReport(() => this.checkpoint(), a);
    if (dir) await callbacks.onCheckpoint?.(dir, this.iteration);
    return dir;
  }

  /** Restores a checkpoint written by checkpoint() (gan_checkpoint.ts). */
  async restore(dir: string): Promise<void> {
    ({ iteration: this.iteration, epoch: this.epoch, stepInEpoch: this.stepInEpoch } = await loadGanCheckpoint(this, dir));
  }

  /** Runs the loop to the configured length; checkpoints, samples, metrics and progress. */
  async run(callbacks: TrainCallbacks = {}, options: { progress?: boolean; signal?: AbortSignal } = {}): Promise<TrainSummary> {
    const c = this.config;
    const loader = new DataLoader(this.#deps.train, {
      batchSize: c.train.batchSize, imageSizes: this.netG.sizes, wordsNum: c.text.wordsNum, seed: c.train.seed, prefetch: 2,
    });
    const perEpoch = loader.batchesPerEpoch;
    if (perEpoch === 0) throw new DataError('ERR_DATA_EMPTY', `the training split has fewer images than one batch (${c.train.batchSize})`);
    const total = this.totalIterations(perEpoch);
    await writeJsonAtomic(path.join(this.runDir, 'config.json'), c);
    await this.#deps.vocabulary.save(path.join(this.runDir, 'vocabulary.json'));
    // A kill after the last checkpoint left records the resumed iterations write again.
    let open = await rewindMetrics(path.join(this.runDir, 'metrics.jsonl'), { iteration: this.iteration, epoch: this.epoch });
    const metrics = new MetricsLog(path.join(this.runDir, 'metrics.jsonl'));
    const progress = new ProgressReporter({
      total, start: this.iteration, mode: options.progress ?? true ? 'auto' : 'off', intervalMs: 5000,
      bar: 'train {bar} {value}/{total} | ep {epoch} | {losses} | {rate} it/s | eta {remaining}',
      line: 'iter {value}/{total} epoch {epoch} {losses} {rate} it/s eta {remaining}',
    });
    const t0 = Date.now();
    const startIt = this.iteration;
    let last: Record<string, number> = {};
    let lastCheckpoint: string | null = null;
    let stopped = false;
    try {
      if (this.iteration === 0) {
        const file = await this.sample();
        await callbacks.onSample?.(file, 0);
      }
      while (this.iteration < total && !stopped) {
        const skip = this.stepInEpoch;
        const sums: Record<string, number> = { ...open.sums };  // a resumed epoch's mean covers its earlier iterations
        let n = open.count;
        open = { sums: {}, count: 0 };
        let k = 0;
        for await (const batch of loader.epoch(this.epoch)) {
          if (k++ < skip) continue;  // resumed mid-epoch: the same batches as an uninterrupted run
          last = await this.step(batch);
          for (const [key, v] of Object.entries(last)) sums[key] = (sums[key] ?? 0) + v;
          n++;
          const elapsed = (Date.now() - t0) / 1000;
          const itPerSec = (this.iteration - startIt) / Math.max(elapsed, 1e-9);
          const lr: Record<string, number> = { G: this.optimizerG.lr };
          this.optimizersD.forEach((o, i) => (lr[`D${i}`] = o.lr));
          const skipped = this.#guard.skipped;
          metrics.write({ type: 'iteration', iteration: this.iteration, epoch: this.epoch, time: Date.now() / 1000, elapsed, itPerSec, lr, loss: last, ...(skipped ? { skipped } : {}) });
          if (skipped) this.#logger.warn(`iteration ${this.iteration}: skipped, ${skipped} (${this.#guard.inRow} in a row)`);
          if (this.#guard.diverged) throw this.#guard.error(this.iteration, await latestCheckpoint(this.runDir));
          progress.update(this.iteration, { epoch: String(this.epoch), losses: `D ${(last.D0 ?? 0).toFixed(3)} G ${(last.G_total ?? 0).toFixed(3)}` });
          await callbacks.onIteration?.({ iteration: this.iteration, epoch: this.epoch, losses: last, itPerSec, elapsed });
          if (this.iteration % c.train.sampleInterval === 0) {
            const file = await this.sample();
            await callbacks.onSample?.(file, this.iteration);
          }
          if (this.iteration % c.train.snapshotInterval === 0) lastCheckpoint = (await this.#checkpointOrReport(callbacks, metrics, false)) ?? lastCheckpoint;
          if (this.iteration >= total || options.signal?.aborted) {
            stopped = options.signal?.aborted ?? false;
            break;
          }
        }
        if (this.stepInEpoch >= perEpoch) {
          const means = Object.fromEntries(Object.entries(sums).map(([key, v]) => [key, v / Math.max(n, 1)]));
          metrics.write({ type: 'epoch', epoch: this.epoch, iteration: this.iteration, time: Date.now() / 1000, elapsed: (Date.now() - t0) / 1000, loss: means });
          await callbacks.onEpoch?.({ epoch: this.epoch, iteration: this.iteration, losses: means });
          this.epoch++;
          this.stepInEpoch = 0;
          // official trainer.py, after each epoch: `if epoch % cfg.TRAIN.SNAPSHOT_INTERVAL == 0: save_model(...)`
          const everyEpochs = c.train.snapshotEpochs;
          if (everyEpochs > 0 && (this.epoch - 1) % everyEpochs === 0 && this.iteration % c.train.snapshotInterval !== 0) {
            lastCheckpoint = (await this.#checkpointOrReport(callbacks, metrics, false)) ?? lastCheckpoint;
          }
        }
      }
      if (this.iteration % c.train.sampleInterval !== 0) {
        const file = await this.sample();
        await callbacks.onSample?.(file, this.iteration);
      }
      // The last iteration's checkpoint, unless written above (a failed one under 'continue' is retried here).
      if (!lastCheckpoint || path.basename(lastCheckpoint) !== checkpointName(this.iteration)) lastCheckpoint = await this.#checkpointOrReport(callbacks, metrics, true);
    } finally {
      progress.stop();
      metrics.close();
    }
    return {
      iterations: this.iteration, epochs: this.epoch, seconds: (Date.now() - t0) / 1000, lastLosses: last,
      checkpoint: lastCheckpoint, stopped,
    };
  }

  /** Frees every native handle the trainer holds. */
  dispose(): void {
    dispose([this.#gParams, this.#emaParams, this.#gBuffers, this.#emaBuffers]);
    if (this.#fixed) dispose(this.#fixed);
    this.#fixed = null;
  }
}

function keepAll(ts: Tensor[]): Tensor[] {
  return ts.map((t) => keep(t));
}
