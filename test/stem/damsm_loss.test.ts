// SPDX-License-Identifier: MIT
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispose, manualSeed, maxAbsDiff, randn, tensor, type Tensor } from '../../lib/index.js';
import { damsmSentLoss, damsmWordsLoss, damsmWordsLossAsync } from '../../src/stem/index.js';
import { gradWithinTolerance, loadFixture, worstOutputViolation } from '../helpers/parity.js';

/** Official CE (mean over rows) of a B x B score matrix with targets 0..B-1 and same-class pairs at -inf. */
function referenceCe(scores: number[][], classes: number[] | null, transpose: boolean): number {
  const B = scores.length;
  let total = 0;
  for (let r = 0; r < B; r++) {
    const row: number[] = [];
    for (let c = 0; c < B; c++) {
      const v = transpose ? scores[c][r] : scores[r][c];
      const masked = classes !== null && c !== r && classes[c] === classes[r];
      row.push(masked ? -Infinity : v);
    }
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
    total += lse - row[r];
  }
  return total / B;
}

function matrix(t: Tensor): number[][] {
  const [B, C] = t.shape;
  const d = t.toArray();
  return Array.from({ length: B }, (_, i) => d.slice(i * C, (i + 1) * C));
}

describe('DAMSM losses: parity with the official code (losses_damsm fixture)', () => {
  let fx: Map<string, Tensor>;
  let sidecar: Record<string, any>;
  beforeAll(async () => {
    ({ tensors: fx, sidecar } = await loadFixture('losses_damsm'));
  });
  afterAll(() => dispose(fx));

  it('reproduces w_loss0/1, s_loss0/1, the attention maps, the total and its gradients', () => {
    const g = sidecar.config['cfg (official keys)'];
    const gammas = { gamma1: g['TRAIN.SMOOTH.GAMMA1'], gamma2: g['TRAIN.SMOOTH.GAMMA2'], gamma3: g['TRAIN.SMOOTH.GAMMA3'] };
    const floats = ['img_features', 'words_emb', 'cnn_code', 'sent_emb'];
    for (const k of floats) fx.get(`in.${k}`)!.requiresGrad = true;
    const common = { classIds: fx.get('in.class_ids')!, labels: fx.get('in.labels')! };
    const w = damsmWordsLoss(
      { imgFeatures: fx.get('in.img_features')!, wordsEmb: fx.get('in.words_emb')!, capLens: fx.get('in.cap_lens')!, ...common },
      { ...gammas, attMaps: true },
    );
    const s = damsmSentLoss({ cnnCode: fx.get('in.cnn_code')!, sentEmb: fx.get('in.sent_emb')!, ...common }, gammas);
    const errors: Record<string, number> = {};
    const check = (mine: Tensor, key: string) => {
      const want = fx.get(key)!;
      expect(mine.shape, key).toEqual(want.shape);
      expect(worstOutputViolation(mine, want), key).toBe(0);
      errors[key] = maxAbsDiff(mine, want);
    };
    check(w.loss0, 'out.w_loss0');
    check(w.loss1, 'out.w_loss1');
    check(s.loss0, 'out.s_loss0');
    check(s.loss1, 'out.s_loss1');
    expect(w.attMaps).toHaveLength(4);
    w.attMaps!.forEach((m, i) => check(m, `out.att_map.${i}`));
    const total = w.loss0.add(w.loss1).add(s.loss0).add(s.loss1);
    check(total, 'out.total');
    total.backward();
    for (const k of floats) {
      const grad = fx.get(`in.${k}`)!.grad!;
      const r = gradWithinTolerance(grad, fx.get(`grad.in.${k}`)!);
      expect(r.ok, `grad.in.${k}: ${r.diff} > ${r.limit}`).toBe(true);
      errors[`grad.in.${k}`] = r.diff;
      grad.dispose();
    }
    console.log('losses_damsm parity, max |diff|:', Object.entries(errors).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', '));
    dispose([w, s, total]);
  });

  it('masks same-class pairs with -inf before both cross entropies, rows = images', () => {
    const inputs = { imgFeatures: fx.get('in.img_features')!, wordsEmb: fx.get('in.words_emb')!, capLens: fx.get('in.cap_lens')! };
    const classes = fx.get('in.class_ids')!.toArray();  // [3, 7, 3, 9]: captions 0 and 2 share a class
    const masked = damsmWordsLoss({ ...inputs, classIds: fx.get('in.class_ids')! });
    const plain = damsmWordsLoss(inputs);
    const S = matrix(masked.scores);
    expect(maxAbsDiff(masked.scores, plain.scores)).toBe(0);  // scores are returned before the mask
    expect(masked.loss0.item()).toBeCloseTo(referenceCe(S, classes, false), 4);
    expect(masked.loss1.item()).toBeCloseTo(referenceCe(S, classes, true), 4);
    expect(plain.loss0.item()).toBeCloseTo(referenceCe(S, null, false), 4);
    expect(plain.loss1.item()).toBeCloseTo(referenceCe(S, null, true), 4);
    expect(Math.abs(masked.loss0.item() - plain.loss0.item())).toBeGreaterThan(1e-4);
    // rows index images: reversing the images reverses the rows and leaves the columns in place
    const img = fx.get('in.img_features')!;
    const per = img.size / img.shape[0];
    const data = img.dataSync() as Float32Array;
    const flipped = new Float32Array(data.length);
    for (let k = 0; k < img.shape[0]; k++) flipped.set(data.subarray(k * per, (k + 1) * per), (img.shape[0] - 1 - k) * per);
    const rev = tensor(flipped, img.shape);
    const swapped = damsmWordsLoss({ ...inputs, imgFeatures: rev });
    const R = matrix(swapped.scores);
    for (let k = 0; k < 4; k++) for (let l = 0; l < 4; l++) expect(R[3 - k][l]).toBeCloseTo(S[k][l], 4);
    dispose([masked, plain, rev, swapped]);
  });

  it('paperForm divides each caption-image score by gamma2 (AttnGAN paper) and the default does not', async () => {
    const inputs = { imgFeatures: fx.get('in.img_features')!, wordsEmb: fx.get('in.words_emb')!, capLens: fx.get('in.cap_lens')! };
    const code = damsmWordsLoss(inputs, { gamma2: 5 });
    const paper = await damsmWordsLossAsync(inputs, { gamma2: 5, paperForm: true });
    const scaled = paper.scores.mul(5);
    expect(maxAbsDiff(scaled, code.scores)).toBeLessThan(1e-4);
    expect(maxAbsDiff(paper.scores, code.scores)).toBeGreaterThan(1);
    expect(paper.attMaps).toBeUndefined();
    dispose([code, paper, scaled]);
  });

  it('sent_loss scores are gamma3 * cosine', () => {
    manualSeed(3);
    const a = randn([3, 5]);
    const b = randn([3, 5]);
    const { scores, loss0, loss1 } = damsmSentLoss({ cnnCode: a, sentEmb: b }, { gamma3: 7 });
    const A = matrix(a), Bm = matrix(b), S = matrix(scores);
    const norm = (v: number[]) => Math.hypot(...v);
    for (let k = 0; k < 3; k++) {
      for (let l = 0; l < 3; l++) {
        const dot = A[k].reduce((acc, x, i) => acc + x * Bm[l][i], 0);
        expect(S[k][l]).toBeCloseTo((7 * dot) / (norm(A[k]) * norm(Bm[l])), 4);
      }
    }
    expect(loss0.item()).toBeCloseTo(referenceCe(S, null, false), 4);
    expect(loss1.item()).toBeCloseTo(referenceCe(S, null, true), 4);
    dispose([a, b, scores, loss0, loss1]);
  });

  it('refuses bad lengths, shapes and gammas', () => {
    const f = randn([2, 8, 3, 3]);
    const w = randn([2, 8, 4]);
    const bad = tensor([5, 2], [2], { dtype: 'int64' });
    expect(() => damsmWordsLoss({ imgFeatures: f, wordsEmb: w, capLens: bad })).toThrow(/cap_lens\[0\] = 5/);
    const ok = tensor([4, 2], [2], { dtype: 'int64' });
    const w3 = randn([3, 8, 4]);
    expect(() => damsmWordsLoss({ imgFeatures: f, wordsEmb: w3, capLens: ok })).toThrow(/words_emb/);
    expect(() => damsmWordsLoss({ imgFeatures: f, wordsEmb: w, capLens: ok }, { gamma1: 0 })).toThrow(/gamma1/);
    dispose([f, w, bad, ok, w3]);
  });
});
