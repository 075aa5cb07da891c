// SPDX-License-Identifier: MIT
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MirrorganError } from '../../lib/errors.js';
import { dispose, maxAbsDiff, tensor, zeros, type Tensor } from '../../lib/index.js';
import { CaptionDecoder, captionLoss } from '../../src/stream/index.js';
import { generatorLoss } from '../../src/train/generator_loss.js';
import { gradWithinTolerance, loadFixture, worstOutputViolation } from '../helpers/parity.js';

const PREFIX = 'caption_rnn.';

/**
 * λ·L_stream as G's loss weighs it: L_G over zero adversarial and KL terms is exactly the
 * weighted STREAM term (the official fixture's cap_loss = LAMBDA1 x CE).
 */
async function weightedStream(ce: Tensor, lambda: number): Promise<Tensor> {
  const nothing = zeros([]);
  const { total, terms } = await generatorLoss({ adversarial: [nothing], kl: nothing, stream: async () => ce }, { stream: lambda, damsm: 0 });
  dispose([nothing, terms.STREAM]);
  return total;
}

/** The CAPTION_RNN weights of the fixture, prefix stripped. */
function decoderWeights(fx: Map<string, Tensor>): Map<string, Tensor> {
  return new Map([...fx].filter(([k]) => k.startsWith(PREFIX)).map(([k, t]) => [k.slice(PREFIX.length), t]));
}

describe('CAPTION_RNN parity with the official code (losses_generator fixture)', () => {
  let fx: Map<string, Tensor>;
  let sidecar: Record<string, any>;
  let dec: CaptionDecoder;
  beforeAll(async () => {
    ({ tensors: fx, sidecar } = await loadFixture('losses_generator'));
    const cfg = sidecar.config['cfg (official keys)'];
    dec = new CaptionDecoder({
      nWords: sidecar.config.n_words,
      embedSize: cfg['CAP.embed_size'],
      hiddenSize: 2 * cfg['CAP.hidden_size'],  // as the trainer builds it
    });
  });
  afterAll(() => dispose(fx));

  it('loads the 7 official keys and reproduces the packed targets, logits, CE and (weighted in L_G) loss', async () => {
    const weights = decoderWeights(fx);
    expect(dec.loadStateDict(weights)).toEqual({ missing: [], unexpected: [] });
    const official = Object.keys(sidecar.weights[1].keys).map((k: string) => k.slice(PREFIX.length));
    const sd = dec.namedStateDict();
    expect([...sd.keys()]).toEqual(official);
    dispose(sd);

    const { logits, targets, lengths } = dec.teacherForce(fx.get('in.cap_img_feature')!, fx.get('in.captions')!, fx.get('in.cap_lens')!);
    const want = fx.get('out.cap_logits')!;
    expect(logits.shape).toEqual(want.shape);
    expect(targets.dtype).toBe('int64');
    expect(targets.toArray()).toEqual(fx.get('out.target_cap')!.toArray());
    expect(lengths.toArray()).toEqual(fx.get('in.cap_lens')!.toArray());
    expect(worstOutputViolation(logits, want)).toBe(0);

    const lambda = sidecar.config['cfg (official keys)']['TRAIN.SMOOTH.LAMBDA1'];
    const ce = captionLoss({ logits, targets, lengths }).loss;
    expect(worstOutputViolation(ce, fx.get('out.cap_ce')!)).toBe(0);
    const loss = await weightedStream(ce.clone(), lambda);
    expect(worstOutputViolation(loss, fx.get('out.cap_loss')!)).toBe(0);
    console.log(
      `caption_rnn parity: max |diff| logits ${maxAbsDiff(logits, want).toExponential(2)}, ` +
        `ce ${Math.abs(ce.item() - fx.get('out.cap_ce')!.item()).toExponential(2)}, ` +
        `loss ${Math.abs(loss.item() - fx.get('out.cap_loss')!.item()).toExponential(2)}`,
    );
    dispose([logits, targets, lengths, loss, ce, weights]);
  });

  it('back-propagates the weighted caption loss into the image feature as the official code does', async () => {
    const feature = fx.get('in.cap_img_feature')!.clone();
    feature.requiresGrad = true;
    const forced = dec.teacherForce(feature, fx.get('in.captions')!, fx.get('in.cap_lens')!);
    const ce = captionLoss(forced).loss;
    const loss = await weightedStream(ce, sidecar.config['cfg (official keys)']['TRAIN.SMOOTH.LAMBDA1']);
    loss.backward();
    const grad = feature.grad!;
    // errG_total = adversarial(fake image) + cap_loss(feature): only cap_loss depends on the feature
    const check = gradWithinTolerance(grad, fx.get('grad.in.cap_img_feature')!);
    console.log(`caption_rnn parity: grad feature max |diff| ${check.diff.toExponential(2)} (limit ${check.limit.toExponential(2)})`);
    expect(check.ok).toBe(true);
    dispose([feature, forced, loss, grad]);
  });

  it("the paper's token-sum form is the per-caption token sum averaged over the batch", () => {
    const forced = dec.teacherForce(fx.get('in.cap_img_feature')!, fx.get('in.captions')!, fx.get('in.cap_lens')!, { grad: false });
    const mean = captionLoss(forced);
    const sum = captionLoss(forced, { reduction: 'sum' });
    const tokens = (fx.get('in.cap_lens')!.toArray() as number[]).reduce((a, b) => a + b, 0);  // 33 over 3 captions
    expect(sum.loss.item()).toBeCloseTo((mean.loss.item() * tokens) / 3, 4);
    dispose([forced, mean, sum]);
  });

  it('refuses unsorted lengths, out-of-vocabulary ids and bad options with named errors', () => {
    const feature = fx.get('in.cap_img_feature')!;
    const caps = fx.get('in.captions')!;
    const unsorted = tensor([6, 11, 16], [3], { dtype: 'int64' });
    expect(() => dec.teacherForce(feature, caps, unsorted)).toThrow(/sorted in decreasing order/);
    const big = tensor(new Array(3 * 18).fill(60), [3, 18], { dtype: 'int64' });
    expect(() => dec.teacherForce(feature, big, fx.get('in.cap_lens')!)).toThrow(/0\.\.59/);
    expect(() => new CaptionDecoder({ nWords: 0 })).toThrow(MirrorganError);
    const forced = dec.teacherForce(feature, caps, fx.get('in.cap_lens')!, { grad: false });
    expect(() => captionLoss(forced, { reduction: 'max' as never })).toThrow(/Expected one of mean, sum for reduction/);
    dispose([unsorted, big, forced]);
  });
});

describe('CAPTION_RNN structure', () => {
  it('has the official 7 keys and 5,768,010 parameters for n_words 5450, hidden 512 (reference §9.6)', () => {
    const dec = new CaptionDecoder({ nWords: 5450 });
    const sd = dec.namedStateDict();
    expect(Object.fromEntries([...sd].map(([k, t]) => [k, t.shape]))).toEqual({
      'embed.weight': [5450, 256],
      'lstm.weight_ih_l0': [2048, 256],
      'lstm.weight_hh_l0': [2048, 512],
      'lstm.bias_ih_l0': [2048],
      'lstm.bias_hh_l0': [2048],
      'linear.weight': [5450, 512],
      'linear.bias': [5450],
    });
    expect(dec.numParameters()).toBe(5_768_010);
    dispose(sd);
  });

  it('with the end token, targets end each caption with id 0 and lengths grow by one', () => {
    const dec = new CaptionDecoder({ nWords: 10, embedSize: 8, hiddenSize: 6, endToken: true });
    const features = tensor(new Array(16).fill(0.1), [2, 8]);
    const caps = tensor([3, 4, 5, 2, 7, 0], [2, 3], { dtype: 'int64' });
    const lens = tensor([3, 2], [2], { dtype: 'int64' });
    const { logits, targets, lengths } = dec.teacherForce(features, caps, lens, { grad: false });
    expect(lengths.toArray()).toEqual([4, 3]);
    // time-major: step 0 of both, step 1 of both, step 2 of both, step 3 of the first
    expect(targets.toArray()).toEqual([3, 2, 4, 7, 5, 0, 0]);
    expect(logits.shape).toEqual([7, 10]);
    dispose([features, caps, lens, logits, targets, lengths]);
  });
});
