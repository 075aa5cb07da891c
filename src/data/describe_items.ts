// SPDX-License-Identifier: MIT
/**
 * The describe stage of loadDataset: a scan's `describe` hook (OpenMoji's attribute captions)
 * looks at each kept picture, adds caption lines to the item, and, for training items, adds
 * recoloured copies as items of their own (src/data/emoji_attributes.ts).
 */
import { DataError } from '../../lib/errors.js';
import { tokenize } from '../text/tokenizer.js';
import { runPool } from '../util/pool.js';
import { ImageCache, type CacheSlot } from './cache.js';
import type { LoadDatasetOptions, Prepared } from './dataset.js';
import { decodeImage } from './image.js';
import { DataReport, type DataLogger } from './report.js';
import type { DatasetKind, RgbImage, SourceItem, SourceScan, Split } from './types.js';

/** What the stage reads from loadDataset. */
export interface DescribeContext {
  options: LoadDatasetOptions;
  kind: DatasetKind;
  /** Dataset name for labels. */
  name: string;
  /** Side of the training cache. */
  side: number;
  /** The cache folder, null without a cache. */
  cacheDir: string | null;
  /** Reads an item's picture at `side`. */
  readSource: (item: SourceItem) => Promise<RgbImage>;
  /** Cache slots per item; copies get their source's slot. */
  slots: Map<SourceItem, CacheSlot>;
  logger: DataLogger;
}

/**
 * Runs `stage` over the kept items: their tokens grow by the described captions, and each
 * training item's variants are appended to `kept.train` (after the source items, in source
 * order, so the originals' indices stay put), each with a class of its own.
 */
export async function describeItems(stage: NonNullable<SourceScan['describe']>, kept: Record<Split, Prepared[]>, ctx: DescribeContext): Promise<void> {
  const describe = stage.fn;
  const describeSide = stage.side;
  const { options, side, cacheDir, readSource, slots, logger } = ctx;
  // The picture the describer sees: always at its own side, so 64, 128 and 256 px training
  // (76, 152, 304 px caches) get the same captions and variants.
  let readForDescribe: (item: SourceItem) => Promise<RgbImage>;
  let describeCache: ImageCache | null = null;
  const all = [...kept.train, ...kept.test];
  if (describeSide === side) {
    readForDescribe = readSource;
  } else if (cacheDir) {
    const quiet: DataLogger = { warn: () => undefined, info: (m) => logger.info(m) };
    const built = await ImageCache.build(all.map((p) => ({ key: p.item.key, image: p.item.image })), {
      // Skips were reported by the main build; only its progress lines are worth showing.
      dir: cacheDir, side: describeSide, report: new DataReport(ctx.kind, quiet), logger: quiet, label: `${ctx.name} (for attribute captions)`,
      ...(options.progress !== undefined ? { progress: options.progress } : {}),
      ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
      ...(options.svgRenderSize !== undefined ? { svgRenderSize: options.svgRenderSize } : {}),
    });
    describeCache = built.cache;
    const describeSlots = new Map(all.map((p, i) => [p.item, built.slots[i]]));
    readForDescribe = async (item) => {
      const slot = describeSlots.get(item);
      if (!slot) throw new DataError('ERR_DATA_BAD_FORMAT', `${item.key}: cannot decode ${item.image.path} at ${describeSide} px for its attribute captions`);
      return (describeCache as ImageCache).read(slot);
    };
  } else {
    readForDescribe = async (item) => (await decodeImage(item.image, { side: describeSide, ...(options.svgRenderSize ? { svgRenderSize: options.svgRenderSize } : {}) })).image;
  }
  const variants = new Map<Prepared, Prepared[]>();
  let nextClass = Math.max(-1, ...all.map((p) => p.item.classId)) + 1;
  const addTokens = (into: string[][], lines: readonly string[]) => {
    const seen = new Set(into.map((t) => t.join(' ')));
    for (const line of lines) {
      const tokens = tokenize(line);
      if (tokens.length > 0 && !seen.has(tokens.join(' '))) {
        seen.add(tokens.join(' '));
        into.push(tokens);
      }
    }
  };
  const train = new Set(kept.train);
  try {
    await runPool(all, 8, async (p) => {
      const d = describe(p.item, await readForDescribe(p.item));
      addTokens(p.tokens, d.captions);
      if (!train.has(p) || !d.variants?.length) return;
      variants.set(p, d.variants.map((v) => {
        // A copy reads its source's cache entry and repaints it.
        const item: SourceItem = { key: `${p.item.key}~${v.suffix}`, classId: 0, image: p.item.image, transform: v.transform };
        const slot = slots.get(p.item);
        if (slot) slots.set(item, slot);
        const tokens: string[][] = [];
        addTokens(tokens, v.captions);
        return { item, tokens };
      }));
    });
  } finally {
    await describeCache?.close();
  }
  // Variants go after the source items, in source order, so indices of the originals stay put.
  for (const p of [...kept.train]) {
    for (const v of variants.get(p) ?? []) {
      if (v.tokens.length === 0) continue;
      v.item.classId = nextClass++;
      kept.train.push(v);
    }
  }
}
