// SPDX-License-Identifier: MIT
// A tiny captioner (compact encoder + decoder) learns 4 captioned images; then, frozen, it passes
// gradients to its input only and never changes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Adam, dispose, manualSeed, maxAbsDiff, tensor, tidy, type Tensor } from '../../lib/index.js';
import { Vocabulary, tokenize } from '../../src/text/index.js';
import { CaptionDecoder, CaptionEncoder, captionLoss, decodeCaptions, frozenCaptioner } from '../../src/stream/index.js';

const SIDE = 48;
const CAPTIONS = ['a big red square on white', 'small blue circle here', 'green star shape', 'yellow sun'];  // sorted by length

/** 4 images: a random background colour with a random-colour block, distinct per image. */
function makeImages(): Tensor {
  let s = 12345;
  const rnd = (): number => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const data = new Float32Array(4 * 3 * SIDE * SIDE);
  for (let b = 0; b < 4; b++) {
    const bg = [rnd(), rnd(), rnd()].map((v) => v * 2 - 1);
    const fg = [rnd(), rnd(), rnd()].map((v) => v * 2 - 1);
    const x0 = Math.floor(rnd() * SIDE / 2), y0 = Math.floor(rnd() * SIDE / 2);
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < SIDE; y++) {
        for (let x = 0; x < SIDE; x++) {
          const inside = x >= x0 && x < x0 + SIDE / 2 && y >= y0 && y < y0 + SIDE / 2;
          data[((b * 3 + c) * SIDE + y) * SIDE + x] = inside ? fg[c]! : bg[c]!;
        }
      }
    }
  }
  return tensor(data, [4, 3, SIDE, SIDE]);
}

describe('a tiny captioner overfits 4 captioned images', () => {
  const vocab = Vocabulary.fromTokens(CAPTIONS.map(tokenize));
  const ids = CAPTIONS.map((c) => vocab.encode(tokenize(c)).ids);
  const width = Math.max(...ids.map((r) => r.length));
  let images: Tensor, captions: Tensor, capLens: Tensor;
  let enc: CaptionEncoder, dec: CaptionDecoder;

  beforeAll(() => {
    manualSeed(7);
    images = makeImages();
    captions = tensor(ids.flatMap((r) => [...r, ...new Array(width - r.length).fill(0)]), [4, width], { dtype: 'int64' });
    capLens = tensor(ids.map((r) => r.length), [4], { dtype: 'int64' });
    enc = new CaptionEncoder({ arch: 'compact', imageSize: 32, ndf: 8, embedSize: 32, bnMomentum: 0.2 });
    dec = new CaptionDecoder({ nWords: vocab.size, embedSize: 32, hiddenSize: 64, endToken: true, maxLength: 12 });
  });
  afterAll(() => dispose([images, captions, capLens]));

  it('greedy and beam decoding return the training captions within 600 steps', () => {
    const opt = new Adam([enc, dec], { lr: 1e-2 });
    const t0 = Date.now();
    let steps = 0;
    let greedy: string[] = [];
    let first = NaN, last = NaN;
    for (; steps < 600; steps++) {
      enc.train();
      const ce = tidy(() => {
        opt.zeroGrad();
        const forced = dec.teacherForce(enc.encode(images), captions, capLens);
        const { loss } = captionLoss(forced);
        loss.backward();
        opt.step();
        return loss.item();
      });
      if (steps === 0) first = ce;
      last = ce;
      if (steps % 25 === 24) {
        enc.eval();
        greedy = tidy(() => decodeCaptions(dec.greedy(enc.encode(images, { grad: false })), vocab));
        if (greedy.every((g, i) => g === CAPTIONS[i])) break;
      }
    }
    console.log(`tiny captioner: ${steps + 1} steps in ${((Date.now() - t0) / 1000).toFixed(1)} s, CE ${first.toFixed(3)} -> ${last.toFixed(4)}`);
    expect(greedy).toEqual(CAPTIONS);
    enc.eval();
    const beam = tidy(() => decodeCaptions(dec.beam(enc.encode(images, { grad: false }), { beamSize: 3 }), vocab));
    expect(beam).toEqual(CAPTIONS);
    // beam search never ranks below greedy on its own objective
    const f = enc.encode(images, { grad: false });
    const g = dec.greedy(f), b = dec.beam(f, { beamSize: 4 });
    b.scores.forEach((s, i) => expect(s).toBeGreaterThanOrEqual(g.scores[i]! - 1e-4));
    dispose(f);
  });

  it('frozen, it gets no gradient and no BatchNorm update while gradients reach its input', () => {
    const before = new Map([...enc.namedStateDict(), ...dec.namedStateDict()].map(([k, t]) => [k, t.clone()]));
    const stream = frozenCaptioner({ encoder: enc, decoder: dec });
    enc.train();  // a trainer switching everything to train mode must not matter
    const input = images.clone();
    input.requiresGrad = true;
    const { loss } = stream.loss(input, captions, capLens);
    loss.backward();
    const grad = input.grad!;
    expect(grad.shape).toEqual([4, 3, SIDE, SIDE]);
    expect(grad.abs().sum().item()).toBeGreaterThan(0);
    for (const m of [enc, dec]) {
      for (const [k, p] of m.namedParameters()) {
        expect(p.requiresGrad, k).toBe(false);
        expect(p.grad, k).toBeNull();
      }
    }
    const after = new Map([...enc.namedStateDict(), ...dec.namedStateDict()]);
    for (const [k, t] of before) expect(maxAbsDiff(t, after.get(k)!), k).toBe(0);
    expect(enc.training).toBe(false);
    expect(stream.describe(images, vocab)).toEqual(CAPTIONS);
    dispose([before, after, input, grad, loss]);
  });
});
