// SPDX-License-Identifier: MIT
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { attributeCaptions, describeEmoji, EMOJI_SHAPES, namesColour, recolourEmoji } from '../../src/data/emoji_attributes.js';
import { decodeImage, loadDataset, openMojiPackageDir, type RgbImage } from '../../src/data/index.js';
import { colourShapeProbes } from '../../src/eval/colour_shape_probe.js';
import { captureLogger, tempDir } from './helpers.js';

/** Renders one OpenMoji emoji the way the dataset cache does (on white, 152 px). */
async function emoji(hex: string): Promise<RgbImage> {
  return (await decodeImage({ path: join(openMojiPackageDir(), 'color', 'svg', `${hex}.svg`), format: 'svg' }, { side: 152 })).image;
}

/** A white canvas with one filled shape and a black outline of `line` pixels. */
function drawn(w: number, h: number, inside: (x: number, y: number) => boolean, rgb: [number, number, number], line = 3): RgbImage {
  const data = new Uint8Array(w * h * 3).fill(255);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!inside(x, y)) continue;
      let edge = false;
      for (let d = 1; d <= line && !edge; d++) edge = !inside(x - d, y) || !inside(x + d, y) || !inside(x, y - d) || !inside(x, y + d);
      data.set(edge ? [0, 0, 0] : rgb, 3 * (y * w + x));
    }
  }
  return { data, width: w, height: h };
}

describe('emoji attributes (outline shape and main colour from pixels)', () => {
  it('names the shape and colour of the geometric emoji the probe uses as references', async () => {
    const cases: [string, string, string][] = [
      ['1F534', 'circle', 'red'], ['1F535', 'circle', 'blue'], ['26AB', 'circle', 'black'],
      ['1F7E9', 'square', 'green'], ['1F7EA', 'square', 'purple'], ['1F7EB', 'square', 'brown'],
      ['2764', 'heart', 'red'], ['1F9E1', 'heart', 'orange'], ['1F49B', 'heart', 'yellow'], ['1F5A4', 'heart', 'black'],
      ['1F536', 'diamond', 'orange'], ['1F537', 'diamond', 'blue'],
    ];
    for (const [hex, shape, colour] of cases) {
      const a = describeEmoji(await emoji(hex));
      expect(a, hex).not.toBeNull();
      expect([a!.shape, a!.colour], hex).toEqual([shape, colour]);
      expect(a!.shapeFit, hex).toBeGreaterThanOrEqual(0.9);
    }
  });

  it('sees the circle in a face and no shape in a pea pod', async () => {
    const face = describeEmoji(await emoji('1F600'))!;
    expect([face.shape, face.colour]).toEqual(['circle', 'yellow']);
    const pod = describeEmoji(await emoji('1FADB'))!;
    expect(pod.shape).toBeNull();
    expect(pod.colour).toBe('green');
    expect(pod.shapeFit).toBeLessThan(0.9);
  });

  it('counts white interiors as silhouette, ignores the black outline, and refuses ellipses', () => {
    const disc = (cx: number, cy: number, rx: number, ry: number) => (x: number, y: number) => ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1;
    const white = describeEmoji(drawn(80, 80, disc(40, 40, 30, 30), [255, 255, 255]))!;
    expect([white.shape, white.colour]).toEqual(['circle', 'white']);
    const blue = describeEmoji(drawn(80, 80, (x, y) => x >= 10 && x < 70 && y >= 15 && y < 75, [0x1e, 0x50, 0xa0]))!;
    expect([blue.shape, blue.colour]).toEqual(['square', 'blue']);
    expect(blue.colourShare).toBe(1); // the outline does not vote
    const wide = describeEmoji(drawn(100, 60, disc(50, 30, 45, 20), [0xea, 0x5a, 0x47]))!;
    expect(wide.shape).toBeNull(); // an ellipse matches the circle mask bbox to bbox, but is no circle
    expect(wide.shapeFit).toBeGreaterThan(0.9);
    expect(wide.colour).toBe('red');
    const outlineOnly = describeEmoji(drawn(60, 60, disc(30, 30, 20, 20), [0, 0, 0]))!;
    expect(outlineOnly.colour).toBe('black');
  });

  it('returns null for an empty picture and refuses a wrong buffer size', () => {
    expect(describeEmoji({ data: new Uint8Array(16 * 16 * 3).fill(255), width: 16, height: 16 })).toBeNull();
    expect(() => describeEmoji({ data: new Uint8Array(10), width: 4, height: 4 })).toThrow(/4x4 needs 48 bytes, got 10/);
  });

  it('makes captions from the attributes', () => {
    expect(attributeCaptions('grinning face', { shape: 'circle', shapeFit: 0.97, colour: 'yellow', colourShare: 0.8 }))
      .toEqual(['yellow circle', 'a yellow circle emoji of grinning face']);
    expect(attributeCaptions('pea pod', { shape: null, shapeFit: 0.5, colour: 'green', colourShare: 0.6 })).toEqual(['a green emoji of pea pod']);
    expect(attributeCaptions('grinning face', { shape: 'circle', shapeFit: 0.97, colour: 'orange', colourShare: 0.8 })[1])
      .toBe('an orange circle emoji of grinning face');
    // Every shape word the probe asks for must be one the attribute captions can teach.
    for (const shape of new Set(colourShapeProbes().map((p) => p.shape))) expect(EMOJI_SHAPES).toContain(shape);
    expect(namesColour('red heart')).toBe(true);
    expect(namesColour('grinning face')).toBe(false);
  });

  it('recolours the fill and nothing else, so the copy reads as the new colour with the same shape', async () => {
    const heart = await emoji('2764');
    const blue = recolourEmoji(heart, 'red', 'blue');
    expect(blue.data).not.toBe(heart.data);
    expect(describeEmoji(blue)).toMatchObject({ shape: 'heart', colour: 'blue' });
    expect(describeEmoji(heart)).toMatchObject({ shape: 'heart', colour: 'red' }); // source untouched
    let changed = 0;
    for (let p = 0; p < heart.width * heart.height; p++) {
      const [r, g, b] = [heart.data[3 * p]!, heart.data[3 * p + 1]!, heart.data[3 * p + 2]!];
      const moved = r !== blue.data[3 * p] || g !== blue.data[3 * p + 1] || b !== blue.data[3 * p + 2];
      if (moved) changed++;
      // white background and black outline stay
      if ((r > 250 && g > 250 && b > 250) || r + g + b < 30) expect(moved).toBe(false);
    }
    expect(changed).toBeGreaterThan(heart.width * heart.height * 0.15); // the heart fills about a quarter
    const face = describeEmoji(recolourEmoji(await emoji('1F600'), 'yellow', 'black'))!;
    expect([face.shape, face.colour]).toEqual(['circle', 'black']);
    expect(() => recolourEmoji(heart, 'red', 'teal')).toThrow(/^Expected a palette colour \(.*\) for to but received 'teal' of type string$/);
    expect(() => recolourEmoji(heart, 'teal', 'red')).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_ARG', message: expect.stringMatching(/for from but received 'teal'/) }));
  });
});

describe('attribute captions in the built-in dataset', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await tempDir()));
  afterAll(async () => cleanup());

  it('adds them after the metadata captions unless turned off', async () => {
    const opts = (attributeCaptions: boolean) => ({ cacheDir: dir, imageSize: 64, openmoji: { limit: 40, testFraction: 0, attributeCaptions }, logger: captureLogger() });
    const plain = await loadDataset(opts(false));
    const described = await loadDataset(opts(true));
    try {
      expect(described.train.keys).toEqual(plain.train.keys);
      const words = (d: typeof plain, i: number) => d.train.captions[i]!.map((c) => d.vocabulary.decode(c).join(' '));
      let withShape = 0;
      for (let i = 0; i < plain.train.size; i++) {
        const before = words(plain, i);
        const after = words(described, i);
        expect(after.slice(0, before.length)).toEqual(before);
        const extra = after.slice(before.length);
        expect(extra.length, plain.train.keys[i]).toBeGreaterThanOrEqual(1);
        expect(extra.length).toBeLessThanOrEqual(2);
        if (extra.length === 2) {
          withShape++;
          expect(extra[0]).toMatch(/^\w+ (circle|square|heart|diamond)$/);
        } else {
          expect(extra[0]).toMatch(/^an? \w+ emoji of /);
        }
      }
      expect(withShape).toBeGreaterThan(0);
    } finally {
      await plain.close();
      await described.close();
    }
  });

  it('gives the same captions and copies at every training size (measured at 152 px)', async () => {
    const load = (imageSize: number) =>
      loadDataset({ cacheDir: dir, imageSize, openmoji: { limit: 40, testFraction: 0, recolour: 2 }, logger: captureLogger() });
    const small = await load(64);
    const large = await load(128);
    try {
      expect(small.imageSide).toBe(76);
      expect(small.train.keys).toEqual(large.train.keys);
      expect(small.train.captions).toEqual(large.train.captions);
      const copy = small.train.keys.findIndex((k) => k.includes('~'));
      expect(copy).toBeGreaterThan(0);
      const img = await small.train.readImage(copy);
      expect([img.width, img.height]).toEqual([76, 76]); // copies come at the training size
    } finally {
      await small.close();
      await large.close();
    }
  });

  it('recolour adds repainted copies of shaped training emoji, with their own class and captions', async () => {
    const load = (recolour: number, testFraction = 0) =>
      loadDataset({ cacheDir: dir, imageSize: 64, openmoji: { limit: 80, testFraction, recolour }, logger: captureLogger() });
    const plain = await load(0);
    const d = await load(2);
    try {
      const n = plain.train.size;
      expect(d.train.keys.slice(0, n)).toEqual(plain.train.keys);
      const extra = d.train.keys.slice(n);
      expect(extra.length).toBeGreaterThan(0);
      expect(extra.length % 2).toBe(0);
      const originals = new Set(Array.from(plain.train.classIds));
      const variantClasses = new Set<number>();
      for (let i = n; i < d.train.size; i++) {
        const [key, colour] = d.train.keys[i]!.split('~') as [string, string];
        const source = plain.train.keys.indexOf(key);
        expect(source, key).toBeGreaterThanOrEqual(0);
        const caps = d.train.captions[i]!.map((c) => d.vocabulary.decode(c).join(' '));
        expect(caps[0]).toMatch(new RegExp(`^${colour} (circle|square|heart|diamond)$`));
        for (const c of caps) expect(c).toContain(colour);
        const seen = describeEmoji(await d.train.readImage(i))!;
        expect(seen.colour, d.train.keys[i]).toBe(colour);
        expect(seen.shape).toBe(describeEmoji(await plain.train.readImage(source))!.shape);
        expect(originals.has(d.train.classIds[i]!)).toBe(false);
        variantClasses.add(d.train.classIds[i]!);
      }
      expect(variantClasses.size).toBe(extra.length);
    } finally {
      await plain.close();
      await d.close();
    }
    // only the training split gets copies
    const half = await load(2, 0.5);
    expect(half.test.keys.some((k) => k.includes('~'))).toBe(false);
    await half.close();
    await expect(load(8)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringMatching(/between 0 and 7 for recolour/) });
  });
});
