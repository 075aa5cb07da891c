// SPDX-License-Identifier: MIT
// MirrorGAN's generation API on a tiny trained run: what generate returns (every stage, word
// attention, tokens, unknown words, seeds, tensors, re-descriptions), determinism per seed,
// interpolation, describe, and the errors of bad input.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memory } from '../../lib/index.js';
import { attentionFigure, attentionOverlays } from '../../src/model/attention_figure.js';
import { MirrorGAN } from '../../src/model/mirrorgan.js';
import { tinyRun } from '../helpers/tiny_model.js';

let gan: MirrorGAN;

beforeAll(async () => {
  gan = await MirrorGAN.load(await tinyRun());
});
afterAll(() => gan?.dispose());

async function pixels(png: Buffer): Promise<{ width: number; height: number; data: Buffer }> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

async function maxPixelDifference(a: Buffer, b: Buffer): Promise<number> {
  const [pa, pb] = [await pixels(a), await pixels(b)];
  let max = 0;
  for (let i = 0; i < pa.data.length; i++) max = Math.max(max, Math.abs((pa.data[i] as number) - (pb.data[i] as number)));
  return max;
}

describe('MirrorGAN.generate', () => {
  it('gives n images per caption: a PNG per stage, word attention per later stage, tokens, unknown words and seeds', async () => {
    const images = await gan.generate(['an emoji with a face', 'a red heart qwzx'], { n: 3, seed: 5 });
    expect(images).toHaveLength(6);
    expect(images.map((i) => i.caption)).toEqual([...Array(3).fill('an emoji with a face'), ...Array(3).fill('a red heart qwzx')]);
    expect(images.map((i) => i.seed)).toEqual([5, 6, 7, 8, 9, 10]);  // caption-major, one seed each
    expect(images[3]!.tokens).toEqual(['a', 'red', 'heart']);
    expect(images[3]!.unknownWords).toEqual(['qwzx']);
    expect(images[0]!.unknownWords).toEqual([]);
    for (const img of images) {
      expect(img.stages.map((s) => s.size)).toEqual([64, 128]);
      expect(img.size).toBe(128);
      expect(img.png.equals(img.stages[1]!.png)).toBe(true);
      for (const s of img.stages) expect(await sharp(s.png).metadata()).toMatchObject({ format: 'png', width: s.size, height: s.size });
      // Stage 2's attention runs on stage 1's 64 x 64 grid: one map per token, a distribution over the tokens at each pixel.
      expect(img.attention).toHaveLength(1);
      const att = img.attention[0]!;
      expect([att.stage, att.size, att.maps.length]).toEqual([2, 64, img.tokens.length]);
      for (const p of [0, 1000, 64 * 64 - 1]) expect(att.maps.reduce((a, m) => a + (m[p] as number), 0)).toBeCloseTo(1, 5);
    }
    expect(images[0]!.png.equals(images[1]!.png)).toBe(false);  // different seeds, different images
  });

  it('is deterministic per seed: the same call gives the same bytes, and a sample alone with its seed gives its image', async () => {
    const a = await gan.generate(['an emoji with a face', 'a red heart'], { n: 2, seed: 11 });
    const b = await gan.generate(['an emoji with a face', 'a red heart'], { n: 2, seed: 11 });
    expect(a.map((i) => i.png.toString('base64'))).toEqual(b.map((i) => i.png.toString('base64')));
    const [alone] = await gan.generate('a red heart', { seed: a[3]!.seed });
    expect(alone!.seed).toBe(14);
    expect(await maxPixelDifference(alone!.png, a[3]!.png)).toBeLessThanOrEqual(1);
    // One sample per forward pass: the same images (batching does not change a sample).
    const single = await gan.generate(['an emoji with a face', 'a red heart'], { n: 2, seed: 11, batchSize: 1 });
    for (let k = 0; k < 4; k++) expect(await maxPixelDifference(single[k]!.png, a[k]!.png)).toBeLessThanOrEqual(1);
  });

  it('shares the noise across captions with sharedNoise, and uses μ alone without conditioning noise', async () => {
    const shared = await gan.generate(['an emoji with a face', 'a red heart'], { n: 2, seed: 3, sharedNoise: true });
    expect(shared.map((i) => i.seed)).toEqual([3, 4, 3, 4]);
    const [heart] = await gan.generate('a red heart', { seed: 4 });
    expect(await maxPixelDifference(heart!.png, shared[3]!.png)).toBeLessThanOrEqual(1);
    const mean1 = await gan.generate('a red heart', { seed: 4, conditioningNoise: false });
    const mean2 = await gan.generate('a red heart', { seed: 4, conditioningNoise: false });
    expect(mean1[0]!.png.equals(mean2[0]!.png)).toBe(true);
    expect(mean1[0]!.png.equals(heart!.png)).toBe(false);
  });

  it('returns the raw tensors on request, equal to the PNGs up to rounding', async () => {
    const before = memory().numTensors;
    const [img] = await gan.generate('a red heart', { seed: 2, tensors: true });
    const stages = img!.stages.map((s) => s.tensor!);
    expect(stages.map((t) => t.shape)).toEqual([[3, 64, 64], [3, 128, 128]]);
    expect(memory().numTensors).toBe(before + 2);
    const chw = stages[1]!.dataSync() as Float32Array;
    const { data } = await pixels(img!.png);
    for (const i of [0, 777, 128 * 128 - 1]) expect(Math.abs(Math.round((chw[i] as number + 1) * 127.5) - (data[i * 3] as number))).toBeLessThanOrEqual(1);
    stages.forEach((t) => t.dispose());
    expect(memory().numTensors).toBe(before);
  });

  it("adds STREAM's re-description, the same as describe() of the PNG", async () => {
    const images = await gan.generate(['a red heart', 'an emoji with a face'], { seed: 1, describe: true });
    for (const img of images) expect(typeof img.description).toBe('string');
    expect(images[0]!.description!.length).toBeGreaterThan(0);
    expect(await gan.describe(images.map((i) => i.png))).toEqual(images.map((i) => i.description));
    expect(await gan.describe(images[0]!)).toEqual([images[0]!.description]);
    await expect(gan.describe([Buffer.from('not an image')])).rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: /images\[0\].*cannot be decoded/ });
    await expect(gan.describe([])).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
  });

  it('refuses captions without a known word, and bad options, naming them', async () => {
    await expect(gan.generate('qwzx vbnm')).rejects.toMatchObject({ code: 'ERR_CAPTION_UNKNOWN', message: /qwzx, vbnm/ });
    await expect(gan.generate('  ')).rejects.toMatchObject({ code: 'ERR_CAPTION_EMPTY' });
    await expect(gan.generate([])).rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: /for captions/ });
    await expect(gan.generate(42 as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
    await expect(gan.generate('a red heart', { n: 0 })).rejects.toMatchObject({ message: /between 1 and 256 for options.n/ });
    await expect(gan.generate('a red heart', { seed: -1 })).rejects.toMatchObject({ message: /for options.seed/ });
    await expect(gan.generate('a red heart', { seed: 2 ** 32 - 2, n: 4 })).rejects.toMatchObject({ message: /between 0 and 4294967292 for options.seed/ });
    await expect(gan.generate('a red heart', { batchSize: 1.5 })).rejects.toMatchObject({ message: /options.batchSize/ });
  });

  it('queues concurrent calls instead of failing them (one native job at a time per module)', async () => {
    const [a, b, c] = await Promise.all([gan.generate('a red heart', { seed: 1 }), gan.generate('an emoji', { seed: 2 }), gan.describe(Buffer.alloc(0)).catch((e: Error) => e)]);
    expect(a![0]!.seed).toBe(1);
    expect(b![0]!.seed).toBe(2);
    expect(c).toBeInstanceOf(Error);
  });
});

describe('MirrorGAN.interpolate', () => {
  it('between two captions: the ends are the captions themselves, the frames between mix their words', async () => {
    const frames = await gan.interpolate({ captions: ['a red heart', 'an emoji with a face'], seed: 8, steps: 4 });
    expect(frames.map((f) => f.t)).toEqual([0, 1 / 3, 2 / 3, 1]);
    expect(frames[0]!.caption).toBe('a red heart');
    expect(frames[1]!.tokens).toEqual(['a/an', 'red/emoji', 'heart/with', '∅/a', '∅/face']);
    expect(frames[1]!.attention[0]!.maps).toHaveLength(5);
    const [start] = await gan.generate('a red heart', { seed: 8 });
    const [end] = await gan.generate('an emoji with a face', { seed: 8 });
    expect(await maxPixelDifference(frames[0]!.png, start!.png)).toBeLessThanOrEqual(1);
    expect(await maxPixelDifference(frames[3]!.png, end!.png)).toBeLessThanOrEqual(1);
    expect(frames[1]!.png.equals(frames[2]!.png)).toBe(false);
  });

  it('between two seeds: the ends are the seeds images, the frames between have no seed of their own', async () => {
    const frames = await gan.interpolate({ caption: 'a red heart', seeds: [8, 9], steps: 3 });
    expect(frames.map((f) => f.seed)).toEqual([8, null, 9]);
    const both = await gan.generate('a red heart', { seed: 8, n: 2 });
    expect(await maxPixelDifference(frames[0]!.png, both[0]!.png)).toBeLessThanOrEqual(1);
    expect(await maxPixelDifference(frames[2]!.png, both[1]!.png)).toBeLessThanOrEqual(1);
    await expect(gan.interpolate({ caption: 'a red heart', seeds: [1, 2], steps: 1 })).rejects.toMatchObject({ message: /options.steps/ });
    await expect(gan.interpolate({ caption: 'a red heart' })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
    await expect(gan.interpolate({ captions: ['a red heart', 'a face'], caption: 'x' } as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
  });
});

describe('attention figures', () => {
  it('draws the image and one labelled heat map per word, per attention stage', async () => {
    const [img] = await gan.generate('an emoji with a face', { seed: 1 });
    const figure = await sharp(await attentionFigure(img!)).metadata();
    // 64 px of stage labels, then (1 + 5 words) cells of 128 px with 2 px gaps; 24 px of word labels on top.
    expect([figure.format, figure.width, figure.height]).toEqual(['png', 64 + 6 * 130 + 2, 24 + 130 + 2]);
    const overlays = await attentionOverlays(img!, { cell: 32 });
    expect(overlays.map((o) => o.token)).toEqual(img!.tokens);
    expect(await sharp(overlays[0]!.png).metadata()).toMatchObject({ width: 32, height: 32 });
    await expect(attentionOverlays(img!, { stage: 3 })).rejects.toMatchObject({ message: /one of the stages 2/ });
  });
});
