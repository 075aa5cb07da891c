// SPDX-License-Identifier: MIT
/**
 * DAMSM pretraining (AttnGAN `pretrain_DAMSM.py`, reference §5.3): trains the text encoder and
 * the image encoder jointly on the DAMSM matching loss w0 + w1 + s0 + s1, validates on the test
 * split each epoch (losses and top-1 retrieval), and checkpoints every epoch.
 *
 * Official schedule by default: Adam(lr 0.002, betas (0.5, 0.999)) over the text encoder and the
 * trainable image-encoder parameters, a NEW optimiser each epoch (its moments reset), lr x 0.98
 * after each epoch while lr > lr0 / 10, gradient-norm clip 0.25 on the text encoder only, batch 48,
 * same-class masking with the dataset's class ids.
 *
 * The output folder holds everything needed to use or resume the encoders:
 *
 * | file | contents |
 * |---|---|
 * | `text_encoder.safetensors` | RNN_ENCODER state dict (official keys) |
 * | `image_encoder.safetensors` | CNN_ENCODER / CNN_ENCODER_COMPACT state dict (buffers included) |
 * | `vocabulary.json` | the word list the text encoder's ids refer to |
 * | `config.json` | the resolved configuration of the run |
 * | `damsm_state.json` | epochs done, next lr, best validation, encoder options, history |
 * | `damsm_optimizer.safetensors` | Adam state, only with `resetOptimizerEachEpoch: false` |
 * | `metrics.jsonl` | one `{"type":"pretrain","phase":"damsm",...}` line per epoch |
 *
 * Checkpoints are crash-safe (damsm/state.ts): the weights of epoch N are first written as
 * `*.pending`, then `damsm_state.json` (the commit point), then the pending files are renamed over
 * the old ones; on the next start a pending file either completes its epoch's commit or is
 * discarded.
 *
 * The parts: damsm/setup.ts (settings, data, encoders, loaders), damsm/epoch.ts (one epoch),
 * damsm/validation.ts (losses and retrieval on the test split), damsm/state.ts (the folder's
 * files); this file is the schedule.
 */
import { mkdir } from 'node:fs/promises';

import { Adam } from '../../lib/optim.js';
import { setNumThreads } from '../../lib/runtime.js';
import { dispose, type Tensor } from '../../lib/tensor.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { pathExists } from '../util/fs.js';
import { ProgressReporter } from '../util/progress.js';
import { trainDamsmEpoch, type DamsmEpochContext, type DamsmEpochSums } from './damsm/epoch.js';
import type { DamsmNets } from './damsm/forward.js';
import {
  buildDamsmEncoders, checkResumedVocabulary, damsmLoaders, openDamsmData, resolveDamsmRun, resolveDevice, type DamsmRun,
} from './damsm/setup.js';
import { commitDamsmEpoch, rewriteDamsmMetrics, startDamsmRun } from './damsm/state.js';
import type {
  DamsmEpochRecord, DamsmState, DamsmValidation, PretrainDamsmCallbacks, PretrainDamsmOptions, PretrainDamsmSummary,
} from './damsm/types.js';
import { validateDamsm } from './damsm/validation.js';

export { DAMSM_FILES, loadDamsmImageEncoder } from './damsm/state.js';
export type * from './damsm/types.js';
export { top1Hits } from './damsm/validation.js';

/**
 * Pretrains the DAMSM text and image encoders (see the module comment for the schedule and the
 * files written). Deterministic given `train.seed`: the weights are initialised after
 * `manualSeed(seed)`, every iteration reseeds LibTorch from (seed, epoch, step) and the loader
 * draws every crop, flip and caption from the same seed, so a resumed run retraces an
 * uninterrupted one.
 */
export async function pretrainDamsm(options: PretrainDamsmOptions, callbacks: PretrainDamsmCallbacks = {}): Promise<PretrainDamsmSummary> {
  const started = Date.now();
  const run = resolveDamsmRun(options);
  const { damsm, paths, logger } = run;
  await mkdir(run.outDir, { recursive: true });
  let { state, savedVocabulary } = await startDamsmRun(run.outDir, paths, options.resume ?? false, logger);
  const { data, owned } = await openDamsmData(options, run, savedVocabulary);
  let progress: ProgressReporter | null = null;
  let textParams: Map<string, Tensor> | null = null;
  try {
    if (savedVocabulary) checkResumedVocabulary(run, savedVocabulary, data.vocabulary);
    if (run.train.threads && run.train.threads > 0) setNumThreads(run.train.threads);
    const device = resolveDevice(run.train.device);
    const { textEncoder, imageEncoder, imageInfo } = await buildDamsmEncoders(run, options, state, data.vocabulary, device);
    textParams = textEncoder.namedParameters();
    const nets: DamsmNets = { textEncoder, imageEncoder, device, imageSize: damsm.imageSize, gammas: run.gammas, paperForm: run.paperForm };

    // ---- files written once per call ----
    await data.vocabulary.save(paths.vocabulary);
    await writeJsonAtomic(paths.config, run.config);
    const history: DamsmEpochRecord[] = state ? state.history.filter((r) => r.epoch <= state!.epoch) : [];
    await rewriteDamsmMetrics(paths.metrics, history);
    const loaders = damsmLoaders(run, data);

    // ---- schedule ----
    const epochs = damsm.epochs;
    const startEpoch = state?.epoch ?? 0;
    let lr = state?.lr ?? damsm.lr;
    let iteration = state?.iteration ?? 0;
    let elapsed = state?.elapsed ?? 0;
    let best = state?.best ?? null;
    const perEpoch = loaders.train.batchesPerEpoch;
    const totalIts = Math.max(0, epochs - startEpoch) * perEpoch;
    if (startEpoch >= epochs) {
      logger.info(`damsm: ${run.outDir} already has ${startEpoch} of ${epochs} epochs`);
    } else {
      logger.info(
        `damsm: ${data.name} ${data.train.size} train / ${data.test.size} test images, ${data.vocabulary.size} words; ` +
          `${imageInfo.kind} image encoder at ${damsm.imageSize} px, batch ${damsm.batchSize}, ${perEpoch} it/epoch, ` +
          `epochs ${startEpoch + 1}..${epochs}, lr ${lr.toPrecision(3)}, ${device}`,
      );
    }
    const settings = settingsOf(run, data);
    progress = new ProgressReporter({
      total: totalIts, mode: totalIts > 0 && options.progress !== false ? 'auto' : 'off', write: (line) => logger.info(line),
      bar: 'damsm {bar} {value}/{total} | epoch {epoch} | loss {loss} | {rate} it/s | eta {remaining}',
      line: 'damsm {value}/{total} epoch {epoch} loss {loss} {rate} it/s eta {remaining}',
      fields: { epoch: '-', loss: '-' },
    });
    const each: Omit<DamsmEpochContext, 'adam' | 'iterationsBefore'> = {
      nets, loader: loaders.train, textParams, rnnGradClip: damsm.rnnGradClip, seed: run.train.seed, epochs,
      clock: { started: Date.now(), steps: 0 }, progress, callbacks, signal: options.signal,
    };
    let adam: Adam | null = null;
    let stopped = false;
    let epochsRun = 0;

    for (let e = startEpoch; e < epochs; e++) {
      const epoch = e + 1;
      const epochStart = Date.now();
      // official: `optimizer = optim.Adam(para, lr=lr, betas=(0.5, 0.999))` at the top of every epoch
      if (run.resetOptimizer || !adam) {
        adam = new Adam([textEncoder, imageEncoder], { lr, betas: [0.5, 0.999] });
        if (!run.resetOptimizer && state && (await pathExists(paths.optimizer))) await adam.load(paths.optimizer);
      }
      adam.lr = lr;
      const sums = await trainDamsmEpoch({ ...each, adam, iterationsBefore: iteration }, e);
      if (options.signal?.aborted && sums.steps < perEpoch) {
        stopped = true;
        progress.log(`damsm: stopped during epoch ${epoch}; ${run.outDir} keeps epoch ${e}`);
        break;
      }
      iteration += sums.steps;
      const val = loaders.validation ? await validateDamsm(nets, loaders.validation, run.valBatches, run.retrievalPool) : null;
      const seconds = (Date.now() - epochStart) / 1000;
      elapsed += seconds;
      const record = epochRecord(epoch, iteration, elapsed, sums, val, lr, seconds);
      // official: `if lr > cfg.TRAIN.ENCODER_LR / 10.: lr *= 0.98`
      if (lr > damsm.lr / 10) lr *= damsm.lrDecay;
      if (val && (best === null || val.loss < best.valLoss)) best = { epoch, valLoss: val.loss };
      history.push(record);
      const next: DamsmState = {
        format: 'mirrorgan-damsm-state', version: 1, epoch, iteration, lr, elapsed, best,
        textEncoder: textEncoder.options, imageEncoder: imageInfo, settings, history,
      };
      await commitDamsmEpoch(paths, next, textEncoder, imageEncoder, run.resetOptimizer ? null : adam);
      state = next;
      epochsRun++;
      progress.log(describeEpoch(record, epochs));
      await callbacks.onEpoch?.(record);
      if (options.signal?.aborted && epoch < epochs) {
        stopped = true;
        break;
      }
    }

    return {
      outDir: run.outDir, epochs: state?.epoch ?? 0, epochsRun, iterations: state?.iteration ?? 0,
      seconds: (Date.now() - started) / 1000, trainSeconds: state?.elapsed ?? 0, lr: state?.lr ?? lr,
      final: state?.history.at(-1) ?? null, best: state?.best ?? null, stopped,
      files: { textEncoder: paths.textEncoder, imageEncoder: paths.imageEncoder, vocabulary: paths.vocabulary, config: paths.config, state: paths.state, metrics: paths.metrics },
    };
  } finally {
    progress?.stop();
    if (textParams) dispose(textParams);
    if (owned) await data.close();
  }
}

/** The run's settings as recorded in the state file (informational; a resume may change them). */
function settingsOf(run: DamsmRun, data: { name: string; train: { size: number }; test: { size: number } }): Record<string, unknown> {
  const { damsm } = run;
  return {
    batchSize: damsm.batchSize, lr0: damsm.lr, lrDecay: damsm.lrDecay, rnnGradClip: damsm.rnnGradClip, imageSize: damsm.imageSize,
    wordsNum: run.text.wordsNum, seed: run.train.seed, gammas: run.gammas, paperForm: run.paperForm, resetOptimizerEachEpoch: run.resetOptimizer,
    valBatches: run.valBatches, retrievalPool: run.retrievalPool, dataset: data.name, trainImages: data.train.size, testImages: data.test.size,
  };
}

/** The `metrics.jsonl` line and state-history entry of a finished epoch. */
function epochRecord(
  epoch: number, iteration: number, elapsed: number, sums: DamsmEpochSums, val: DamsmValidation | null, lr: number, seconds: number,
): DamsmEpochRecord {
  const mean = (x: number) => x / Math.max(sums.steps, 1);
  const l = sums.loss;
  return {
    type: 'pretrain', phase: 'damsm', epoch, iteration, time: Date.now() / 1000, elapsed,
    loss: { w0: mean(l.w0), w1: mean(l.w1), s0: mean(l.s0), s1: mean(l.s1), total: mean(l.total) },
    val, lr, rnnGradNorm: mean(sums.gradNorm), seconds, itPerSec: sums.steps / Math.max(seconds, 1e-9),
  };
}

function pct(x: number | undefined): string {
  return x === undefined ? '-' : `${(100 * x).toFixed(1)}%`;
}

/** The one line printed per epoch. */
function describeEpoch(r: DamsmEpochRecord, epochs: number): string {
  const val = r.val;
  const v = val
    ? ` | val ${val.loss.toFixed(3)} | R@1 t2i ${pct(val.r1_t2i)} i2t ${pct(val.r1_i2t)} (batches of ${val.batch_size})` +
      (val.pool_size ? ` | pool of ${val.pool_size}: t2i ${pct(val.pool_r1_t2i)} i2t ${pct(val.pool_r1_i2t)}` : '')
    : '';
  return `damsm epoch ${r.epoch}/${epochs}: loss ${r.loss.total.toFixed(3)} (w0 ${r.loss.w0.toFixed(3)} w1 ${r.loss.w1.toFixed(3)} ` +
    `s0 ${r.loss.s0.toFixed(3)} s1 ${r.loss.s1.toFixed(3)})${v} | lr ${r.lr.toPrecision(3)} | ${r.seconds.toFixed(1)} s`;
}
