// SPDX-License-Identifier: MIT
/**
 * The divergence guard of GAN training: an iteration whose losses or gradients hold NaN/Inf
 * takes no further optimizer step and no EMA update, and G's BatchNorm statistics are put back
 * as they were before it (a non-finite forward would otherwise leave them in every later sample
 * and checkpoint). After `limit` such iterations in a row training stops with ERR_DIVERGED.
 *
 * Cheap by construction: the losses are on the host already (they are logged), and each
 * optimizer checks all its gradients in one fused reduction with one host synchronisation
 * (Adam's checkFinite, native/addon/adam_wrap.cpp), refusing the step with ERR_NON_FINITE.
 */
import { MirrorganError } from '../../lib/errors.js';
import { copyInto, dispose, keep, type Tensor } from '../../lib/tensor.js';

/** An optimizer whose step refuses non-finite gradients with ERR_NON_FINITE (lib/optim.ts Adam). */
export interface GuardedOptimizer {
  stepAsync(): Promise<void>;
}

export class DivergenceGuard {
  /** Non-finite iterations in a row that stop training (`train.maxNonFiniteSteps`). */
  readonly limit: number;
  /** Non-finite iterations in a row so far. */
  inRow = 0;
  /** Why the current (or last) iteration was skipped: e.g. `loss D1 = NaN`; null when it was not. */
  skipped: string | null = null;
  #buffers: Tensor[] = [];
  #saved: Tensor[] = [];

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Starts an iteration; `buffers` (G's BatchNorm statistics) are restored if it is skipped. */
  begin(buffers: Tensor[]): void {
    this.skipped = null;
    this.#buffers = buffers;
    this.#saved = buffers.map((b) => keep(b.clone()));
  }

  /**
   * Steps `optimizer` unless this iteration already met a non-finite value, one of `lossNames`
   * in `losses` is not finite, or its gradients are not (then the step is refused natively).
   * Returns whether it stepped.
   */
  async step(optimizer: GuardedOptimizer, lossNames: readonly string[], losses: Record<string, number>): Promise<boolean> {
    if (this.skipped) return false;
    const bad = lossNames.find((k) => !Number.isFinite(losses[k]));
    if (bad !== undefined) {
      this.skipped = `loss ${bad} = ${losses[bad]}`;
      return false;
    }
    try {
      await optimizer.stepAsync();
      return true;
    } catch (e) {
      if ((e as MirrorganError).code !== 'ERR_NON_FINITE') throw e;
      this.skipped = `gradients of ${lossNames.join(' + ')} (${(e as Error).message})`;
      return false;
    }
  }

  /** Takes a module's refusal of a NaN/Inf input (ERR_NON_FINITE) as this iteration's skip; false for any other error. */
  absorb(e: unknown): boolean {
    if ((e as MirrorganError)?.code !== 'ERR_NON_FINITE') return false;
    this.skipped ??= `non-finite input (${(e as Error).message})`;
    return true;
  }

  /** Ends the iteration: restores the statistics of a skipped one and counts it. Returns the skip reason or null. */
  end(): string | null {
    if (this.skipped) copyInto(this.#buffers, this.#saved);
    dispose(this.#saved);
    this.#saved = [];
    this.inRow = this.skipped ? this.inRow + 1 : 0;
    return this.skipped;
  }

  /** Whether `limit` iterations in a row were skipped: training must stop. */
  get diverged(): boolean {
    return this.inRow >= this.limit;
  }

  /** The ERR_DIVERGED error to stop with at `iteration`; `lastGood` is the checkpoint that stays. */
  error(iteration: number, lastGood: string | null): MirrorganError {
    return new MirrorganError(
      'ERR_DIVERGED',
      `training diverged: ${this.inRow} iterations in a row up to iteration ${iteration} had non-finite values (last: ${this.skipped}); ` +
        `no checkpoint of this state was written, the last good one is ${lastGood ?? 'none (no checkpoint yet)'}. ` +
        'Lower train.generatorLr / train.discriminatorLr, or check the data and the initial weights',
    );
  }
}
