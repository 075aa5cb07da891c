// SPDX-License-Identifier: MIT
/**
 * Shared data-layer types: where a source image lives, one raw source item, and the
 * decoded {@link Dataset} the loader consumes.
 */
import type { Vocabulary } from '../text/vocabulary.js';

/** Dataset split names. */
export type Split = 'train' | 'test';

/** Built-in dataset kinds. */
export type DatasetKind = 'openmoji' | 'cub' | 'coco' | 'folder';

/** Bounding box `[x, y, width, height]` in source pixels (CUB `bounding_boxes.txt`). */
export type BBox = [number, number, number, number];

/** Where one image's pixels come from. */
export interface ImageRef {
  /** Absolute file path. */
  path: string;
  /** `svg` renders a vector image (OpenMoji); default: raster decode. */
  format?: 'svg';
  /** CUB crop box; the reference §8.2 rule is applied before resizing. */
  bbox?: BBox;
}

/** One image of a source dataset before decoding and tokenization. */
export interface SourceItem {
  /** Unique key, e.g. `001.Black_footed_Albatross/Black_Footed_Albatross_0046_18`. */
  key: string;
  /** Class id (CUB class number, COCO image index, OpenMoji base-emoji id, …). */
  classId: number;
  /** Image location. */
  image: ImageRef;
  /** Raw caption lines (tokenized later). */
  captions?: string[];
  /** Pre-tokenized captions (from `captions.pickle`), already in the scan's vocabulary. */
  captionIds?: number[][];
  /** Applied to the decoded image on every read (recoloured training variants). */
  transform?: (image: RgbImage) => RgbImage;
}

/** What a scan's `describe` hook adds for one item, from its decoded picture. */
export interface Described {
  /** Extra caption lines for the item itself. */
  captions: string[];
  /**
   * Training-only variants of the picture (train items only): each becomes an item of its own,
   * keyed `<key>~<suffix>`, with a class of its own and only these captions.
   */
  variants?: { suffix: string; captions: string[]; transform: (image: RgbImage) => RgbImage }[];
}

/** What a layout scanner (cub.ts, coco.ts, folder.ts, openmoji.ts) returns. */
export interface SourceScan {
  /** Dataset name, e.g. `cub`. */
  name: string;
  /** Dataset root directory. */
  root: string;
  /** Train items in layout order. */
  train: SourceItem[];
  /** Test items in layout order. */
  test: SourceItem[];
  /** Set when captions come pre-tokenized (AttnGAN `captions.pickle`). */
  vocabulary?: Vocabulary;
  /** Keep at most this many captions per image (10 CUB, 5 COCO), official rule. */
  captionsPerImage: number;
  /** Licence/attribution text to keep with the cache (OpenMoji). */
  attribution?: string;
  /** Class ids are image indices; renumber them 0..N−1 after bad items are skipped (COCO). */
  renumberClasses?: boolean;
  /**
   * Extra captions (and training variants) read from the decoded picture (OpenMoji's attribute
   * captions and recoloured variants), added after the `captionsPerImage` cut.
   */
  describe?: {
    /**
     * Short side of the image `fn` sees, whatever size the dataset is loaded at, so every cache
     * size gives the same captions (read from that size's cache, built if missing).
     */
    side: number;
    fn: (item: SourceItem, image: RgbImage) => Described;
  };
}

/** A decoded image: interleaved RGB uint8, row-major (H, W, 3). */
export interface RgbImage {
  /** Pixel bytes, length `width * height * 3`. */
  data: Uint8Array;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
}

/**
 * One split of a loaded dataset: per-image keys, class ids and token-id captions, plus
 * access to the pre-resized image (short side = {@link Dataset.imageSide}).
 */
export interface Dataset {
  /** Dataset name (`openmoji`, `cub`, `coco`, `folder`). */
  readonly name: string;
  /** Which split this is. */
  readonly split: Split;
  /** Number of usable images. */
  readonly size: number;
  /** Image keys, index-aligned. */
  readonly keys: readonly string[];
  /** Class id per image. */
  readonly classIds: Int32Array;
  /** Captions per image, each a list of word ids (no padding, no end token). */
  readonly captions: readonly (readonly (readonly number[])[])[];
  /** Vocabulary shared by both splits. */
  readonly vocabulary: Vocabulary;
  /** Short side of images returned by {@link Dataset.readImage} (e.g. 304 for 256 training). */
  readonly imageSide: number;
  /** Source file of image `index`. */
  imagePath(index: number): string;
  /** Pre-resized RGB image `index` (from the cache, or decoded from source when the cache is off). */
  readImage(index: number): Promise<RgbImage>;
}
