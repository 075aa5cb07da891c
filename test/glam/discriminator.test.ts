// SPDX-License-Identifier: MIT
import { describe, expect, it } from 'vitest';

import { dispose, manualSeed, maxAbsDiff, randn, tensor, tidy } from '../../lib/index.js';
import { Discriminator } from '../../src/glam/index.js';

describe('Discriminator mismatched-caption term', () => {
  it('pairs real image k with sentence k+1 of the batch (official) and needs a batch of two', async () => {
    manualSeed(3);
    const d = new Discriminator({ size: 64, dfDim: 4, efDim: 8 }).eval();
    const real = randn([3, 3, 64, 64]);
    const fake = randn([3, 3, 64, 64]);
    const sent = randn([3, 8]);
    const shift = await d.dLoss(real, fake, sent);
    expect(shift.parts.cond_wrong_logits.shape).toEqual([2]);
    const first2 = tensorOf([0, 1]);
    const last2 = tensorOf([1, 2]);
    const expected = tidy(() => d.call('logits', { features: shift.parts.features_real.indexSelect(0, first2), sent_emb: sent.indexSelect(0, last2) }).cond_logits);
    expect(maxAbsDiff(shift.parts.cond_wrong_logits, expected)).toBe(0);
    const errD = tidy(() => shift.parts.uncond_real_bce.add(shift.parts.cond_real_bce).div(2)
      .add(shift.parts.uncond_fake_bce.add(shift.parts.cond_fake_bce).add(shift.parts.cond_wrong_bce).div(3)));
    expect(maxAbsDiff(shift.errD, errD)).toBeLessThan(1e-6);
    const one = tensorOf([0]);
    await expect(d.dLoss(real.indexSelect(0, one), fake.indexSelect(0, one), sent.indexSelect(0, one))).rejects.toThrow(/batch of at least 2/);
    await expect(d.dLoss(real, fake, randn([2, 8]))).rejects.toThrow(/same batch size/);
    dispose([shift, expected, errD, real, fake, sent, first2, last2, one]);
  });
});

function tensorOf(ix: number[]) {
  return tensor(BigInt64Array.from(ix, BigInt), [ix.length], { dtype: 'int64' });
}
