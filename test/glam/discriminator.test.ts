// SPDX-License-Identifier: MIT
import { describe, expect, it } from 'vitest';

import { dispose, manualSeed, maxAbsDiff, randn, tensor, tidy } from '../../lib/index.js';
import { Discriminator } from '../../src/glam/index.js';

describe('Discriminator mismatched-caption term', () => {
  it('pairs real image k with wrongSentEmb[k] when given, with sentence k+1 otherwise', async () => {
    manualSeed(3);
    const d = new Discriminator({ size: 64, dfDim: 4, efDim: 8 }).eval();
    const real = randn([3, 3, 64, 64]);
    const fake = randn([3, 3, 64, 64]);
    const sent = randn([3, 8]);
    const wrong = randn([3, 8]);
    const shift = await d.dLoss(real, fake, sent);
    const hard = await d.dLoss(real, fake, sent, wrong);
    expect(shift.parts.cond_wrong_logits.shape).toEqual([2]);
    expect(hard.parts.cond_wrong_logits.shape).toEqual([3]);
    const expected = d.call('logits', { features: hard.parts.features_real, sent_emb: wrong });
    expect(maxAbsDiff(hard.parts.cond_wrong_logits, expected.cond_logits)).toBe(0);
    // Everything but the wrong term is the same.
    for (const k of ['cond_real_bce', 'cond_fake_bce', 'uncond_real_bce', 'uncond_fake_bce']) expect(maxAbsDiff(hard.parts[k], shift.parts[k]), k).toBe(0);
    const errD = tidy(() => hard.parts.uncond_real_bce.add(hard.parts.cond_real_bce).div(2)
      .add(hard.parts.uncond_fake_bce.add(hard.parts.cond_fake_bce).add(hard.parts.cond_wrong_bce).div(3)));
    expect(maxAbsDiff(hard.errD, errD)).toBeLessThan(1e-6);
    // A one-image batch has a wrong term only with wrongSentEmb.
    const one = await d.dLoss(real.indexSelect(0, tensorOf([0])), fake.indexSelect(0, tensorOf([0])), sent.indexSelect(0, tensorOf([0])), wrong.indexSelect(0, tensorOf([0])));
    expect(one.parts.cond_wrong_logits.shape).toEqual([1]);
    await expect(d.dLoss(real, fake, sent, randn([2, 8]))).rejects.toThrow(/same batch size/);
    await expect(d.dLoss(real, fake, sent, randn([3, 5]))).rejects.toThrow(/wrong_sent_emb/);
    dispose([shift, hard, expected, one, errD, real, fake, sent, wrong]);
  });
});

function tensorOf(ix: number[]) {
  return tensor(BigInt64Array.from(ix, BigInt), [ix.length], { dtype: 'int64' });
}
