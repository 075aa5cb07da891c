// SPDX-License-Identifier: MIT
// L_G written once: each weight applied once, the summands named, a zero weight skips its term.
import { describe, expect, it } from 'vitest';
import { dispose, full, memory, type Tensor } from '../../lib/index.js';
import { resolveConfig } from '../../src/config/index.js';
import { generatorLoss, generatorLossWeights } from '../../src/train/generator_loss.js';

const scalar = (value: number): Tensor => full([], value);

/** A term computed on demand that counts its calls. */
function counted(value: number): { term: () => Promise<Tensor>; calls: () => number } {
  let n = 0;
  return { term: async () => (n++, scalar(value)), calls: () => n };
}

describe('generatorLoss (L_G = Σ_i L_G_i^adv + λ_stream·L_stream + KL + λ_damsm·L_damsm)', () => {
  it('applies each weight once and names every summand in summation order', async () => {
    const adversarial = [scalar(1.5), scalar(2.25)];
    const kl = scalar(0.125);
    const stream = counted(3);
    const damsm = counted(0.5);
    const { total, terms } = await generatorLoss({ adversarial, kl, stream: stream.term, damsm: damsm.term }, { stream: 10, damsm: 5 });
    expect(Object.keys(terms)).toEqual(['G_adv0', 'G_adv1', 'KL', 'STREAM', 'DAMSM']);
    expect(terms.G_adv0).toBe(adversarial[0]);  // the caller's own tensors, unweighted
    expect(terms.KL).toBe(kl);
    expect(terms.STREAM!.item()).toBe(30);
    expect(terms.DAMSM!.item()).toBe(2.5);
    expect(total.item()).toBe(1.5 + 2.25 + 0.125 + 30 + 2.5);
    expect([stream.calls(), damsm.calls()]).toEqual([1, 1]);
    dispose([adversarial, kl, terms, total]);
  });

  it('a zero weight never computes its term (λ_stream = 0 runs no captioner)', async () => {
    const adversarial = [scalar(1)];
    const kl = scalar(0.5);
    const stream = counted(3);
    const damsm = counted(7);
    const { total, terms } = await generatorLoss({ adversarial, kl, stream: stream.term, damsm: damsm.term }, { stream: 0, damsm: 0 });
    expect([stream.calls(), damsm.calls()]).toEqual([0, 0]);
    expect(Object.keys(terms)).toEqual(['G_adv0', 'KL']);
    expect(total.item()).toBe(1.5);
    // a term that is not there (no captioner, no DAMSM image encoder) is left out whatever its weight
    const only = await generatorLoss({ adversarial, kl }, { stream: 10, damsm: 5 });
    expect(Object.keys(only.terms)).toEqual(['G_adv0', 'KL']);
    dispose([adversarial, kl, total, only.total]);
  });

  it('back-propagates λ_stream into the STREAM term and frees the unweighted tensors', async () => {
    const before = memory().numTensors;
    const adversarial = [scalar(1)];
    const kl = scalar(0);
    const caption = scalar(2);
    caption.requiresGrad = true;
    const { total, terms } = await generatorLoss({ adversarial, kl, stream: async () => caption.mul(1) }, { stream: 10, damsm: 0 });
    total.backward();
    const grad = caption.grad!;
    expect(grad.item()).toBe(10);
    dispose([adversarial, kl, grad, caption, terms, total]);
    expect(memory().numTensors).toBe(before);
  });

  it('takes its weights from train.streamWeight and train.damsmWeight, and refuses bad ones', async () => {
    expect(generatorLossWeights(resolveConfig({ set: ['TRAIN.SMOOTH.LAMBDA1=20', 'TRAIN.SMOOTH.LAMBDA=0'] }))).toEqual({ stream: 20, damsm: 0 });
    const adversarial = [scalar(1)];
    const kl = scalar(0);
    await expect(generatorLoss({ adversarial, kl }, { stream: -1, damsm: 0 })).rejects.toThrow(/Expected a finite number >= 0 for weights.stream but received -1/);
    await expect(generatorLoss({ adversarial: [], kl }, { stream: 1, damsm: 0 })).rejects.toThrow(/one adversarial term per stage for terms.adversarial/);
    dispose([adversarial, kl]);
  });
});
