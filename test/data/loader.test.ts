// SPDX-License-Identifier: MIT
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DataLoader, loadDataset, type Batch, type LoadedDataset } from '../../src/data/index.js';
import { captureLogger, makeImage, put, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let data: LoadedDataset;
const N = 12;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  const root = join(dir, 'src');
  const lines: string[] = [];
  for (let i = 0; i < N; i++) {
    await put(join(root, `im${i}.jpg`), await makeImage(60 + (i % 3) * 10, 50, [i * 20, 255 - i * 20, 128]));
    const caps = [`a picture of thing ${i}`, `thing ${i} seen from far away on a long and winding road with many trees around it today`];
    lines.push(JSON.stringify({ image: `im${i}.jpg`, captions: caps, class: i % 4 }));
  }
  await put(join(root, 'captions.jsonl'), lines.join('\n'));
  data = await loadDataset({ dataset: 'folder', root, cacheDir: join(dir, 'cache'), imageSize: 64, logger: captureLogger() });
});
afterAll(async () => {
  await data.close();
  await cleanup();
});

async function collect(loader: DataLoader, epoch = 0): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of loader.epoch(epoch)) out.push(b);
  return out;
}

const opts = { batchSize: 5, imageSizes: [16, 32, 64], wordsNum: 8, seed: 11 };

describe('DataLoader', () => {
  it('makes ⌊N/B⌋ batches with the pyramid in NCHW and values in [-1, 1]', async () => {
    const batches = await collect(new DataLoader(data.train, opts));
    expect(batches).toHaveLength(2);
    for (const b of batches) {
      expect(b.images.map((a) => a.length)).toEqual([5 * 3 * 16 * 16, 5 * 3 * 32 * 32, 5 * 3 * 64 * 64]);
      for (const img of b.images) {
        let min = Infinity;
        let max = -Infinity;
        for (const v of img) {
          min = Math.min(min, v);
          max = Math.max(max, v);
        }
        expect(min).toBeGreaterThanOrEqual(-1);
        expect(max).toBeLessThanOrEqual(1);
        expect(max - min).toBeGreaterThan(0.5);
      }
      // Each scale is the same picture: per-item channel means agree across scales.
      for (let k = 0; k < 5; k++) {
        const m = (a: Float32Array, s: number) => a.subarray(k * 3 * s * s, k * 3 * s * s + s * s).reduce((x, y) => x + y, 0) / (s * s);
        expect(Math.abs(m(b.images[0]!, 16) - m(b.images[2]!, 64))).toBeLessThan(0.03);
      }
    }
    const partial = await collect(new DataLoader(data.train, { ...opts, dropLast: false }));
    expect(partial.map((b) => b.batchSize)).toEqual([5, 5, 2]);
    const seen = partial.flatMap((b) => b.keys).sort();
    expect(seen).toEqual([...data.train.keys].sort());
  });

  it('sorts by caption length and keeps every per-item field aligned', async () => {
    const [b] = await collect(new DataLoader(data.train, opts));
    const lens = Array.from(b!.captionLengths);
    expect(lens).toEqual([...lens].sort((x, y) => y - x));
    expect(b!.maxLength).toBe(lens[0]);
    for (let k = 0; k < b!.batchSize; k++) {
      const i = b!.indices[k] as number;
      expect(b!.keys[k]).toBe(data.train.keys[i]);
      expect(b!.classIds[k]).toBe(data.train.classIds[i]);
      const row = Array.from(b!.captions.subarray(k * 8, k * 8 + (lens[k] as number)));
      const full = data.train.captions[i]![b!.captionIndices[k] as number]!;
      // Capped captions keep word order: row is a subsequence of the source caption.
      let p = 0;
      for (const w of full) if (w === row[p]) p++;
      expect(p).toBe(row.length);
      expect(Array.from(b!.captions.subarray(k * 8 + (lens[k] as number), (k + 1) * 8)).every((v) => v === 0)).toBe(true);
    }
  });

  it('is deterministic for a seed, independent of prefetch depth, and varies by seed and epoch', async () => {
    const a = await collect(new DataLoader(data.train, { ...opts, prefetch: 0 }));
    const b = await collect(new DataLoader(data.train, { ...opts, prefetch: 5 }));
    expect(b).toEqual(a);
    const c = await collect(new DataLoader(data.train, { ...opts, seed: 12 }));
    expect(c.map((x) => x.keys)).not.toEqual(a.map((x) => x.keys));
    const e1 = await collect(new DataLoader(data.train, opts), 1);
    expect(e1.map((x) => x.keys)).not.toEqual(a.map((x) => x.keys));
  });

  it('flips and crops only when augmenting', async () => {
    const still = { ...opts, shuffle: false, augment: false, sortByLength: false };
    const x = await collect(new DataLoader(data.train, still), 0);
    const y = await collect(new DataLoader(data.train, still), 3);
    expect(y[0]!.images).toEqual(x[0]!.images);
    expect(x[0]!.images[2]!.length).toBe(5 * 3 * 64 * 64);
    const aug = await collect(new DataLoader(data.train, { ...opts, shuffle: false }), 0);
    expect(aug[0]!.images[2]).not.toEqual(x[0]!.images[2]);
  });

  it('runs one epoch per for-await loop', async () => {
    const loader = new DataLoader(data.train, opts);
    const epochs: number[] = [];
    for (let e = 0; e < 2; e++) for await (const b of loader) epochs.push(b.epoch);
    expect(epochs).toEqual([0, 0, 1, 1]);
    expect(loader.batchesPerEpoch).toBe(2);
  });

  it('rejects a batch larger than the split and bad sizes', () => {
    expect(() => new DataLoader(data.train, { batchSize: 13 })).toThrowError(expect.objectContaining({ code: 'ERR_DATA_EMPTY', name: 'DataError' }));
    expect(() => new DataLoader(data.train, { imageSizes: [64, 32] })).toThrow(/ascending/);
    expect(() => new DataLoader(data.train, { wordsNum: 0 })).toThrow('Expected integer between 1 and 256 for wordsNum but received 0 of type number');
  });

  it('substitutes an image that stops being readable (no cache) with one warning', async () => {
    const root = join(dir, 'flaky');
    for (let i = 0; i < 4; i++) {
      await put(join(root, `im${i}.jpg`), i === 2 ? Buffer.from('garbage') : await makeImage(40, 40, [i * 50, 0, 0]));
      await put(join(root, `im${i}.txt`), `thing ${i}`);
    }
    const log = captureLogger();
    const d = await loadDataset({ dataset: 'folder', root, cache: false, imageSize: 64, logger: log });
    const loader = new DataLoader(d.train, { batchSize: 4, imageSizes: [64], logger: log });
    const batches = [...(await collect(loader, 0)), ...(await collect(loader, 1))];
    expect(batches.every((b) => !b.keys.includes('im2'))).toBe(true);
    expect(log.warnings.filter((w) => w.includes('im2'))).toHaveLength(1);
  });
});

describe('DataLoader shard (distributed sampler)', () => {
  const plain = { ...opts, batchSize: 2, sortByLength: false };
  const fields = (b: Batch) => ({ keys: b.keys, captionIndices: [...b.captionIndices], classIds: [...b.classIds] });

  it('gives each rank a disjoint block of every global batch, item for item the batch one process reads at B × W', async () => {
    for (const epoch of [0, 1]) {
      const single = await collect(new DataLoader(data.train, { ...plain, batchSize: 4 }), epoch);
      const ranks = await Promise.all([0, 1].map((rank) => collect(new DataLoader(data.train, { ...plain, shard: { rank, worldSize: 2 } }), epoch)));
      expect(ranks.map((r) => r.length)).toEqual([single.length, single.length]);
      single.forEach((g, s) => {
        const [a, b] = [ranks[0]![s]!, ranks[1]![s]!];
        expect(a.keys.filter((k) => b.keys.includes(k))).toEqual([]);
        expect([...a.keys, ...b.keys]).toEqual(g.keys);
        expect([...fields(a).captionIndices, ...fields(b).captionIndices]).toEqual(fields(g).captionIndices);
        // Same crops and flips: rank r's images are rows [2r, 2r+2) of the global batch's.
        const row = 3 * 64 * 64;
        expect(a.images[2]).toEqual(g.images[2]!.subarray(0, 2 * row));
        expect(b.images[2]).toEqual(g.images[2]!.subarray(2 * row, 4 * row));
      });
    }
    const e0 = await collect(new DataLoader(data.train, { ...plain, shard: { rank: 0, worldSize: 2 } }), 0);
    const e1 = await collect(new DataLoader(data.train, { ...plain, shard: { rank: 0, worldSize: 2 } }), 1);
    expect(e1.map((b) => b.keys)).not.toEqual(e0.map((b) => b.keys));
  });

  it('without dropLast pads by wrapping so every rank reads the same number of batches and all images are read', async () => {
    const W = 5;
    const loaders = Array.from({ length: W }, (_, rank) => new DataLoader(data.train, { ...plain, dropLast: false, shard: { rank, worldSize: W } }));
    const runs = await Promise.all(loaders.map((l) => collect(l)));
    expect(new Set(loaders.map((l) => l.batchesPerEpoch))).toEqual(new Set([2]));
    expect(runs.map((r) => r.length)).toEqual(Array(W).fill(2));
    expect(new Set(runs.flatMap((r) => r.map((b) => b.batchSize)))).toEqual(new Set([2, 1]));
    const seen = runs.flat().flatMap((b) => b.keys);
    expect(seen).toHaveLength(15);
    expect(new Set(seen).size).toBe(N);
  });

  it('rejects a shard outside the world and a global batch larger than the split', () => {
    expect(() => new DataLoader(data.train, { ...plain, shard: { rank: 2, worldSize: 2 } })).toThrow(
      'Expected integer between 0 and 1 for shard.rank but received 2 of type number',
    );
    expect(() => new DataLoader(data.train, { ...plain, batchSize: 5, shard: { rank: 0, worldSize: 3 } })).toThrow(/fewer than batchSize 5 × 3 ranks/);
  });
});
