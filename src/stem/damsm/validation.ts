// SPDX-License-Identifier: MIT
/**
 * DAMSM validation on the test split: the mean loss terms (as AttnGAN pretrain_DAMSM.py
 * `evaluate`) and top-1 retrieval, within each batch and over a pool of validated pairs.
 */
import { dispose, tensor, tidy, type Tensor } from '../../../lib/tensor.js';
import type { DataLoader } from '../../data/loader.js';
import { damsmForward, type DamsmNets } from './forward.js';
import type { DamsmValidation } from './types.js';

/**
 * Top-1 hits of a (n x n) score matrix, rows = images, columns = captions, pair (k, k) true.
 * Other candidates of the query's class are skipped; a tie with the true pair is a miss.
 */
export function top1Hits(scores: Float32Array | Float64Array, n: number, classIds?: ArrayLike<number>): { i2t: number; t2i: number } {
  let i2t = 0;
  let t2i = 0;
  for (let k = 0; k < n; k++) {
    const own = scores[k * n + k] as number;
    let rowHit = true;
    let colHit = true;
    for (let l = 0; l < n && (rowHit || colHit); l++) {
      if (l === k || (classIds && classIds[l] === classIds[k])) continue;
      if ((scores[k * n + l] as number) >= own) rowHit = false;   // image k ranks caption l at least as high
      if ((scores[l * n + k] as number) >= own) colHit = false;   // caption k ranks image l at least as high
    }
    if (rowHit) i2t++;
    if (colHit) t2i++;
  }
  return { i2t, t2i };
}

/** Rows scaled to unit L2 norm (norm clamped at 1e-8, as the loss's cosine). */
function normalizeRows(x: Float32Array, n: number, d: number): Float32Array {
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += (x[i * d + j] as number) ** 2;
    const inv = 1 / Math.max(Math.sqrt(s), 1e-8);
    for (let j = 0; j < d; j++) out[i * d + j] = (x[i * d + j] as number) * inv;
  }
  return out;
}

/** The first validated pairs' sentence-level codes, for the whole-pool retrieval figure. */
class RetrievalPool {
  readonly #img: Float32Array[] = [];
  readonly #txt: Float32Array[] = [];
  readonly #cls: number[] = [];
  #dim = 0;

  constructor(readonly cap: number) {}

  /** Adds the batch's pairs while the pool has room. */
  add(cnnCode: Tensor, sentEmb: Tensor, classIds: Int32Array): void {
    if (this.#cls.length >= this.cap) return;
    const B = cnnCode.shape[0] as number;
    const take = Math.min(B, this.cap - this.#cls.length);
    this.#dim = cnnCode.shape[1] as number;
    this.#img.push(cnnCode.dataSync<'float32'>().slice(0, take * this.#dim));  // (take, nef)
    this.#txt.push(sentEmb.dataSync<'float32'>().slice(0, take * this.#dim));  // (take, nef)
    for (let k = 0; k < take; k++) this.#cls.push(classIds[k] as number);
  }

  /** Top-1 rates over the pool by sentence cosine; null with fewer than two pairs. */
  rates(): Pick<DamsmValidation, 'pool_r1_t2i' | 'pool_r1_i2t' | 'pool_size'> | null {
    const P = this.#cls.length;
    const D = this.#dim;
    if (P < 2) return null;
    const rows = (parts: Float32Array[]) => {
      const out = new Float32Array(P * D);
      let o = 0;
      for (const p of parts) {
        out.set(p, o);
        o += p.length;
      }
      return normalizeRows(out, P, D);
    };
    const sim = tidy(() => tensor(rows(this.#img), [P, D]).matmul(tensor(rows(this.#txt), [P, D]).transpose(0, 1)));  // (P, P) cosines
    const h = top1Hits(sim.dataSync<'float32'>(), P, this.#cls);
    sim.dispose();
    return { pool_r1_t2i: h.t2i / P, pool_r1_i2t: h.i2t / P, pool_size: P };
  }
}

/**
 * Losses and retrieval on up to `maxBatches` batches of `loader` (its epoch 0: fixed batches),
 * in eval mode without a graph; the encoders are back in train mode afterwards.
 */
export async function validateDamsm(nets: DamsmNets, loader: DataLoader, maxBatches: number, poolCap: number): Promise<DamsmValidation> {
  nets.textEncoder.eval();
  nets.imageEncoder.eval();
  let wSum = 0;
  let sSum = 0;
  let n = 0;
  let items = 0;
  const hits = { t2i: 0, i2t: 0, t2iW: 0, i2tW: 0 };
  const pool = new RetrievalPool(poolCap);
  try {
    for await (const batch of loader.epoch(0)) {
      const t: Tensor[] = [];
      try {
        const { img, txt, w, s } = await damsmForward(nets, batch, t, false);
        const B = batch.batchSize;
        wSum += w.loss0.item() + w.loss1.item();
        sSum += s.loss0.item() + s.loss1.item();
        const hs = top1Hits(s.scores.dataSync<'float32'>(), B, batch.classIds);
        const hw = top1Hits(w.scores.dataSync<'float32'>(), B, batch.classIds);
        hits.t2i += hs.t2i;
        hits.i2t += hs.i2t;
        hits.t2iW += hw.t2i;
        hits.i2tW += hw.i2t;
        items += B;
        pool.add(img.cnnCode, txt.sentEmb, batch.classIds);
      } finally {
        dispose(t);
      }
      if (++n >= maxBatches) break;
    }
  } finally {
    nets.textEncoder.train();
    nets.imageEncoder.train();
  }
  return {
    loss: (wSum + sSum) / n, w_loss: wSum / n, s_loss: sSum / n,
    r1_t2i: hits.t2i / items, r1_i2t: hits.i2t / items,
    r1_t2i_words: hits.t2iW / items, r1_i2t_words: hits.i2tW / items,
    batches: n, batch_size: loader.options.batchSize,
    ...pool.rates(),
  };
}
