// SPDX-License-Identifier: MIT
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  OPENMOJI_ATTRIBUTION,
  OPENMOJI_PROBE_CAPTIONS,
  loadDataset,
  openMojiPackageDir,
  scanOpenMoji,
  selectOpenMoji,
  tokenize,
  type OpenMojiRecord,
} from '../../src/data/index.js';
import { captureLogger, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let records: OpenMojiRecord[];
let byHex: Map<string, OpenMojiRecord>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  records = JSON.parse(await readFile(join(openMojiPackageDir(), 'data', 'openmoji.json'), 'utf8')) as OpenMojiRecord[];
  byHex = new Map(records.map((r) => [r.hexcode, r]));
});
afterAll(async () => cleanup());

const TEMPLATE = new Set(['an', 'emoji', 'of', 'a', 'from', 'with', 'and']);

describe('OpenMoji built-in dataset', () => {
  it('selects emoji by group and keeps skin-tone variants in one split and class', async () => {
    expect(selectOpenMoji(records).length).toBe(4004);
    const scan = await scanOpenMoji();
    const where = new Map<string, string>();
    const cls = new Map<string, number>();
    for (const split of ['train', 'test'] as const) {
      for (const item of scan[split]) {
        const r = byHex.get(item.key)!;
        const base = r.skintone_base_hexcode || r.hexcode;
        expect(where.get(base) ?? split).toBe(split);
        expect(cls.get(base) ?? item.classId).toBe(item.classId);
        where.set(base, split);
        cls.set(base, item.classId);
      }
    }
    const testShare = scan.test.length / (scan.train.length + scan.test.length);
    expect(testShare).toBeGreaterThan(0.05);
    expect(testShare).toBeLessThan(0.2);
    expect(scan.train.some((i) => i.key === '1F1E9-1F1EA')).toBe(false); // flag: Germany excluded
  });

  it("skinTones 'base' keeps one version of each person emoji, in the same class and split", async () => {
    const all = await scanOpenMoji();
    const base = await scanOpenMoji({ skinTones: 'base' });
    const items = (s: typeof all) => [...s.train, ...s.test];
    expect(items(base).length).toBe(1974);
    for (const item of items(base)) {
      const r = byHex.get(item.key)!;
      expect(!r.skintone_base_hexcode || r.skintone_base_hexcode === r.hexcode, item.key).toBe(true);
    }
    const where = new Map(all.train.map((i) => [i.key, ['train', i.classId]]));
    for (const i of all.test) where.set(i.key, ['test', i.classId]);
    for (const i of base.train) expect(where.get(i.key)).toEqual(['train', i.classId]);
    for (const i of base.test) expect(where.get(i.key)).toEqual(['test', i.classId]);
    // the colour x shape probes are all there
    const annotations = new Set(items(base).map((i) => byHex.get(i.key)!.annotation));
    for (const c of OPENMOJI_PROBE_CAPTIONS) expect(annotations.has(c), c).toBe(true);
    await expect(scanOpenMoji({ skinTones: 'some' as never })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG', message: "Expected 'all' or 'base' for skinTones but received 'some' of type string",
    });
  });

  it('makes up to 10 captions only from metadata and template words', async () => {
    const scan = await scanOpenMoji();
    for (const item of [...scan.train, ...scan.test]) {
      const r = byHex.get(item.key)!;
      const base = byHex.get(r.skintone_base_hexcode || r.hexcode)!;
      const allowed = new Set([...TEMPLATE, ...[r, base].flatMap((x) => tokenize(`${x.annotation} ${x.tags} ${x.openmoji_tags} ${x.group} ${x.subgroups}`))]);
      expect(item.captions!.length).toBeGreaterThanOrEqual(5);
      expect(item.captions!.length).toBeLessThanOrEqual(10);
      for (const c of item.captions!) {
        const stray = tokenize(c).filter((w) => !allowed.has(w));
        expect(stray, c).toEqual([]);
      }
    }
  });

  it('builds a small subset into the cache with the attribution, then reuses it', async () => {
    const log = captureLogger();
    const opts = { cacheDir: dir, imageSize: 64, openmoji: { limit: 8, testFraction: 0.5 }, logger: log };
    const d = await loadDataset(opts);
    try {
      expect(d.name).toBe('openmoji');
      expect(d.train.size + d.test.size).toBe(8);
      expect(d.decoded).toBe(8);
      expect(d.cacheDir).toBe(join(dir, 'openmoji'));
      expect(d.attribution).toBe(OPENMOJI_ATTRIBUTION);
      expect(await readFile(join(dir, 'openmoji', 'ATTRIBUTION.txt'), 'utf8')).toContain('CC BY-SA 4.0');
      const img = await d.train.readImage(0);
      expect([img.width, img.height]).toEqual([76, 76]);
      expect(Array.from(img.data.subarray(0, 3))).toEqual([255, 255, 255]); // flattened on white
      expect(log.infos.some((l) => l.includes('decoding 8 images at 76 px'))).toBe(true);
      expect(log.warnings).toEqual([]);
    } finally {
      await d.close();
    }
    const again = await loadDataset(opts);
    expect(again.decoded).toBe(0);
    await again.close();
  });
});
