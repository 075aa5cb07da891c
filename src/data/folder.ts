// SPDX-License-Identifier: MIT
/**
 * "Your own data": a folder of images with captions, in one of two forms.
 *
 * 1. `captions.jsonl` in the root, one JSON object per line:
 *    `{"image": "cats/a.png", "captions": ["a black cat", "a cat on a sofa"], "class": "cat", "split": "test"}`
 *    (`caption` with a single string is accepted; `class` and `split` are optional).
 * 2. No `captions.jsonl`: every image (jpg, jpeg, png, webp, gif, tif, tiff, avif, svg) found
 *    under the root, recursively, with a `.txt` of the same name beside it (one caption per line).
 *
 * Keys are image paths relative to the root without extension. Class: integers are used as
 * given, strings are numbered in sorted order, and an image without a class gets a class of its
 * own. Split: the `split` field, else a seeded hash of the key against `testFraction` (default 0,
 * i.e. everything in train).
 */
import { readdir, readFile } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';

import { splitCaptionLines } from '../text/tokenizer.js';
import { DataError } from '../../lib/errors.js';
import { exists, readCaptionFile } from './layout.js';
import { runPool } from '../util/pool.js';
import type { DataReport } from './report.js';
import { deriveSeed } from '../util/rng.js';
import type { SourceItem, SourceScan, Split } from './types.js';

/** Image extensions picked up in the `.txt`-per-image form. */
export const FOLDER_IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.svg'];

/** Options of {@link scanFolder}. */
export interface FolderOptions {
  /** Share of images (without a `split` field) put in the test split (default 0). */
  testFraction?: number;
  /** Split seed (default 2019). */
  seed?: number;
}

interface Row {
  item: SourceItem;
  label: number | string | undefined;
  split: Split | undefined;
}

async function walk(dir: string, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory() && !e.name.startsWith('.')) await walk(p, out);
    else if (e.isFile() && FOLDER_IMAGE_EXTENSIONS.includes(extname(e.name).toLowerCase())) out.push(p);
  }
}

function keyOf(root: string, path: string): string {
  return relative(root, path).split(sep).join('/').replace(/\.[^./]+$/, '');
}

function imageRef(path: string): SourceItem['image'] {
  return extname(path).toLowerCase() === '.svg' ? { path, format: 'svg' } : { path };
}

async function fromJsonl(root: string, path: string, report: DataReport): Promise<Row[]> {
  const rows: Row[] = [];
  const lines = (await readFile(path, 'utf8')).split(/\r?\n/);
  lines.forEach((line, n) => {
    if (line.trim().length === 0) return;
    let obj: { image?: unknown; captions?: unknown; caption?: unknown; class?: unknown; split?: unknown };
    try {
      obj = JSON.parse(line) as typeof obj;
    } catch (err) {
      report.skip('bad metadata line', `captions.jsonl:${n + 1}`, (err as Error).message);
      return;
    }
    const captions = Array.isArray(obj.captions) ? obj.captions : typeof obj.caption === 'string' ? [obj.caption] : null;
    const label = obj.class;
    if (
      typeof obj.image !== 'string' ||
      !captions ||
      captions.some((c) => typeof c !== 'string') ||
      (label !== undefined && typeof label !== 'string' && !(typeof label === 'number' && Number.isInteger(label))) ||
      (obj.split !== undefined && obj.split !== 'train' && obj.split !== 'test')
    ) {
      report.skip('bad metadata line', `captions.jsonl:${n + 1}`, 'expected {"image": str, "captions": [str], "class"?: int|str, "split"?: "train"|"test"}');
      return;
    }
    const abs = join(root, obj.image);
    rows.push({
      item: { key: keyOf(root, abs), classId: -1, image: imageRef(abs), captions: (captions as string[]).flatMap(splitCaptionLines) },
      label: label as number | string | undefined,
      split: obj.split as Split | undefined,
    });
  });
  return rows;
}

async function fromTxt(root: string, report: DataReport): Promise<Row[]> {
  const images: string[] = [];
  await walk(root, images);
  const rows: (Row | null)[] = images.map((p) => ({ item: { key: keyOf(root, p), classId: -1, image: imageRef(p) }, label: undefined, split: undefined }));
  await runPool(rows, 16, async (row, i) => {
    if (row && !(await readCaptionFile(row.item, (row.item.image.path as string).replace(/\.[^./]+$/, '.txt'), report))) rows[i] = null;
  });
  return rows.filter((r): r is Row => r !== null);
}

/** Scans a captioned image folder (see module doc). */
export async function scanFolder(root: string, report: DataReport, options: FolderOptions = {}): Promise<SourceScan> {
  if (!(await exists(root))) throw new DataError('ERR_DATA_NOT_FOUND', `Folder dataset root ${root} does not exist`);
  const jsonl = join(root, 'captions.jsonl');
  const rows = (await exists(jsonl)) ? await fromJsonl(root, jsonl, report) : await fromTxt(root, report);
  // Classes: integers as given; strings numbered in sorted order after the largest integer.
  const ints = rows.map((r) => r.label).filter((l): l is number => typeof l === 'number');
  const strings = [...new Set(rows.map((r) => r.label).filter((l): l is string => typeof l === 'string'))].sort();
  let nextId = ints.length > 0 ? Math.max(...ints) + 1 : 0;
  const stringIds = new Map(strings.map((s) => [s, nextId++]));
  const fraction = options.testFraction ?? 0;
  const seed = options.seed ?? 2019;
  const scan: SourceScan = { name: 'folder', root, train: [], test: [], captionsPerImage: Number.POSITIVE_INFINITY };
  for (const row of rows) {
    row.item.classId = typeof row.label === 'number' ? row.label : typeof row.label === 'string' ? (stringIds.get(row.label) as number) : nextId++;
    const split = row.split ?? (deriveSeed(seed, row.item.key) / 4294967296 < fraction ? 'test' : 'train');
    scan[split].push(row.item);
  }
  return scan;
}
