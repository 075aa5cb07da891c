// SPDX-License-Identifier: MIT
/**
 * Built-in dataset from the `openmoji` npm package (CC BY-SA 4.0): colour SVG emoji rendered
 * with sharp, captions made deterministically from the package's own metadata.
 *
 * Included: every emoji except the `component` group (skin-tone swatches, hair parts),
 * `flags` and `extras-unicode` (country/region flags, regional-indicator letters and
 * geometric symbols — a picture there depends on knowledge no caption word carries) and the
 * `extras-openmoji` subgroups `brand` and `flags` (logos, flag variants). OpenMoji 17: 4,004 of
 * 4,495 emoji; see {@link selectOpenMoji}.
 *
 * Captions (up to 10 per emoji) use the `annotation`, `tags`, `openmoji_tags`, `group` and
 * `subgroups` fields, joined with the fixed template words "an emoji of", "a", "emoji", "from",
 * "with", "and". Skin-tone variants with no tags of their own use the tags of their base emoji.
 * Unless `attributeCaptions` is false, one or two more say what the picture looks like (outline
 * shape and main colour, measured from the rendered pixels: `emoji_attributes.ts`).
 *
 * Split: by base emoji (`skintone_base_hexcode`, else the emoji itself), so skin-tone variants
 * always share a split and a class; a base goes to test when a seeded hash of its hexcode falls
 * below `testFraction`. Class ids number the included base emoji in hexcode order.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import { attributeCaptions, describeEmoji, namesColour, RECOLOUR_TARGETS, recolourEmoji } from './emoji_attributes.js';
import { DataError, invalidArg } from '../../lib/errors.js';
import { deriveSeed, Rng } from '../util/rng.js';
import type { Described, RgbImage, SourceItem, SourceScan } from './types.js';

/** Attribution that must travel with anything built from OpenMoji. */
export const OPENMOJI_ATTRIBUTION =
  'All emojis designed by OpenMoji (https://openmoji.org/) – the open-source emoji and icon project. ' +
  'License: CC BY-SA 4.0 (https://creativecommons.org/licenses/by-sa/4.0/). ' +
  'Images derived from them (the mirrorgan OpenMoji cache, and models trained on it where they count as adaptations) are shared under the same licence.';

/** Groups left out of the built-in dataset. */
export const OPENMOJI_EXCLUDED_GROUPS: readonly string[] = ['component', 'flags', 'extras-unicode'];
/** `extras-openmoji` subgroups left out of the built-in dataset. */
export const OPENMOJI_EXCLUDED_SUBGROUPS: readonly string[] = ['brand', 'flags'];

/**
 * Probe captions for sample grids: four colours on two shapes, all OpenMoji annotations (most in
 * the training split), so a glance shows whether colour and shape follow the words.
 */
export const OPENMOJI_PROBE_CAPTIONS: readonly string[] = [
  'red circle', 'green circle', 'blue circle', 'yellow circle',
  'red heart', 'green heart', 'blue heart', 'yellow heart',
];

/**
 * Side of the picture the attribute captions are measured on (the 128 px training cache), at
 * every training size: the 76 px cache is too coarse for a heart's tip.
 */
export const OPENMOJI_DESCRIBE_SIDE = 152;

/** Default share of base emoji in the test split. */
export const OPENMOJI_TEST_FRACTION = 0.1;
/** Default split seed. */
export const OPENMOJI_SPLIT_SEED = 2019;

/** One record of `openmoji/data/openmoji.json` (fields we use). */
export interface OpenMojiRecord {
  emoji: string;
  hexcode: string;
  group: string;
  subgroups: string;
  annotation: string;
  tags: string;
  openmoji_tags: string;
  skintone_base_hexcode: string;
}

/** Options of {@link scanOpenMoji}. */
export interface OpenMojiOptions {
  /** Use only this many emoji, spread evenly over the included list (tests, quick runs). */
  limit?: number;
  /**
   * `'all'` (default) keeps the five skin-tone variants of people emoji; `'base'` keeps only the
   * default yellow one. The variants are half of the set (2,030 of 4,004) and differ in one
   * colour only, so `'base'` gives a small model far more colours and shapes per iteration.
   */
  skinTones?: 'all' | 'base';
  /**
   * Add captions read from each picture (default true): its outline shape and main colour,
   * e.g. "yellow circle" and "a yellow circle emoji of grinning face" for a face, "a green emoji
   * of pea pod" where no shape fits; see `emoji_attributes.ts`. Off = metadata captions only.
   */
  attributeCaptions?: boolean;
  /**
   * With attribute captions: this many recoloured copies (0–7, default 0) of every training
   * emoji that has an outline shape and a coloured fill, each repainted in another of the eight
   * probe colours (chosen by a seeded hash of its key) and captioned with the new colour only
   * ("red circle", "a red circle emoji of grinning face"; the short form alone when the name
   * itself says a colour, as "blue square" does). They break OpenMoji's tie of colour to
   * shape (circles are yellow faces, squares blue buttons).
   */
  recolour?: number;
  /** Share of base emoji in the test split (default 0.1). */
  testFraction?: number;
  /** Split seed (default 2019). */
  seed?: number;
  /** Package directory (default: resolved `openmoji`). */
  packageDir?: string;
}

/** Directory of the installed `openmoji` package. */
export function openMojiPackageDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('openmoji/package.json'));
}

/** The included records in package order (see module doc for the rule). */
export function selectOpenMoji(records: readonly OpenMojiRecord[]): OpenMojiRecord[] {
  return records.filter(
    (r) =>
      !OPENMOJI_EXCLUDED_GROUPS.includes(r.group) &&
      !(r.group === 'extras-openmoji' && OPENMOJI_EXCLUDED_SUBGROUPS.includes(r.subgroups)),
  );
}

function splitTags(text: string): string[] {
  return text
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
}

function words(slug: string): string {
  return slug.replace(/-/g, ' ');
}

/**
 * Captions for one emoji, from its metadata only. `baseTags` are used when the record has no
 * tags (skin-tone variants). Returns 5 to 10 distinct captions.
 */
export function openMojiCaptions(record: OpenMojiRecord, baseTags: readonly string[] = []): string[] {
  const a = record.annotation.trim();
  const own = [...splitTags(record.tags), ...splitTags(record.openmoji_tags)];
  const tags = [...new Set((own.length > 0 ? own : baseTags).filter((t) => t.toLowerCase() !== a.toLowerCase()))];
  const group = words(record.group);
  const sub = words(record.subgroups);
  const caps = [a, `an emoji of ${a}`, `${a} emoji`, `a ${sub} emoji of ${a}`, `an emoji of ${a} from ${group}`];
  if (tags.length > 0) {
    for (let k = 0; k < 5; k++) {
      const t1 = tags[(2 * k) % tags.length] as string;
      const t2 = tags[(2 * k + 1) % tags.length] as string;
      caps.push(t1 === t2 ? `${a} with ${t1}` : `${a} with ${t1} and ${t2}`);
    }
  }
  return [...new Set(caps)];
}

/** Reads and selects the OpenMoji records, then builds train/test items. */
export async function scanOpenMoji(options: OpenMojiOptions = {}): Promise<SourceScan> {
  const dir = options.packageDir ?? openMojiPackageDir();
  let records: OpenMojiRecord[];
  try {
    records = JSON.parse(await readFile(join(dir, 'data', 'openmoji.json'), 'utf8')) as OpenMojiRecord[];
  } catch (cause) {
    throw new DataError('ERR_DATA_NOT_FOUND', `Cannot read openmoji metadata in ${dir}: ${(cause as Error).message}`, { cause });
  }
  const byHex = new Map(records.map((r) => [r.hexcode, r]));
  let selected = selectOpenMoji(records);
  const skinTones = options.skinTones ?? 'all';
  if (skinTones !== 'all' && skinTones !== 'base') {
    throw invalidArg('skinTones', "'all' or 'base'", skinTones);
  }
  if (skinTones === 'base') selected = selected.filter((r) => !r.skintone_base_hexcode || r.skintone_base_hexcode === r.hexcode);
  const baseOf = (r: OpenMojiRecord): string => r.skintone_base_hexcode || r.hexcode;
  const bases = [...new Set(selected.map(baseOf))].sort();
  const classOf = new Map(bases.map((b, i) => [b, i]));
  if (options.limit !== undefined && options.limit < selected.length) {
    const n = Math.max(1, options.limit);
    const step = selected.length / n;
    selected = Array.from({ length: n }, (_, i) => selected[Math.floor(i * step)] as OpenMojiRecord);
  }
  const fraction = options.testFraction ?? OPENMOJI_TEST_FRACTION;
  const seed = options.seed ?? OPENMOJI_SPLIT_SEED;
  const train: SourceItem[] = [];
  const test: SourceItem[] = [];
  for (const r of selected) {
    const base = baseOf(r);
    const baseRecord = byHex.get(base);
    const baseTags = baseRecord ? [...splitTags(baseRecord.tags), ...splitTags(baseRecord.openmoji_tags)] : [];
    const item: SourceItem = {
      key: r.hexcode,
      classId: classOf.get(base) as number,
      image: { path: join(dir, 'color', 'svg', `${r.hexcode}.svg`), format: 'svg' },
      captions: openMojiCaptions(r, baseTags),
    };
    const inTest = deriveSeed(seed, base) / 4294967296 < fraction;
    (inTest ? test : train).push(item);
  }
  const scan: SourceScan = { name: 'openmoji', root: dir, train, test, captionsPerImage: 10, attribution: OPENMOJI_ATTRIBUTION };
  const recolour = options.recolour ?? 0;
  if (!Number.isInteger(recolour) || recolour < 0 || recolour > RECOLOUR_TARGETS.length - 1) {
    throw invalidArg('recolour', `an integer between 0 and ${RECOLOUR_TARGETS.length - 1}`, options.recolour);
  }
  if (options.attributeCaptions ?? true) {
    const names = new Map(selected.map((r) => [r.hexcode, r.annotation.trim()]));
    const trainKeys = new Set(train.map((i) => i.key));
    const describe = (item: SourceItem, image: RgbImage): Described => {
      const attributes = describeEmoji(image);
      if (!attributes) return { captions: [] };
      const name = names.get(item.key) ?? '';
      const out: Described = { captions: attributeCaptions(name, attributes) };
      const from = attributes.colour;
      if (recolour > 0 && attributes.shape && trainKeys.has(item.key) && RECOLOUR_TARGETS.includes(from)) {
        // A seeded shuffle of the other colours; the first `recolour` are this emoji's variants.
        const others = new Rng(deriveSeed(seed, 'recolour', item.key)).shuffle(RECOLOUR_TARGETS.filter((c) => c !== from));
        out.variants = others.slice(0, recolour).map((to) => ({
          suffix: to,
          // "a purple heart emoji of red heart" would contradict itself: short form only then.
          captions: attributeCaptions(name, { ...attributes, colour: to }).slice(0, namesColour(name) ? 1 : 2),
          transform: (img) => recolourEmoji(img, from, to),
        }));
      }
      return out;
    };
    scan.describe = { side: OPENMOJI_DESCRIBE_SIDE, fn: describe };
  }
  return scan;
}
