// SPDX-License-Identifier: MIT
// The model that ships with the package (models/<name>/): it loads with MirrorGAN.pretrained(),
// says what it is and under which licence, is small, follows its captions (different captions
// give different images under the same noise) and re-describes. Skipped, saying so, in a copy
// without a shipped model (the error path of that case is tested in model_folder.test.ts).
import fs from 'node:fs';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { hasCaptionerFiles, readModelManifest } from '../../src/model/model_folder.js';
import { MirrorGAN } from '../../src/model/mirrorgan.js';
import { listPretrained } from '../../src/model/pretrained.js';

const shipped = await listPretrained();
const withCaptioner = shipped.length > 0 && hasCaptionerFiles(await readModelManifest(shipped[0]!.dir));
if (shipped.length === 0) console.warn('shipped-model tests skipped: no model folder under models/ (export one: npx mirrorgan export --run <run> -o models/<name>)');

/** Mean absolute difference of two PNGs' pixels, in 8-bit levels. */
async function meanDifference(a: Buffer, b: Buffer): Promise<number> {
  const [pa, pb] = await Promise.all([sharp(a).raw().toBuffer(), sharp(b).raw().toBuffer()]);
  let sum = 0;
  for (let i = 0; i < pa.length; i++) sum += Math.abs((pa[i] as number) - (pb[i] as number));
  return sum / pa.length;
}

describe.skipIf(shipped.length === 0)('the shipped model', () => {
  let gan: MirrorGAN;
  beforeAll(async () => {
    gan = await MirrorGAN.pretrained(shipped.length > 1 ? shipped[0]!.name : undefined);
    expect(gan.source.path).toBe(shipped[0]!.dir);
  });

  it('is a few MB of weights with a manifest of its training, data, metrics and licence', async () => {
    const dir = shipped[0]!.dir;
    const m = await readModelManifest(dir);
    const bytes = Object.values(m.files).reduce((a, f) => a + f.bytes, 0);
    expect(bytes).toBeLessThan(40e6);
    expect(fs.readdirSync(dir).filter((f) => /optimizer|netD/.test(f))).toEqual([]);
    expect(m.training.iteration).toBeGreaterThan(0);
    expect(Object.keys(m.metrics).length).toBeGreaterThan(0);
    if (m.data.dataset === 'openmoji') expect(m.licence).toMatchObject({ weights: 'CC-BY-SA-4.0', notice: expect.stringMatching(/derived work/) });
  });

  it('gives different images for different captions under the same noise, and the same for the same seed', async () => {
    const images = await gan.generate(['a red heart', 'a blue circle', 'a yellow face'], { n: 2, seed: 1, sharedNoise: true });
    for (const j of [0, 1]) {
      expect(await meanDifference(images[j]!.png, images[2 + j]!.png)).toBeGreaterThan(4);
      expect(await meanDifference(images[j]!.png, images[4 + j]!.png)).toBeGreaterThan(4);
    }
    const [again] = await gan.generate('a red heart', { seed: 1 });
    expect(await meanDifference(again!.png, images[0]!.png)).toBeLessThan(0.05);
  });

  it.runIf(withCaptioner)('re-describes its images with its captioner', async () => {
    const [img] = await gan.generate('a red heart', { seed: 2, describe: true });
    expect(img!.description!.split(' ').length).toBeGreaterThan(0);
    expect(img!.description!.split(' ').every((w) => gan.vocabulary.id(w) !== undefined)).toBe(true);
  });
});
