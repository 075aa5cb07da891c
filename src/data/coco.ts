// SPDX-License-Identifier: MIT
/**
 * MS-COCO 2014, in either layout (reference §8.1):
 *
 * AttnGAN layout (chosen when `train/filenames.pickle` or `train/filenames.txt` exists):
 * ```
 * images/<key>.jpg, text/<key>.txt (5 captions), train|test/filenames.pickle (or .txt),
 * optional captions.pickle
 * ```
 * Original layout:
 * ```
 * annotations/captions_train2014.json, annotations/captions_val2014.json,
 * train2014/<file_name>, val2014/<file_name>
 * ```
 * train2014 is the train split and val2014 the test split, as in AttnGAN. Class ids are the
 * image index within its split (0..N−1), as AttnGAN does when class_info.pickle is absent.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { DataError } from '../../lib/errors.js';
import { exists, readCaptionFile, readCaptionsPickle, readClassInfo, readSplitKeys } from './layout.js';
import { runPool } from '../util/pool.js';
import type { DataReport } from './report.js';
import type { SourceItem, SourceScan, Split } from './types.js';

/** Captions kept per COCO image. */
export const COCO_CAPTIONS_PER_IMAGE = 5;

interface CocoCaptionsJson {
  images: { id: number; file_name: string }[];
  annotations: { image_id: number; caption: string }[];
}

async function scanAttnGanLayout(root: string, report: DataReport): Promise<SourceScan> {
  const keys: Record<Split, string[]> = { train: [], test: [] };
  for (const split of ['train', 'test'] as const) {
    const k = await readSplitKeys(root, split);
    if (!k) throw new DataError('ERR_DATA_NOT_FOUND', `COCO root ${root} has ${split === 'train' ? 'no' : 'train but no'} ${split}/filenames.pickle or .txt`);
    keys[split] = k;
  }
  const pickle = await readCaptionsPickle(root, keys.train.length, keys.test.length, COCO_CAPTIONS_PER_IMAGE);
  const scan: SourceScan = { name: 'coco', root, train: [], test: [], captionsPerImage: COCO_CAPTIONS_PER_IMAGE };
  if (pickle) scan.vocabulary = pickle.vocabulary;
  for (const split of ['train', 'test'] as const) {
    const classInfo = await readClassInfo(root, split, keys[split].length);
    const items: (SourceItem | null)[] = keys[split].map((key, i) => {
      const item: SourceItem = { key, classId: classInfo ? (classInfo[i] as number) : i, image: { path: join(root, 'images', `${key}.jpg`) } };
      if (pickle) item.captionIds = pickle[split].slice(i * COCO_CAPTIONS_PER_IMAGE, (i + 1) * COCO_CAPTIONS_PER_IMAGE);
      return item;
    });
    if (!pickle) {
      await runPool(items, 16, async (item, i) => {
        if (item && !(await readCaptionFile(item, join(root, 'text', `${item.key}.txt`), report))) items[i] = null;
      });
    }
    scan[split] = items.filter((it): it is SourceItem => it !== null);
  }
  return scan;
}

async function readCocoJson(path: string): Promise<CocoCaptionsJson> {
  let json: CocoCaptionsJson;
  try {
    json = JSON.parse(await readFile(path, 'utf8')) as CocoCaptionsJson;
  } catch (cause) {
    throw new DataError('ERR_DATA_BAD_FORMAT', `Cannot parse ${path}: ${(cause as Error).message}`, { cause });
  }
  if (!Array.isArray(json.images) || !Array.isArray(json.annotations)) {
    throw new DataError('ERR_DATA_BAD_FORMAT', `${path}: expected "images" and "annotations" arrays`);
  }
  return json;
}

async function scanOriginalLayout(root: string): Promise<SourceScan> {
  const scan: SourceScan = { name: 'coco', root, train: [], test: [], captionsPerImage: COCO_CAPTIONS_PER_IMAGE };
  const parts: [Split, string][] = [
    ['train', 'train2014'],
    ['test', 'val2014'],
  ];
  for (const [split, folder] of parts) {
    const path = join(root, 'annotations', `captions_${folder}.json`);
    if (!(await exists(path))) {
      if (split === 'test') continue; // a train-only download is usable
      throw new DataError('ERR_DATA_NOT_FOUND', `COCO root ${root} has neither train/filenames.pickle nor annotations/captions_train2014.json`);
    }
    const json = await readCocoJson(path);
    const byImage = new Map<number, string[]>();
    for (const a of json.annotations) {
      const list = byImage.get(a.image_id) ?? [];
      list.push(String(a.caption));
      byImage.set(a.image_id, list);
    }
    scan[split] = json.images.map((img, i) => ({
      key: img.file_name.replace(/\.[^.]+$/, ''),
      classId: i,
      image: { path: join(root, folder, img.file_name) },
      captions: byImage.get(img.id) ?? [],
    }));
  }
  return scan;
}

/** Scans a COCO root in either layout (see module doc). */
export async function scanCoco(root: string, report: DataReport): Promise<SourceScan> {
  const attngan = (await exists(join(root, 'train', 'filenames.pickle'))) || (await exists(join(root, 'train', 'filenames.txt')));
  const scan = attngan ? await scanAttnGanLayout(root, report) : await scanOriginalLayout(root);
  scan.renumberClasses = !attngan || !(await exists(join(root, 'train', 'class_info.pickle')));
  return scan;
}
