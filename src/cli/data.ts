// SPDX-License-Identifier: MIT
/**
 * `mirrorgan data build` and `mirrorgan data info`: build (or refresh) a dataset's image cache
 * and print what a training run would see.
 */
import { access } from 'node:fs/promises';

import { Command, Option } from 'commander';

import { invalidArg } from '../../lib/errors.js';

import {
  DATASET_KINDS,
  ImageCache,
  cacheSideFor,
  datasetCacheDir,
  loadDataset,
  openMojiPackageDir,
  resolveCacheRoot,
  type DatasetKind,
  type LoadDatasetOptions,
  type LoadedDataset,
} from '../data/index.js';
import { printErr, printOut } from './output.js';
import { ensureWritableFolder } from './writable.js';

/** Options shared by both subcommands. */
interface SelectOptions {
  dataset: DatasetKind;
  root?: string;
  cache?: string;
  size: string;
  limit?: string;
  skinTones: 'all' | 'base';
  attributeCaptions: boolean;
  recolour?: string;
  progress: boolean;
  json?: boolean;
}

function withSelection(cmd: Command): Command {
  return cmd
    .addOption(new Option('-d, --dataset <kind>', 'dataset layout').choices([...DATASET_KINDS]).default('openmoji'))
    .option('-r, --root <dir>', 'dataset root (required for cub, coco, folder)')
    .option('-c, --cache <dir>', 'cache root (default $MIRRORGAN_CACHE or ~/.cache/mirrorgan)')
    .addOption(new Option('-s, --size <px>', 'largest training size; images are cached at size·76/64').choices(['64', '128', '256']).default('256'))
    .option('--limit <n>', 'OpenMoji only: use an evenly spread subset of n emoji')
    .addOption(new Option('--skin-tones <which>', 'OpenMoji only: all skin-tone variants of people emoji, or only the base one').choices(['all', 'base']).default('all'))
    .option('--no-attribute-captions', 'OpenMoji only: metadata captions only, without the shape and colour captions read from the pictures')
    .option('--recolour <n>', 'OpenMoji only: recoloured copies of each shaped training emoji, 0-7 (training configs default to 3)', '0')
    .option('--no-progress', 'plain progress lines instead of a bar')
    .option('--json', 'print the summary as JSON');
}

function loadOptions(o: SelectOptions): LoadDatasetOptions {
  const opts: LoadDatasetOptions = { dataset: o.dataset, imageSize: Number(o.size), progress: o.progress ? 'auto' : false };
  if (o.root) opts.root = o.root;
  if (o.cache) opts.cacheDir = o.cache;
  if (o.limit !== undefined) {
    const limit = Number(o.limit);
    if (!Number.isInteger(limit) || limit < 1) throw invalidArg('--limit', 'an integer of at least 1', o.limit);
    opts.openmoji = { limit };
  }
  if (o.skinTones === 'base') opts.openmoji = { ...opts.openmoji, skinTones: 'base' };
  if (o.attributeCaptions === false) opts.openmoji = { ...opts.openmoji, attributeCaptions: false };
  if (o.recolour !== undefined && o.recolour !== '0') {
    const recolour = Number(o.recolour);
    if (!Number.isInteger(recolour) || recolour < 0 || recolour > 7) throw invalidArg('--recolour', 'an integer between 0 and 7', o.recolour);
    opts.openmoji = { ...opts.openmoji, recolour };
  }
  return opts;
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

/** JSON summary printed by `data info --json` and `data build --json`. */
interface Summary {
  dataset: string;
  root: string;
  splits: Record<'train' | 'test', { images: number; classes: number; captions: number }>;
  vocabulary: number;
  imageSide: number;
  cache: { dir: string; bytes: number } | null;
  attribution?: string;
}

function summarize(d: LoadedDataset): Summary {
  const split = (s: LoadedDataset['train']) => ({
    images: s.size,
    classes: new Set(s.classIds).size,
    captions: s.captions.reduce((n, c) => n + c.length, 0),
  });
  const out: Summary = {
    dataset: d.name,
    root: d.root,
    splits: { train: split(d.train), test: split(d.test) },
    vocabulary: d.vocabulary.size,
    imageSide: d.imageSide,
    cache: d.cacheDir ? { dir: d.cacheDir, bytes: d.cacheBytes } : null,
  };
  if (d.attribution) out.attribution = d.attribution;
  return out;
}

function print(s: Summary, size: number, json: boolean | undefined): void {
  if (json) {
    printOut(JSON.stringify(s, null, 2));
    return;
  }
  const rows: [string, string][] = [
    ['dataset', `${s.dataset} (${s.root})`],
    ...(['train', 'test'] as const).map((k): [string, string] => [k, `${s.splits[k].images} images, ${s.splits[k].classes} classes, ${s.splits[k].captions} captions`]),
    ['vocabulary', `${s.vocabulary} words (including <end>)`],
    ['cache', s.cache ? `${s.cache.dir} (${s.imageSide} px for ${size} px training, ${formatBytes(s.cache.bytes)})` : 'not built yet: run `mirrorgan data build` with the same options' + (s.dataset === 'openmoji' ? ' (captions counted without the attribute captions read from the pictures)' : '')],
  ];
  if (s.attribution) rows.push(['licence', s.attribution]);
  printOut(rows.map(([k, v]) => `${k.padEnd(11)} ${v}`).join('\n'));
}

/** The `data` command with its `build` and `info` subcommands (commander 14). */
export function dataCommand(): Command {
  const data = new Command('data').description('build and inspect training datasets (built-in OpenMoji, CUB, COCO, your own folder)');

  withSelection(data.command('build'))
    .description('decode a dataset once into the on-disk cache (with no options: the built-in OpenMoji set)')
    .action(async (o: SelectOptions) => {
      const options = loadOptions(o);
      // The cache root is what this command writes: checked before any image is decoded.
      await ensureWritableFolder(resolveCacheRoot(o.cache), o.cache ? '--cache' : 'the cache ($MIRRORGAN_CACHE or ~/.cache/mirrorgan)');
      const started = Date.now();
      const d = await loadDataset(options);
      await d.close();
      if (!o.json) printErr(`built in ${((Date.now() - started) / 1000).toFixed(1)} s (${d.decoded} decoded, ${d.reused} reused)`);
      print(summarize(d), Number(o.size), o.json);
    });

  withSelection(data.command('info'))
    .description('print counts per split, vocabulary size and cache location/size (does not decode images)')
    .action(async (o: SelectOptions) => {
      const opts = loadOptions(o);
      const sourceRoot = o.dataset === 'openmoji' ? openMojiPackageDir() : (o.root ?? '');
      const dir = datasetCacheDir(resolveCacheRoot(o.cache), o.dataset, sourceRoot);
      const built = await access(ImageCache.indexPath(dir, cacheSideFor(Number(o.size)))).then(
        () => true,
        () => false,
      );
      // With a cache this is a fast reuse; without one, images are only stat'ed, never decoded
      // (so OpenMoji's attribute captions, which are read from the pictures, are not counted).
      if (!built && o.dataset === 'openmoji') opts.openmoji = { ...opts.openmoji, attributeCaptions: false };
      const d = await loadDataset({ ...opts, cache: built, logger: { warn: () => undefined, info: () => undefined } });
      await d.close();
      print(summarize(d), Number(o.size), o.json);
    });

  return data;
}
