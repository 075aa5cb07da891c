// SPDX-License-Identifier: MIT
/**
 * Public surface of the data layer: load a dataset (built-in OpenMoji, CUB, COCO or a folder),
 * iterate batches, and the helpers they are made of.
 *
 * ```ts
 * const data = await loadDataset({ dataset: 'openmoji', imageSize: 64 });
 * const loader = new DataLoader(data.train, { batchSize: 12, imageSizes: [64], seed: 1 });
 * for await (const batch of loader) { ... batch.images[0] is (12, 3, 64, 64) in [-1, 1] ... }
 * await data.close();
 * ```
 */
export { loadDataset, resolveCacheRoot, datasetCacheDir, DATASET_KINDS, DEFAULT_IMAGE_SIZE } from './dataset.js';
export type { LoadDatasetOptions, LoadedDataset } from './dataset.js';
export { DataLoader } from './loader.js';
export type { Batch, LoaderOptions } from './loader.js';
export { shardBatch, shardBatchCount, type ShardSpec } from './shard.js';
export type { Dataset, DatasetKind, Split, RgbImage, ImageRef, SourceItem, SourceScan, BBox, Described } from './types.js';
export { DataError } from '../../lib/errors.js';
export type { DataErrorCode } from '../../lib/errors.js';
export { DataReport, stderrLogger } from './report.js';
export type { DataLogger, ReportCounts, SkipReason, FixReason, DropReason } from './report.js';
export { ImageCache, CACHE_VERSION } from './cache.js';
export type { CacheIndex, CacheRequest, CacheBuildOptions, CacheBuildResult, CacheSlot } from './cache.js';
export { decodeImage, cacheSideFor, cubCropBox, scaledSize, DEFAULT_SVG_RENDER_SIZE } from './image.js';
export type { DecodedImage, DecodeOptions } from './image.js';
export { cropFlip, resizeToCHW } from './resize.js';
export { Rng, deriveSeed } from '../util/rng.js';
export { readPickle } from '../util/pickle.js';
export type { PickleValue } from '../util/pickle.js';
export {
  scanOpenMoji,
  selectOpenMoji,
  openMojiCaptions,
  openMojiPackageDir,
  OPENMOJI_ATTRIBUTION,
  OPENMOJI_PROBE_CAPTIONS,
  OPENMOJI_EXCLUDED_GROUPS,
  OPENMOJI_EXCLUDED_SUBGROUPS,
  OPENMOJI_TEST_FRACTION,
  OPENMOJI_SPLIT_SEED,
} from './openmoji.js';
export type { OpenMojiOptions, OpenMojiRecord } from './openmoji.js';
export { describeEmoji, attributeCaptions, recolourEmoji, EMOJI_SHAPES, OPENMOJI_PALETTE, RECOLOUR_TARGETS } from './emoji_attributes.js';
export type { EmojiAttributes, EmojiShape, DescribeOptions } from './emoji_attributes.js';
export { scanCub, readCubBoxes, CUB_CAPTIONS_PER_IMAGE } from './cub.js';
export { scanCoco, COCO_CAPTIONS_PER_IMAGE } from './coco.js';
export { scanFolder, FOLDER_IMAGE_EXTENSIONS } from './folder.js';
export type { FolderOptions } from './folder.js';
export * from '../text/index.js';
