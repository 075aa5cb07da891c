// SPDX-License-Identifier: MIT
/**
 * Helpers shared by the CUB and COCO scanners: split lists (pickle or text), class info and
 * per-image caption files.
 * @private
 */
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { splitCaptionLines } from '../text/tokenizer.js';
import { Vocabulary, type CaptionsPickle } from '../text/vocabulary.js';
import { DataError } from '../../lib/errors.js';
import { readPickleFile } from '../util/pickle.js';
import type { DataReport } from './report.js';
import type { SourceItem, Split } from './types.js';

/** Largest class id (they are stored in an Int32Array). */
const MAX_CLASS_ID = 2 ** 31 - 1;

/** True when `path` exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads the key list of one split: `<root>/<split>/filenames.pickle` (list of str) or, for
 * people without pickles, `<root>/<split>/filenames.txt` (one key per line). `null` when neither exists.
 */
export async function readSplitKeys(root: string, split: Split): Promise<string[] | null> {
  const pickle = join(root, split, 'filenames.pickle');
  if (await exists(pickle)) {
    const value = await readPickleFile(pickle);
    if (!Array.isArray(value) || value.some((k) => typeof k !== 'string')) {
      throw new DataError('ERR_DATA_BAD_FORMAT', `${pickle}: expected a list of str keys`);
    }
    return value as string[];
  }
  const txt = join(root, split, 'filenames.txt');
  if (await exists(txt)) {
    return (await readFile(txt, 'utf8'))
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l.length > 0);
  }
  return null;
}

/** Reads `<root>/<split>/class_info.pickle` (list of class ids); `null` when absent. */
export async function readClassInfo(root: string, split: Split, expected: number): Promise<number[] | null> {
  const path = join(root, split, 'class_info.pickle');
  if (!(await exists(path))) return null;
  const value = await readPickleFile(path);
  if (!Array.isArray(value)) throw new DataError('ERR_DATA_BAD_FORMAT', `${path}: expected a list of integer class ids`);
  // Class ids end up in an Int32Array: NaN would become 0 and 2.5 would become 2 there.
  const bad = value.findIndex((c) => typeof c !== 'number' || !Number.isInteger(c) || c < 0 || c > MAX_CLASS_ID);
  if (bad >= 0) {
    throw new DataError('ERR_DATA_BAD_FORMAT', `${path}: class id ${bad} is ${String(value[bad])}, not an integer between 0 and ${MAX_CLASS_ID}`);
  }
  if (value.length !== expected) {
    throw new DataError('ERR_DATA_BAD_FORMAT', `${path}: has ${value.length} class ids but the split lists ${expected} keys`);
  }
  return value as number[];
}

/**
 * Reads AttnGAN's `captions.pickle` (or MirrorGAN's `bird_captions.pickle`) from `root` if
 * present and checks it matches the split sizes; `null` when absent.
 */
export async function readCaptionsPickle(
  root: string,
  trainCount: number,
  testCount: number,
  perImage: number,
): Promise<CaptionsPickle | null> {
  for (const name of ['captions.pickle', 'bird_captions.pickle']) {
    const path = join(root, name);
    if (!(await exists(path))) continue;
    const pickle = await Vocabulary.fromPickle(path);
    if (pickle.train.length !== trainCount * perImage || pickle.test.length !== testCount * perImage) {
      throw new DataError(
        'ERR_DATA_BAD_FORMAT',
        `${path} holds ${pickle.train.length}/${pickle.test.length} train/test captions but the split lists need ` +
          `${trainCount * perImage}/${testCount * perImage} (${perImage} per image); delete it to re-tokenize the text files`,
      );
    }
    return pickle;
  }
  return null;
}

/**
 * Fills `item.captions` from a caption file (one per line). A missing file skips the item
 * (returns false) with one warning line.
 */
export async function readCaptionFile(item: SourceItem, path: string, report: DataReport): Promise<boolean> {
  try {
    item.captions = splitCaptionLines(await readFile(path, 'utf8'));
    return true;
  } catch (err) {
    report.skip('missing caption file', item.key, (err as NodeJS.ErrnoException).code === 'ENOENT' ? path : (err as Error).message);
    return false;
  }
}
