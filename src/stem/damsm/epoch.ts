// SPDX-License-Identifier: MIT
/**
 * One DAMSM training epoch (AttnGAN pretrain_DAMSM.py `train`): per batch the four matching
 * losses, backward on a worker thread, the text encoder's gradient-norm clip, an Adam step.
 */
import { clipGradNormAsync } from '../../../lib/clip_grad_norm.js';
import type { Adam } from '../../../lib/optim.js';
import { manualSeed } from '../../../lib/runtime.js';
import { dispose, tidy, type Tensor } from '../../../lib/tensor.js';
import type { Batch, DataLoader } from '../../data/loader.js';
import { deriveSeed } from '../../util/rng.js';
import type { ProgressReporter } from '../../util/progress.js';
import { damsmForward, type DamsmNets } from './forward.js';
import type { DamsmLosses, PretrainDamsmCallbacks } from './types.js';

/** What one epoch needs besides the nets. */
export interface DamsmEpochContext {
  nets: DamsmNets;
  loader: DataLoader;
  adam: Adam;
  /** The text encoder's parameters, the clip's inputs. */
  textParams: Map<string, Tensor>;
  /** damsm.rnnGradClip (0 = measure the norm only). */
  rnnGradClip: number;
  seed: number;
  /** Run-wide figures for the reports: epochs in all, iterations before this epoch, steps and start time of this call. */
  epochs: number;
  iterationsBefore: number;
  clock: { started: number; steps: number };
  progress: ProgressReporter;
  callbacks: PretrainDamsmCallbacks;
  signal?: AbortSignal;
}

/** The epoch's sums (divide by `steps` for means). */
export interface DamsmEpochSums {
  loss: DamsmLosses;
  gradNorm: number;
  steps: number;
}

/** One iteration: forward, backward (worker thread), text-encoder clip, Adam step; returns the losses and the norm before clipping. */
async function trainStep(ctx: DamsmEpochContext, batch: Batch, epochIndex: number): Promise<DamsmLosses & { gradNorm: number }> {
  const t: Tensor[] = [];
  try {
    manualSeed(deriveSeed(ctx.seed, epochIndex, batch.step, 0xda35));  // dropout masks
    ctx.adam.zeroGrad();
    const { w, s } = await damsmForward(ctx.nets, batch, t, true);
    const total = tidy(() => w.loss0.add(w.loss1).add(s.loss0).add(s.loss1));
    t.push(total);
    await total.backwardAsync();
    // official: clip_grad_norm(rnn_model.parameters(), RNN_GRAD_CLIP); 0 = measure only
    const gradNorm = await clipGradNormAsync(ctx.textParams, { maxNorm: ctx.rnnGradClip > 0 ? ctx.rnnGradClip : Number.MAX_VALUE });
    await ctx.adam.stepAsync();
    return { w0: w.loss0.item(), w1: w.loss1.item(), s0: s.loss0.item(), s1: s.loss1.item(), total: total.item(), gradNorm };
  } finally {
    dispose(t);
  }
}

/** Trains epoch `epochIndex` (0-based); stops after the current iteration once `signal` aborts. */
export async function trainDamsmEpoch(ctx: DamsmEpochContext, epochIndex: number): Promise<DamsmEpochSums> {
  const epoch = epochIndex + 1;
  const sums: DamsmEpochSums = { loss: { w0: 0, w1: 0, s0: 0, s1: 0, total: 0 }, gradNorm: 0, steps: 0 };
  for await (const batch of ctx.loader.epoch(epochIndex)) {
    const r = await trainStep(ctx, batch, epochIndex);
    for (const k of ['w0', 'w1', 's0', 's1', 'total'] as const) sums.loss[k] += r[k];
    sums.gradNorm += r.gradNorm;
    sums.steps++;
    ctx.clock.steps++;
    const itPerSec = ctx.clock.steps / Math.max((Date.now() - ctx.clock.started) / 1000, 1e-9);
    ctx.progress.update(ctx.clock.steps, { epoch: `${epoch}/${ctx.epochs}`, loss: (sums.loss.total / sums.steps).toFixed(3) });
    await ctx.callbacks.onIteration?.({
      epoch, step: batch.step, iteration: ctx.iterationsBefore + sums.steps, itPerSec, rnnGradNorm: r.gradNorm,
      loss: { w0: r.w0, w1: r.w1, s0: r.s0, s1: r.s1, total: r.total },
    });
    if (ctx.signal?.aborted) break;
  }
  return sums;
}
