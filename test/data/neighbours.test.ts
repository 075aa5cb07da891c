// SPDX-License-Identifier: MIT
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DataLoader, loadDataset, type LoadedDataset } from '../../src/data/index.js';
import { captionNeighbours, groupByNeighbours } from '../../src/data/neighbours.js';
import { captureLogger, makeImage, put, tempDir } from './helpers.js';

// Word ids: 1 = a template word every image has, 2.. = content words.
const caps = (...words: number[][]): number[][] => words;

describe('captionNeighbours', () => {
  it('ranks by shared rare words, ignores template words, skips the same class', () => {
    const captions = [
      caps([1, 10, 20], [1, 10]), // 0: red circle
      caps([1, 10, 21]),          // 1: red square
      caps([1, 11, 20]),          // 2: blue circle
      caps([1, 12, 22]),          // 3: nothing shared
      caps([1, 10, 20]),          // 4: red circle again, but the same class as 0
      caps([1, 13, 23]),          // 5..9: fillers so that word 1 is a template word
      caps([1, 14, 24]),
      caps([1, 15, 25]),
      caps([1, 16, 26]),
      caps([1, 17, 27]),
    ];
    const classIds = [0, 1, 2, 3, 0, 5, 6, 7, 8, 9];
    const nb = captionNeighbours(captions, classIds, { count: 5, maxShare: 0.5 });
    expect(Array.from(nb[0] as Int32Array)).toEqual([1, 2]);    // 4 is its own class; 3 shares only the template
    expect(Array.from(nb[1] as Int32Array)).toEqual([0, 4]);    // tie broken by index
    expect(Array.from(nb[3] as Int32Array)).toEqual([]);
    // With the template word counted (maxShare 1) it still cannot outrank shared content words,
    // and its idf is 0 since every image has it.
    const all = captionNeighbours(captions, classIds, { count: 2, maxShare: 1 });
    expect(Array.from(all[0] as Int32Array)).toEqual([1, 2]);
  });

  it('keeps at most `count`', () => {
    const captions = Array.from({ length: 30 }, (_, i) => caps([2, 100 + i]));
    const classIds = Array.from({ length: 30 }, (_, i) => i);
    const nb = captionNeighbours(captions, classIds, { count: 4, maxShare: 1 });
    expect(nb.every((l) => l.length === 0)).toBe(true); // word 2 is in every image: idf 0 links nothing
    const half = Array.from({ length: 30 }, (_, i) => caps([i % 2 === 0 ? 2 : 3, 100 + i]));
    const nb2 = captionNeighbours(half, classIds, { count: 4, maxShare: 1 });
    expect(nb2.map((l) => l.length)).toEqual(new Array(30).fill(4));
    expect(Array.from(nb2[0] as Int32Array).every((j) => j % 2 === 0)).toBe(true);
  });
});

describe('groupByNeighbours', () => {
  const nb = [[1, 2], [0], [3, 0], [2], [], [4]].map((l) => Int32Array.from(l));

  it('follows each unplaced image with its nearest unplaced neighbours, once each', () => {
    expect(groupByNeighbours([0, 1, 2, 3, 4, 5], nb, 1)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(groupByNeighbours([5, 2, 0, 1, 3, 4], nb, 1)).toEqual([5, 4, 2, 3, 0, 1]);
    expect(groupByNeighbours([2, 0, 1, 3, 4, 5], nb, 2)).toEqual([2, 3, 0, 1, 4, 5]);
    expect(groupByNeighbours([3, 0, 1, 2, 4, 5], nb, 0)).toEqual([3, 0, 1, 2, 4, 5]);
  });

  it('draws from the whole list with `pick` and still returns a permutation', () => {
    const last = (m: number): number => m - 1; // Fisher–Yates with "always the last": identity
    const first = (): number => 0;               // rotates the list: [1, 2] -> [2, 1]
    expect(groupByNeighbours([0, 1, 2, 3, 4, 5], nb, 1, last)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(groupByNeighbours([0, 1, 2, 3, 4, 5], nb, 1, first)).toEqual([0, 2, 1, 3, 4, 5]);
    let s = 7;
    const lcg = (m: number): number => ((s = (s * 1103515245 + 12345) % 2147483648), s % m);
    const order = [4, 1, 5, 0, 3, 2];
    expect([...groupByNeighbours(order, nb, 2, lcg)].sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('DataLoader neighbours', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let data: LoadedDataset;
  const words = ['alpha', 'beta', 'gamma', 'delta', 'kappa', 'sigma'];

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    const root = join(dir, 'src');
    const lines: string[] = [];
    // Twelve images in six pairs; the two of a pair share one word nobody else uses.
    for (let i = 0; i < 12; i++) {
      await put(join(root, `im${i}.jpg`), await makeImage(40, 40, [i * 20, 100, 50]));
      lines.push(JSON.stringify({ image: `im${i}.jpg`, captions: [`an image of ${words[i >> 1]} number${i}`], class: i }));
    }
    await put(join(root, 'captions.jsonl'), lines.join('\n'));
    data = await loadDataset({ dataset: 'folder', root, cacheDir: join(dir, 'cache'), imageSize: 64, logger: captureLogger() });
  });
  afterAll(async () => {
    await data.close();
    await cleanup();
  });

  const pairOf = (key: string): number => Number(/im(\d+)/.exec(key)?.[1]) >> 1;

  it('puts each image next to its neighbour; every image once per epoch', async () => {
    const loader = new DataLoader(data.train, { batchSize: 2, imageSizes: [32], wordsNum: 8, seed: 3, neighbours: 1 });
    for (const epoch of [0, 1]) {
      const keys: string[] = [];
      for await (const b of loader.epoch(epoch)) {
        expect(pairOf(b.keys[0] as string)).toBe(pairOf(b.keys[1] as string));
        keys.push(...b.keys);
      }
      expect(keys.sort()).toEqual([...data.train.keys].sort());
    }
    // Without the option the same seed mixes pairs.
    let mixed = 0;
    for await (const b of new DataLoader(data.train, { batchSize: 2, imageSizes: [32], wordsNum: 8, seed: 3 }).epoch(0)) {
      if (pairOf(b.keys[0] as string) !== pairOf(b.keys[1] as string)) mixed++;
    }
    expect(mixed).toBeGreaterThan(0);
  });

  it("mismatch 'neighbour' takes each wrong caption from the image's neighbours", async () => {
    const V = data.vocabulary;
    const words = (ids: Int32Array, k: number, W: number, len: number) => V.decode(ids.subarray(k * W, k * W + len)).join(' ');
    let random = 0;
    for (const mismatch of ['neighbour', 'random'] as const) {
      for await (const b of new DataLoader(data.train, { batchSize: 4, imageSizes: [32], wordsNum: 8, seed: 5, mismatch }).epoch(0)) {
        for (let k = 0; k < b.batchSize; k++) {
          const own = pairOf(b.keys[k] as string);
          const wrong = words(b.wrongCaptions, k, b.wordsNum, b.wrongCaptionLengths[k] as number);
          expect(wrong).not.toContain(`number${/im(\d+)/.exec(b.keys[k] as string)?.[1]}`);
          const shares = wrong.includes(` ${['alpha', 'beta', 'gamma', 'delta', 'kappa', 'sigma'][own]} `);
          if (mismatch === 'neighbour') expect(shares, wrong).toBe(true);
          else if (!shares) random++;
        }
      }
    }
    expect(random).toBeGreaterThan(0);
  });

  it('rejects neighbours without shuffling and out of range', () => {
    expect(() => new DataLoader(data.train, { batchSize: 2, shuffle: false, neighbours: 1 })).toThrow(/neighbours/);
    expect(() => new DataLoader(data.train, { batchSize: 2, neighbours: 65 })).toThrow('Expected integer between 0 and 64 for neighbours but received 65 of type number');
    expect(() => new DataLoader(data.train, { batchSize: 2, mismatch: 'near' as never })).toThrow(/mismatch/);
  });
});
