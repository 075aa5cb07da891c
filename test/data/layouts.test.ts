// SPDX-License-Identifier: MIT
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadDataset, type LoadedDataset } from '../../src/data/index.js';
import { NpInt, PyStr, captureLogger, makeImage, put, tempDir, writePickle } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterAll(async () => cleanup());

const caps = (name: string, n: number): string => Array.from({ length: n }, (_, i) => `a ${name} bird number ${i}`).join('\n');

function mean(img: { data: Uint8Array }, channel: number): number {
  let s = 0;
  for (let i = channel; i < img.data.length; i += 3) s += img.data[i] as number;
  return s / (img.data.length / 3);
}

async function words(d: LoadedDataset, split: 'train' | 'test', i: number): Promise<string[]> {
  return d[split].captions[i]!.map((c) => d.vocabulary.decode(c).join(' '));
}

describe('CUB layout', () => {
  const keys = {
    train: ['001.Red_bird/Red_bird_0001', '001.Red_bird/Red_bird_0002', '002.Blue_bird/Blue_bird_0001'],
    test: ['003.Green_bird/Green_bird_0001'],
  };
  let root: string;

  beforeAll(async () => {
    root = join(dir, 'birds');
    const all = [...keys.train, ...keys.test];
    const images: string[] = [];
    const boxes: string[] = [];
    for (const [i, key] of all.entries()) {
      // 200×100: red left half, blue right half; the box sits in the red half.
      const raw = Buffer.alloc(200 * 100 * 3);
      for (let p = 0; p < 200 * 100; p++) raw.set(p % 200 < 100 ? [220, 20, 20] : [20, 20, 220], p * 3);
      const { default: sharp } = await import('sharp');
      await put(join(root, 'CUB_200_2011', 'images', `${key}.jpg`), await sharp(raw, { raw: { width: 200, height: 100, channels: 3 } }).jpeg().toBuffer());
      images.push(`${i + 1} ${key}.jpg`);
      boxes.push(`${i + 1} 50.0 20.0 40.0 30.0`);
      await put(join(root, 'text', `${key}.txt`), caps(key.split('.')[1]!.split('/')[0]!.replace('_', ' '), i === 0 ? 12 : 10));
    }
    await put(join(root, 'CUB_200_2011', 'images.txt'), `${images.join('\n')}\n`);
    await put(join(root, 'CUB_200_2011', 'bounding_boxes.txt'), `${boxes.join('\n')}\n`);
    await put(join(root, 'train', 'filenames.pickle'), writePickle(keys.train.map((k) => new PyStr(k))));
    await put(join(root, 'train', 'class_info.pickle'), writePickle([new NpInt(1), new NpInt(1), new NpInt(2)]));
    await put(join(root, 'test', 'filenames.txt'), `${keys.test.join('\n')}\n`);
  });

  it('reads pickled and plain-text split lists, class info and 10 captions per image', async () => {
    const log = captureLogger();
    const d = await loadDataset({ dataset: 'cub', root, cacheDir: join(dir, 'cache'), imageSize: 64, logger: log });
    try {
      expect(d.train.keys).toEqual(keys.train);
      expect(d.test.keys).toEqual(keys.test);
      expect(Array.from(d.train.classIds)).toEqual([1, 1, 2]);
      expect(Array.from(d.test.classIds)).toEqual([3]); // from the key when class_info is absent
      expect(d.train.captions[0]).toHaveLength(10); // first 10 of 12
      expect(await words(d, 'test', 0)).toContain('a green bird bird number 3');
      expect(log.warnings).toEqual([]);
    } finally {
      await d.close();
    }
  });

  it('crops around the bounding box with the official rule before resizing', async () => {
    const d = await loadDataset({ dataset: 'cub', root, cacheDir: join(dir, 'cache'), imageSize: 64, logger: captureLogger() });
    try {
      const img = await d.train.readImage(0);
      // Box (50,20,40,30) → crop [40,5,100,65], a 60×60 square inside the red half → 76×76.
      expect([img.width, img.height]).toEqual([76, 76]);
      expect(mean(img, 0)).toBeGreaterThan(200);
      expect(mean(img, 2)).toBeLessThan(40);
    } finally {
      await d.close();
    }
  });

  it('uses captions.pickle ids when present', async () => {
    const ixtoword = new Map<number, PyStr>([[0, new PyStr('<end>')], [1, new PyStr('bird')], [2, new PyStr('tiny')]]);
    const wordtoix = new Map<PyStr, number>([...ixtoword].map(([k, v]) => [v, k]));
    const train = Array.from({ length: 30 }, (_, i) => (i % 2 ? [2, 1] : [1]));
    const test = Array.from({ length: 10 }, () => [2]);
    await put(join(root, 'captions.pickle'), writePickle([train, test, ixtoword, wordtoix]));
    try {
      const d = await loadDataset({ dataset: 'cub', root, cacheDir: join(dir, 'cache'), imageSize: 64, logger: captureLogger() });
      expect(d.vocabulary.toJSON().words).toEqual(['<end>', 'bird', 'tiny']);
      expect(d.train.captions[0]![1]).toEqual([2, 1]);
      expect(d.test.captions[0]).toHaveLength(10);
      await d.close();
      await put(join(root, 'captions.pickle'), writePickle([train.slice(1), test, ixtoword, wordtoix]));
      await expect(loadDataset({ dataset: 'cub', root, cacheDir: join(dir, 'cache'), imageSize: 64, logger: captureLogger() })).rejects.toThrow(
        /captions.pickle holds 29\/10/,
      );
    } finally {
      const { rm } = await import('node:fs/promises');
      await rm(join(root, 'captions.pickle'));
    }
  });

  it('explains a missing layout', async () => {
    await expect(loadDataset({ dataset: 'cub', root: join(dir, 'nothing'), cacheDir: join(dir, 'cache'), logger: captureLogger() })).rejects.toMatchObject({
      code: 'ERR_DATA_NOT_FOUND',
    });
  });
});

describe('COCO layouts', () => {
  it('reads the AttnGAN layout with class ids 0..N-1', async () => {
    const root = join(dir, 'coco-attngan');
    const train = ['COCO_train2014_000000000009', 'COCO_train2014_000000000025'];
    const test = ['COCO_val2014_000000000042'];
    for (const key of [...train, ...test]) {
      await put(join(root, 'images', `${key}.jpg`), await makeImage(64, 48, [10, 200, 10]));
      await put(join(root, 'text', `${key}.txt`), caps('coco', 7));
    }
    await put(join(root, 'train', 'filenames.txt'), train.join('\n'));
    await put(join(root, 'test', 'filenames.pickle'), writePickle(test));
    const d = await loadDataset({ dataset: 'coco', root, cacheDir: join(dir, 'cache'), imageSize: 64, logger: captureLogger() });
    try {
      expect(d.train.keys).toEqual(train);
      expect(Array.from(d.train.classIds)).toEqual([0, 1]);
      expect(d.train.captions[1]).toHaveLength(5);
      const img = await d.test.readImage(0);
      expect([img.width, img.height]).toEqual([101, 76]); // short side → 76, long side int(76·64/48)
    } finally {
      await d.close();
    }
  });

  it('reads the original captions_*2014.json layout', async () => {
    const root = join(dir, 'coco-orig');
    const ann = (prefix: string, ids: number[]) => ({
      images: ids.map((id) => ({ id, file_name: `COCO_${prefix}_${String(id).padStart(12, '0')}.jpg` })),
      annotations: ids.flatMap((id) => Array.from({ length: 6 }, (_, k) => ({ image_id: id, id: id * 10 + k, caption: `A photo ${k} of thing ${id}.` }))),
    });
    const tr = ann('train2014', [9, 25, 30]);
    const va = ann('val2014', [42]);
    for (const [folder, a] of [['train2014', tr], ['val2014', va]] as const) {
      for (const img of a.images) await put(join(root, folder, img.file_name), await makeImage(40, 40, [200, 200, 0]));
      await put(join(root, 'annotations', `captions_${folder}.json`), JSON.stringify(a));
    }
    const d = await loadDataset({ dataset: 'coco', root, cacheDir: join(dir, 'cache'), imageSize: 64, logger: captureLogger() });
    try {
      expect(d.train.keys).toEqual(['COCO_train2014_000000000009', 'COCO_train2014_000000000025', 'COCO_train2014_000000000030']);
      expect(d.test.keys).toEqual(['COCO_val2014_000000000042']);
      expect(d.train.captions[2]).toHaveLength(5);
      expect(await words(d, 'train', 1)).toContain('a photo 0 of thing 25');
      expect(Array.from(d.test.classIds)).toEqual([0]);
    } finally {
      await d.close();
    }
  });
});

describe('folder layout', () => {
  it('reads captions.jsonl with classes and splits', async () => {
    const root = join(dir, 'mine-jsonl');
    await put(join(root, 'img', 'a.png'), await makeImage(50, 50, [255, 0, 0], 'png'));
    await put(join(root, 'img', 'b.jpg'), await makeImage(50, 60, [0, 255, 0]));
    await put(join(root, 'c.jpg'), await makeImage(60, 50, [0, 0, 255]));
    await put(
      join(root, 'captions.jsonl'),
      [
        JSON.stringify({ image: 'img/a.png', captions: ['a red square', 'red'], class: 'red' }),
        JSON.stringify({ image: 'img/b.jpg', caption: 'a green square', class: 'green' }),
        '',
        JSON.stringify({ image: 'c.jpg', captions: ['blue thing'], split: 'test', class: 'blue' }),
      ].join('\n'),
    );
    const d = await loadDataset({ dataset: 'folder', root, cacheDir: join(dir, 'cache'), imageSize: 64, logger: captureLogger() });
    try {
      expect(d.train.keys).toEqual(['img/a', 'img/b']);
      expect(d.test.keys).toEqual(['c']);
      expect(Array.from(d.train.classIds)).toEqual([2, 1]); // blue 0, green 1, red 2
      expect(await words(d, 'train', 0)).toEqual(['a red square', 'red']);
    } finally {
      await d.close();
    }
  });

  it('reads a .txt beside each image, recursively, and honours testFraction', async () => {
    const root = join(dir, 'mine-txt');
    for (let i = 0; i < 20; i++) {
      await put(join(root, `s${i % 2}`, `im${i}.jpg`), await makeImage(32, 32, [i * 10, 100, 100]));
      await put(join(root, `s${i % 2}`, `im${i}.txt`), `picture number ${i}\nanother line`);
    }
    const d = await loadDataset({ dataset: 'folder', root, cacheDir: join(dir, 'cache'), imageSize: 64, folder: { testFraction: 0.3 }, logger: captureLogger() });
    try {
      expect(d.train.size + d.test.size).toBe(20);
      expect(d.test.size).toBeGreaterThan(0);
      expect(d.train.size).toBeGreaterThan(d.test.size);
      expect(new Set([...d.train.classIds, ...d.test.classIds]).size).toBe(20);
      expect(d.train.keys[0]).toMatch(/^s[01]\/im\d+$/);
    } finally {
      await d.close();
    }
  });
});
