// SPDX-License-Identifier: MIT
/**
 * Inception Score (Salimans et al., 2016) as OpenAI's improved-gan `inception_score.py` computes
 * it (the AttnGAN / DM-GAN / MirrorGAN numbers): softmax predictions p(y|x) of N images split in
 * order into `splits` parts (part i = rows ⌊i·N/splits⌋ .. ⌊(i+1)·N/splits⌋ − 1); per part
 * exp(mean_x KL(p(y|x) ‖ p(y))) with p(y) the part's mean prediction; the score is the mean and
 * the (population, numpy's default) standard deviation over the parts.
 *
 * Streaming: per part, Σ_x Σ_y p log p and the column sums S_y = Σ_x p(y|x) suffice, since
 * Σ_x KL = Σ_x Σ_y p log p − Σ_y S_y log(S_y / n). Memory O(splits · classes), not O(N · classes).
 */
import { invalidArg } from '../../lib/errors.js';

/** Default number of parts, as in every published IS. */
export const IS_SPLITS = 10;

export interface InceptionScoreResult {
  mean: number;
  std: number;
  /** exp(mean KL) of each part. */
  parts: number[];
  samples: number;
  classes: number;
}

/** Adds predictions in image order; {@link result} once all `total` rows are in. */
export class InceptionScoreAccumulator {
  readonly total: number;
  readonly classes: number;
  readonly splits: number;
  #row = 0;
  #part = 0;
  /** Part i holds rows bounds[i] .. bounds[i + 1] − 1. */
  readonly #bounds: Int32Array;
  readonly #entropy: Float64Array;  // per part: Σ p log p
  readonly #sums: Float64Array;     // per part: column sums (splits × classes)
  readonly #counts: Int32Array;

  constructor(total: number, classes: number, splits = IS_SPLITS) {
    if (!Number.isInteger(splits) || splits < 1) throw invalidArg('splits', 'a positive integer', splits);
    if (!Number.isInteger(total) || total < splits) throw invalidArg('total', `an integer of at least ${splits} (the number of splits)`, total);
    if (!Number.isInteger(classes) || classes < 2) throw invalidArg('classes', 'an integer of at least 2', classes);
    this.total = total;
    this.classes = classes;
    this.splits = splits;
    this.#entropy = new Float64Array(splits);
    this.#sums = new Float64Array(splits * classes);
    this.#counts = new Int32Array(splits);
    this.#bounds = Int32Array.from({ length: splits + 1 }, (_, i) => Math.floor((i * total) / splits));
  }

  /** Adds `rows` probability vectors (row-major, each summing to 1). */
  addProbabilities(probs: ArrayLike<number>, rows: number): void {
    this.#add(rows, probs.length, (r, out) => {
      for (let c = 0; c < this.classes; c++) out[c] = probs[r * this.classes + c] as number;
    });
  }

  /** Adds `rows` logit vectors (row-major); softmax in float64. */
  addLogits(logits: ArrayLike<number>, rows: number): void {
    this.#add(rows, logits.length, (r, out) => {
      let max = -Infinity;
      for (let c = 0; c < this.classes; c++) max = Math.max(max, logits[r * this.classes + c] as number);
      let z = 0;
      for (let c = 0; c < this.classes; c++) z += out[c] = Math.exp((logits[r * this.classes + c] as number) - max);
      for (let c = 0; c < this.classes; c++) out[c] = (out[c] as number) / z;
    });
  }

  #add(rows: number, length: number, fill: (r: number, out: Float64Array) => void): void {
    if (!Number.isInteger(rows) || rows < 0 || length !== rows * this.classes) {
      throw invalidArg('rows', `the row count of ${length} values of ${this.classes} classes`, rows);
    }
    if (this.#row + rows > this.total) throw invalidArg('rows', `at most ${this.total - this.#row} more rows`, rows);
    const p = new Float64Array(this.classes);
    for (let r = 0; r < rows; r++) {
      fill(r, p);
      while (this.#row >= (this.#bounds[this.#part + 1] as number)) this.#part++;
      const part = this.#part;
      this.#row++;
      let h = 0;
      for (let c = 0; c < this.classes; c++) {
        const v = p[c] as number;
        if (!(v >= 0)) throw invalidArg('predictions', 'probabilities (finite, non-negative)', v);
        if (v > 0) h += v * Math.log(v);  // 0 log 0 = 0
        this.#sums[part * this.classes + c] += v;
      }
      this.#entropy[part] += h;
      this.#counts[part]++;
    }
  }

  result(): InceptionScoreResult {
    if (this.#row !== this.total) throw invalidArg('rows added', `${this.total} rows`, this.#row);
    const parts = Array.from({ length: this.splits }, (_, i) => {
      const n = this.#counts[i] as number;
      let cross = 0;
      for (let c = 0; c < this.classes; c++) {
        const s = this.#sums[i * this.classes + c] as number;
        if (s > 0) cross += s * Math.log(s / n);
      }
      return Math.exp(((this.#entropy[i] as number) - cross) / n);
    });
    const mean = parts.reduce((a, b) => a + b, 0) / parts.length;
    const std = Math.sqrt(parts.reduce((a, b) => a + (b - mean) ** 2, 0) / parts.length);
    return { mean, std, parts, samples: this.total, classes: this.classes };
  }
}

/** The Inception Score of N probability vectors (row-major, N × classes). */
export function inceptionScore(probs: ArrayLike<number>, classes: number, splits = IS_SPLITS): InceptionScoreResult {
  const rows = probs.length / classes;
  const acc = new InceptionScoreAccumulator(rows, classes, splits);
  acc.addProbabilities(probs, rows);
  return acc.result();
}
