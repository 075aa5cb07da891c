// SPDX-License-Identifier: MIT
/**
 * CUB-200-2011 in the AttnGAN/MirrorGAN layout (reference §8.1–8.3). `root` is the folder
 * that holds:
 *
 * ```
 * CUB_200_2011/images/<class>/<name>.jpg
 * CUB_200_2011/images.txt            "id <class>/<name>.jpg"
 * CUB_200_2011/bounding_boxes.txt    "id x y w h"
 * text/<class>/<name>.txt            10 captions per image
 * train/filenames.pickle | train/filenames.txt
 * test/filenames.pickle  | test/filenames.txt
 * train/class_info.pickle, test/class_info.pickle   (optional; else the class number in the key)
 * captions.pickle | bird_captions.pickle            (optional; then its word ids are used)
 * ```
 *
 * Images are cropped around their bounding box with the official rule (§8.2) before resizing.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { DataError } from '../../lib/errors.js';
import { exists, readCaptionFile, readCaptionsPickle, readClassInfo, readSplitKeys } from './layout.js';
import { runPool } from '../util/pool.js';
import type { DataLogger, DataReport } from './report.js';
import type { BBox, SourceItem, SourceScan, Split } from './types.js';

/** Captions kept per CUB image. */
export const CUB_CAPTIONS_PER_IMAGE = 10;

/** Reads `images.txt` + `bounding_boxes.txt` into key → bbox; `null` when the files are absent. */
export async function readCubBoxes(cubDir: string): Promise<Map<string, BBox> | null> {
  const imagesTxt = join(cubDir, 'images.txt');
  const boxesTxt = join(cubDir, 'bounding_boxes.txt');
  if (!(await exists(imagesTxt)) || !(await exists(boxesTxt))) return null;
  const idToKey = new Map<string, string>();
  for (const line of (await readFile(imagesTxt, 'utf8')).split(/\r?\n/)) {
    const [id, rel] = line.trim().split(/\s+/);
    if (id && rel) idToKey.set(id, rel.replace(/\.[^./]+$/, ''));
  }
  const boxes = new Map<string, BBox>();
  for (const line of (await readFile(boxesTxt, 'utf8')).split(/\r?\n/)) {
    const parts = line.trim().split(/\s+/);
    if (parts.length < 5) continue;
    // Official: pandas read_csv(...).astype(int), i.e. truncation of the float text.
    const nums = parts.slice(1, 5).map((p) => Math.trunc(Number.parseFloat(p)));
    const key = idToKey.get(parts[0] as string);
    if (!key || nums.some((n) => !Number.isFinite(n))) {
      throw new DataError('ERR_DATA_BAD_FORMAT', `${boxesTxt}: bad line ${JSON.stringify(line)}`);
    }
    boxes.set(key, nums as BBox);
  }
  return boxes;
}

/** Class number from a CUB key such as `017.Cardinal/Cardinal_0001_17070` (0 if none). */
function classFromKey(key: string): number {
  const m = /^(\d+)\./.exec(key);
  return m ? Number.parseInt(m[1] as string, 10) : 0;
}

/** Scans a CUB root (see module doc). */
export async function scanCub(root: string, report: DataReport, logger: DataLogger): Promise<SourceScan> {
  const cubDir = join(root, 'CUB_200_2011');
  const keys: Record<Split, string[]> = { train: [], test: [] };
  for (const split of ['train', 'test'] as const) {
    const k = await readSplitKeys(root, split);
    if (!k) {
      throw new DataError(
        'ERR_DATA_NOT_FOUND',
        `CUB root ${root} has no ${split}/filenames.pickle or ${split}/filenames.txt (expected the AttnGAN birds layout)`,
      );
    }
    keys[split] = k;
  }
  const boxes = await readCubBoxes(cubDir);
  if (!boxes) logger.warn(`cub: no CUB_200_2011/images.txt + bounding_boxes.txt in ${root}; images are used uncropped`);
  const pickle = await readCaptionsPickle(root, keys.train.length, keys.test.length, CUB_CAPTIONS_PER_IMAGE);
  let noBox = 0;
  const scan: SourceScan = { name: 'cub', root, train: [], test: [], captionsPerImage: CUB_CAPTIONS_PER_IMAGE };
  if (pickle) scan.vocabulary = pickle.vocabulary;
  for (const split of ['train', 'test'] as const) {
    const classInfo = await readClassInfo(root, split, keys[split].length);
    const items: (SourceItem | null)[] = keys[split].map((key, i) => {
      const bbox = boxes?.get(key);
      if (boxes && !bbox) noBox++;
      const item: SourceItem = {
        key,
        classId: classInfo ? (classInfo[i] as number) : classFromKey(key),
        image: { path: join(cubDir, 'images', `${key}.jpg`), ...(bbox ? { bbox } : {}) },
      };
      if (pickle) item.captionIds = pickle[split].slice(i * CUB_CAPTIONS_PER_IMAGE, (i + 1) * CUB_CAPTIONS_PER_IMAGE);
      return item;
    });
    if (!pickle) {
      await runPool(items, 16, async (item, i) => {
        if (item && !(await readCaptionFile(item, join(root, 'text', `${item.key}.txt`), report))) items[i] = null;
      });
    }
    scan[split] = items.filter((it): it is SourceItem => it !== null);
  }
  if (noBox > 0) logger.warn(`cub: ${noBox} images have no line in bounding_boxes.txt; they are used uncropped`);
  return scan;
}
