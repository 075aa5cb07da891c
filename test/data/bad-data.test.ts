// SPDX-License-Identifier: MIT
import { join } from 'node:path';

import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DataError, loadDataset } from '../../src/data/index.js';
import { captureLogger, makeImage, put, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterAll(async () => cleanup());

/** A folder with one of every kind of bad item. */
async function badFolder(root: string): Promise<void> {
  const cap = async (name: string, text = `a picture called ${name}`) => put(join(root, `${name}.txt`), text);
  await put(join(root, 'good.jpg'), await makeImage(40, 40, [200, 50, 50]));
  await cap('good');
  await put(join(root, 'corrupt.jpg'), Buffer.from('this is not a jpeg at all, just text'));
  await cap('corrupt');
  const png = await makeImage(40, 40, [10, 10, 200], 'png');
  await put(join(root, 'truncated.png'), png.subarray(0, Math.floor(png.length / 2)));
  await cap('truncated');
  await put(join(root, 'gray.jpg'), await sharp(await makeImage(40, 40, [90, 90, 90])).toColourspace('b-w').jpeg().toBuffer());
  await cap('gray');
  await put(join(root, 'cmyk.jpg'), await sharp(await makeImage(40, 40, [0, 200, 0])).toColourspace('cmyk').jpeg().toBuffer());
  await cap('cmyk');
  // RGBA: fully transparent except an opaque black top-left quarter.
  const rgba = Buffer.alloc(40 * 40 * 4);
  for (let y = 0; y < 20; y++) for (let x = 0; x < 20; x++) rgba[(y * 40 + x) * 4 + 3] = 255;
  await put(join(root, 'rgba.png'), await sharp(rgba, { raw: { width: 40, height: 40, channels: 4 } }).png().toBuffer());
  await cap('rgba');
  await put(join(root, 'empty.jpg'), await makeImage(40, 40, [1, 2, 3]));
  await cap('empty', '!!!\n...\n\n');
  await put(join(root, 'partly.jpg'), await makeImage(40, 40, [1, 2, 3]));
  await cap('partly', '???\na fine caption');
  await put(join(root, 'nocap.jpg'), await makeImage(40, 40, [1, 2, 3]));
  await put(join(root, 'dup.jpg'), await makeImage(40, 40, [5, 5, 5]));
  await put(join(root, 'dup.png'), await makeImage(40, 40, [6, 6, 6], 'png'));
  await cap('dup');
}

describe('bad data', () => {
  it('skips or fixes every bad item with one line each and a summary', async () => {
    const root = join(dir, 'bad');
    await badFolder(root);
    const log = captureLogger();
    const d = await loadDataset({ dataset: 'folder', root, cacheDir: join(dir, 'cache'), imageSize: 64, logger: log });
    try {
      expect([...d.train.keys].sort()).toEqual(['cmyk', 'dup', 'good', 'gray', 'partly', 'rgba']);
      expect(d.report.skipped).toEqual({ 'missing caption file': 1, 'no captions': 1, 'duplicate key': 1, unreadable: 2 });
      expect(d.report.fixed).toEqual({ 'grayscale → RGB': 1, 'CMYK → RGB': 1, 'alpha flattened on white': 1 });
      expect(d.report.dropped).toEqual({ 'empty caption': 3 });
      const lines = log.warnings.join('\n');
      for (const k of ['corrupt', 'truncated', 'nocap', 'empty', 'gray', 'cmyk', 'rgba', 'dup']) expect(lines).toContain(`${k}`);
      expect(log.warnings.filter((w) => w.includes('skipped corrupt'))).toHaveLength(1);
      expect(log.warnings.at(-1)).toBe(
        'folder: skipped 5 images (2 unreadable, 1 duplicate key, 1 missing caption file, 1 no captions); ' +
          'fixed 3 images (1 CMYK → RGB, 1 alpha flattened on white, 1 grayscale → RGB); dropped 3 captions (3 empty caption)',
      );

      const at = (key: string) => d.train.readImage(d.train.keys.indexOf(key));
      const rgba = await at('rgba');
      expect([rgba.width, rgba.height]).toEqual([76, 76]);
      expect(Array.from(rgba.data.subarray(rgba.data.length - 3))).toEqual([255, 255, 255]); // transparent → white
      expect(rgba.data[0]).toBeLessThan(20); // opaque black stays black
      const gray = await at('gray');
      expect(gray.data.length).toBe(76 * 76 * 3);
      expect(Math.abs((gray.data[0] as number) - (gray.data[1] as number))).toBeLessThanOrEqual(1);
      const cmyk = await at('cmyk');
      // Still clearly green after sRGB → CMYK → sRGB (the print gamut dulls it).
      expect(cmyk.data[1] as number).toBeGreaterThan((cmyk.data[0] as number) + 40);
      expect(cmyk.data[1] as number).toBeGreaterThan((cmyk.data[2] as number) + 40);
    } finally {
      await d.close();
    }
  });

  it('reports a skipped image again when the cache is reused, without decoding it again', async () => {
    const root = join(dir, 'bad');
    const log = captureLogger();
    const d = await loadDataset({ dataset: 'folder', root, cacheDir: join(dir, 'cache'), imageSize: 64, logger: log });
    await d.close();
    expect(d.decoded).toBe(0);
    expect(d.report.skipped.unreadable).toBe(2);
    expect(log.warnings.some((w) => w.includes('skipped corrupt: unreadable'))).toBe(true);
  });

  it('skips jsonl lines that are malformed or name a missing image', async () => {
    const root = join(dir, 'jsonl-bad');
    await put(join(root, 'a.jpg'), await makeImage(30, 30, [1, 1, 1]));
    await put(
      join(root, 'captions.jsonl'),
      ['{"image": "a.jpg", "captions": ["ok"]}', '{"image": "gone.jpg", "captions": ["x"]}', '{not json', '{"image": 3}'].join('\n'),
    );
    const log = captureLogger();
    const d = await loadDataset({ dataset: 'folder', root, cacheDir: join(dir, 'cache'), imageSize: 64, logger: log });
    await d.close();
    expect(d.train.keys).toEqual(['a']);
    expect(d.report.skipped).toEqual({ 'bad metadata line': 2, 'missing image': 1 });
  });

  it('fails with ERR_DATA_EMPTY when nothing is usable', async () => {
    const root = join(dir, 'hopeless');
    await put(join(root, 'x.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0x00, 0x01]));
    await put(join(root, 'x.txt'), 'a caption');
    await put(join(root, 'y.jpg'), await makeImage(20, 20, [0, 0, 0]));
    await put(join(root, 'y.txt'), '***');
    const log = captureLogger();
    const err = await loadDataset({ dataset: 'folder', root, cacheDir: join(dir, 'cache'), imageSize: 64, logger: log }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).code).toBe('ERR_DATA_EMPTY');
    expect((err as DataError).message).toMatch(/no usable training image.*skipped 2 images \(1 no captions, 1 unreadable\)/);
  });

  it('validates options with the project sentence shape', async () => {
    await expect(loadDataset({ dataset: 'folder', root: dir, imageSize: 0 })).rejects.toThrow(
      'Expected integer between 8 and 1024 for imageSize but received 0 of type number',
    );
    await expect(loadDataset({ dataset: 'imagenet' as never })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
    await expect(loadDataset({ dataset: 'folder' })).rejects.toThrow(/for root/);
  });
});
