// SPDX-License-Identifier: MIT
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MirrorganError } from '../../lib/errors.js';
import { dispose, manualSeed, maxAbsDiff, tensor, type Tensor } from '../../lib/index.js';
import { TextEncoder } from '../../src/stem/index.js';
import { loadFixture, worstOutputViolation } from '../helpers/parity.js';

/** The weights of a fixture: every entry that is not an in./out./grad. tensor. */
function weightsOf(tensors: Map<string, Tensor>): Map<string, Tensor> {
  return new Map([...tensors].filter(([k]) => !/^(in|out|grad)\./.test(k)));
}

describe('RNN_ENCODER parity with the official code (text_encoder fixture)', () => {
  let fx: Map<string, Tensor>;
  let sidecar: Record<string, any>;
  beforeAll(async () => {
    ({ tensors: fx, sidecar } = await loadFixture('text_encoder'));
  });
  afterAll(() => dispose(fx));

  it('loads the official weights key for key and reproduces words_emb, sent_emb and mask', () => {
    const enc = new TextEncoder({ nTokens: sidecar.config.n_words, rnnType: 'LSTM' });
    const weights = weightsOf(fx);
    // strict load: the key set and every shape must match exactly
    expect(enc.loadStateDict(weights)).toEqual({ missing: [], unexpected: [] });
    expect([...enc.namedStateDict().keys()]).toEqual(Object.keys(sidecar.weights[0].keys));
    enc.eval();
    const { wordsEmb, sentEmb, mask } = enc.encode(fx.get('in.captions')!, fx.get('in.cap_lens')!, { grad: false });
    const wantWords = fx.get('out.words_emb')!;
    const wantSent = fx.get('out.sent_emb')!;
    expect(wordsEmb.shape).toEqual(wantWords.shape);
    expect(sentEmb.shape).toEqual(wantSent.shape);
    expect(worstOutputViolation(wordsEmb, wantWords)).toBe(0);
    expect(worstOutputViolation(sentEmb, wantSent)).toBe(0);
    const errWords = maxAbsDiff(wordsEmb, wantWords);
    const errSent = maxAbsDiff(sentEmb, wantSent);
    console.log(`text_encoder parity: max |diff| words_emb ${errWords.toExponential(2)}, sent_emb ${errSent.toExponential(2)}`);
    expect(mask.dtype).toBe('bool');
    expect(mask.shape).toEqual(fx.get('out.mask')!.shape);
    expect(mask.toArray()).toEqual(fx.get('out.mask')!.toArray());
    dispose([enc.namedStateDict(), wordsEmb, sentEmb, mask, weights]);
  });

  it('refuses a state dict with a wrong shape or a missing key', () => {
    const enc = new TextEncoder({ nTokens: sidecar.config.n_words + 1 });
    const weights = weightsOf(fx);
    expect(() => enc.loadStateDict(weights)).toThrow(/encoder\.weight/);
    const gru = new TextEncoder({ nTokens: sidecar.config.n_words, rnnType: 'GRU' });
    expect(() => gru.loadStateDict(weights)).toThrow(MirrorganError);
    dispose(weights);
  });
});

describe('RNN_ENCODER structure and behaviour', () => {
  it('has the official 9 keys and 2,075,320 parameters for n_words 5450 (reference §9.3)', () => {
    const enc = new TextEncoder({ nTokens: 5450 });
    const sd = enc.namedStateDict();
    const shapes = Object.fromEntries([...sd].map(([k, t]) => [k, t.shape]));
    expect(shapes).toEqual({
      'encoder.weight': [5450, 300],
      'rnn.weight_ih_l0': [512, 300],
      'rnn.weight_hh_l0': [512, 128],
      'rnn.bias_ih_l0': [512],
      'rnn.bias_hh_l0': [512],
      'rnn.weight_ih_l0_reverse': [512, 300],
      'rnn.weight_hh_l0_reverse': [512, 128],
      'rnn.bias_ih_l0_reverse': [512],
      'rnn.bias_hh_l0_reverse': [512],
    });
    expect([...sd.keys()][0]).toBe('encoder.weight');
    expect(enc.numParameters()).toBe(2_075_320);
    // official init: embedding U(-0.1, 0.1), whose float32 bounds are ±fround(0.1) (just past ±0.1)
    const emb = sd.get('encoder.weight')!.dataSync() as Float32Array;
    let lo = Infinity, hi = -Infinity;
    for (const v of emb) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    expect(lo).toBeGreaterThanOrEqual(Math.fround(-0.1));
    expect(hi).toBeLessThanOrEqual(Math.fround(0.1));
    expect(hi - lo).toBeGreaterThan(0.19);
    dispose(sd);
  });

  it('GRU variant: 3-gate weights under the same names', () => {
    const enc = new TextEncoder({ nTokens: 20, nInput: 8, nHidden: 16, rnnType: 'GRU' });
    const sd = enc.namedStateDict();
    expect(sd.get('rnn.weight_ih_l0_reverse')!.shape).toEqual([24, 8]);
    expect(sd.get('rnn.weight_hh_l0')!.shape).toEqual([24, 8]);
    const { wordsEmb, sentEmb } = enc.eval().encode(tensor([3, 4, 5, 0, 7, 8, 0, 0], [2, 4], { dtype: 'int64' }), tensor([3, 2], [2], { dtype: 'int64' }));
    expect(wordsEmb.shape).toEqual([2, 16, 3]);
    expect(sentEmb.shape).toEqual([2, 16]);
    dispose([sd, wordsEmb, sentEmb]);
  });

  it('words past each length are exactly 0, T = max length, and sent_emb = [last fwd; first bwd]', () => {
    manualSeed(5);
    const enc = new TextEncoder({ nTokens: 30, nInput: 12, nHidden: 10 }).eval();
    // WORDS_NUM 6, lengths 5/3/1
    const caps = tensor([1, 2, 3, 4, 5, 0, 6, 7, 8, 0, 0, 0, 9, 0, 0, 0, 0, 0], [3, 6], { dtype: 'int64' });
    const lens = tensor([5, 3, 1], [3], { dtype: 'int64' });
    const { wordsEmb, sentEmb, mask } = enc.encode(caps, lens);
    expect(wordsEmb.shape).toEqual([3, 10, 5]);
    expect(mask.shape).toEqual([3, 5]);
    expect(mask.toArray()).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 1, 1, 1]);
    const w = wordsEmb.dataSync() as Float32Array;
    const s = sentEmb.dataSync() as Float32Array;
    const lengths = [5, 3, 1];
    for (let b = 0; b < 3; b++) {
      for (let c = 0; c < 10; c++) {
        for (let t = 0; t < 5; t++) {
          const v = w[(b * 10 + c) * 5 + t];
          if (t >= lengths[b]) expect(v).toBe(0);
          else expect(v).not.toBe(0);
        }
        // forward half of sent_emb = forward state at the last real word; backward half = state at word 0
        const want = c < 5 ? w[(b * 10 + c) * 5 + lengths[b] - 1] : w[(b * 10 + c) * 5 + 0];
        expect(s[b * 10 + c]).toBeCloseTo(want, 6);
      }
    }
    // the padding ids beyond a length never matter (packed sequence)
    const caps2 = tensor([1, 2, 3, 4, 5, 9, 6, 7, 8, 9, 9, 9, 9, 9, 9, 9, 9, 9], [3, 6], { dtype: 'int64' });
    const again = enc.encode(caps2, lens);
    expect(maxAbsDiff(again.wordsEmb, wordsEmb)).toBe(0);
    expect(maxAbsDiff(again.sentEmb, sentEmb)).toBe(0);
    dispose([caps, lens, caps2, wordsEmb, sentEmb, mask, again]);
  });

  it('dropout acts in train mode only', () => {
    manualSeed(6);
    const enc = new TextEncoder({ nTokens: 30, nInput: 16, nHidden: 8 });
    const caps = tensor([1, 2, 3, 4, 5, 6], [2, 3], { dtype: 'int64' });
    const lens = tensor([3, 3], [2], { dtype: 'int64' });
    const a = enc.train().encode(caps, lens).sentEmb;
    const b = enc.encode(caps, lens).sentEmb;
    expect(maxAbsDiff(a, b)).toBeGreaterThan(0);
    const c = enc.eval().encode(caps, lens).sentEmb;
    const d = enc.encode(caps, lens).sentEmb;
    expect(maxAbsDiff(c, d)).toBe(0);
    dispose([caps, lens, a, b, c, d]);
  });

  it('refuses unsorted lengths, out-of-range lengths and ids outside the vocabulary', () => {
    const enc = new TextEncoder({ nTokens: 10, nInput: 4, nHidden: 4 }).eval();
    const caps = tensor([1, 2, 0, 3, 4, 5], [2, 3], { dtype: 'int64' });
    const bad = [
      { lens: [2, 3], re: /sorted in decreasing order/ },
      { lens: [4, 3], re: /outside 1\.\.3/ },
      { lens: [3, 0], re: /outside 1\.\.3/ },
    ];
    for (const { lens, re } of bad) {
      const l = tensor(lens, [2], { dtype: 'int64' });
      expect(() => enc.encode(caps, l)).toThrow(re);
      l.dispose();
    }
    const big = tensor([1, 2, 10, 3, 4, 5], [2, 3], { dtype: 'int64' });
    const l = tensor([3, 3], [2], { dtype: 'int64' });
    expect(() => enc.encode(big, l)).toThrow(/vocabulary/);
    const f = tensor([1, 2, 0, 3, 4, 5], [2, 3]);
    expect(() => enc.encode(f, l)).toThrow(/int64/);
    expect(() => new TextEncoder({ nTokens: 10, nHidden: 7 })).toThrow(/even/);
    expect(() => new TextEncoder({ nTokens: 0 })).toThrow(/nTokens/);
    expect(new TextEncoder({ nTokens: 10, nInput: undefined }).options).toEqual({ nTokens: 10, nInput: 300, nHidden: 256, dropProb: 0.5, rnnType: 'LSTM' });
    expect(() => new TextEncoder({ nTokens: 10, rnnType: 'RNN' as 'GRU' })).toThrow(/LSTM/);
    dispose([caps, big, l, f]);
  });
});
