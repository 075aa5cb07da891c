// SPDX-License-Identifier: MIT
// The guides' score matrices agree with the losses training uses, pair by pair.
import { describe, expect, it } from 'vitest';
import { dispose, manualSeed, randn, tensor, tidy } from '../../lib/index.js';
import { captionerCrossEntropies, damsmSentenceScores } from '../../src/eval/guide_scores.js';
import { CompactImageEncoder } from '../../src/stem/index.js';
import { CaptionDecoder, CaptionEncoder, captionLoss, frozenCaptioner } from '../../src/stream/index.js';
import { tokenize, Vocabulary } from '../../src/text/index.js';

const CAPTIONS = ['red circle', 'blue square', 'a green heart', 'yellow'];

describe('guide score matrices', () => {
  it("captionerCrossEntropies: entry (i, j) is STREAM's cross-entropy of caption j on image i alone", async () => {
    manualSeed(3);
    const vocab = Vocabulary.fromTokens(CAPTIONS.map(tokenize));
    const cap = frozenCaptioner({
      encoder: new CaptionEncoder({ arch: 'compact', imageSize: 32, ndf: 4, embedSize: 16 }),
      decoder: new CaptionDecoder({ nWords: vocab.size, embedSize: 16, hiddenSize: 24, endToken: true }),
    });
    const images = randn([3, 3, 32, 32]);
    const ce = await captionerCrossEntropies(cap, vocab, images, CAPTIONS);
    expect(ce).toHaveLength(3);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < CAPTIONS.length; j++) {
        const ids = vocab.encodeCaption(CAPTIONS[j]!).ids;
        const one = tidy(() => cap.loss(
          images.indexSelect(0, tensor([i], [1], { dtype: 'int64' })),
          tensor(ids, [1, ids.length], { dtype: 'int64' }), tensor([ids.length], [1], { dtype: 'int64' }),
        ).loss);
        expect(ce[i]![j]).toBeCloseTo(one.item(), 4);
        dispose(one);
      }
    }
    // Distinct images get distinct rows (the packed rows were not mixed up).
    expect(ce[0]![0]).not.toBeCloseTo(ce[1]![0]!, 4);
    await expect(captionerCrossEntropies(cap, vocab, images, ['purple circle'])).rejects.toThrow(/captions\[0\]/);
    dispose(images);
  });

  it("damsmSentenceScores: entry (i, j) is the cosine of image i's global code and sentence j", async () => {
    manualSeed(4);
    const enc = new CompactImageEncoder({ ndf: 4, nef: 8, imageSize: 32 });
    enc.eval();
    const images = randn([2, 3, 32, 32]);
    const sentences = [Float32Array.from({ length: 8 }, (_, k) => k - 3), Float32Array.from({ length: 8 }, (_, k) => (k % 2 ? 1 : -2))];
    const s = await damsmSentenceScores(enc, images, sentences);
    const code = (await enc.encode(images, { grad: false }).cnnCode.data()) as Float32Array;
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 2; j++) {
        const a = code.slice(i * 8, i * 8 + 8);
        const b = sentences[j]!;
        const dot = a.reduce((t, v, k) => t + v * b[k]!, 0);
        const cos = dot / Math.sqrt(a.reduce((t, v) => t + v * v, 0) * b.reduce((t, v) => t + v * v, 0));
        expect(s[i]![j]).toBeCloseTo(cos, 5);
      }
    }
    await expect(damsmSentenceScores(enc, images, [new Float32Array(3)])).rejects.toThrow(/8 values/);
    dispose(images);
  });
});
