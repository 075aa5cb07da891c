// SPDX-License-Identifier: MIT
import { readdir, readFile, truncate, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ImageCache, loadDataset } from '../../src/data/index.js';
import { captureLogger, makeImage, put, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let root: string;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  root = join(dir, 'src');
  for (let i = 0; i < 6; i++) {
    await put(join(root, `im${i}.jpg`), await makeImage(48, 40, [i * 40, 80, 160]));
    await put(join(root, `im${i}.txt`), `image ${i}`);
  }
});
afterAll(async () => cleanup());

const load = (cache = true) => loadDataset({ dataset: 'folder', root, cacheDir: join(dir, 'cache'), imageSize: 64, cache, logger: captureLogger() });

describe('image cache', () => {
  it('decodes once, then reuses without decoding', async () => {
    const first = await load();
    expect([first.decoded, first.reused]).toEqual([6, 0]);
    const pixels = await first.train.readImage(3);
    await first.close();
    const second = await load();
    expect([second.decoded, second.reused]).toEqual([0, 6]);
    expect(await second.train.readImage(3)).toEqual(pixels);
    expect(second.cacheBytes).toBe(6 * 91 * 76 * 3); // 48×40 → 91×76
    await second.close();
  });

  it('returns the same pixels with the cache off', async () => {
    const cached = await load();
    const direct = await load(false);
    expect(direct.cacheDir).toBeNull();
    expect(await direct.train.readImage(2)).toEqual(await cached.train.readImage(2));
    await cached.close();
    await direct.close();
  });

  it('re-decodes only a changed source and drops the old blob', async () => {
    await put(join(root, 'im1.jpg'), await makeImage(48, 40, [255, 255, 0]));
    const future = new Date(Date.now() + 5000);
    await utimes(join(root, 'im1.jpg'), future, future);
    const d = await load();
    expect([d.decoded, d.reused]).toEqual([1, 5]);
    const img = await d.train.readImage(d.train.keys.indexOf('im1'));
    expect(img.data[0]).toBeGreaterThan(240);
    await d.close();
    const files = (await readdir(d.cacheDir as string)).filter((f) => f.startsWith('images-76-'));
    expect(files).toHaveLength(1);
  });

  it('rebuilds after a corrupt index or a truncated blob', async () => {
    const cacheDir = (await load().then(async (d) => (await d.close(), d.cacheDir))) as string;
    const indexPath = ImageCache.indexPath(cacheDir, 76);
    const index = JSON.parse(await readFile(indexPath, 'utf8')) as { blob: string };
    await truncate(join(cacheDir, index.blob), 1000);
    const a = await load();
    expect(a.decoded).toBe(6);
    await a.close();
    await writeFile(indexPath, '{"format": "mirrorgan-image-cache", "vers');
    const b = await load();
    expect(b.decoded).toBe(6);
    await b.close();
  });

  it('keeps separate caches per size', async () => {
    const big = await loadDataset({ dataset: 'folder', root, cacheDir: join(dir, 'cache'), imageSize: 128, logger: captureLogger() });
    expect(big.decoded).toBe(6);
    expect((await big.train.readImage(0)).height).toBe(152);
    await big.close();
    const small = await load();
    expect(small.decoded).toBe(0);
    await small.close();
  });
});
