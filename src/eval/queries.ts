// SPDX-License-Identifier: MIT
/**
 * What an evaluation asks the generator for: one query per sample, a caption of a held-out image
 * (as DM-GAN's sampling loops over the test split, 11 passes for 30,000 CUB samples, with a random
 * caption of each image per pass), and the pool of captions R-precision draws its mismatched
 * candidates from (every caption of every held-out image, with that image's class).
 */
import { invalidArg } from '../../lib/errors.js';
import type { LoadedDataset } from '../data/dataset.js';
import { deriveSeed, Rng } from '../util/rng.js';
import type { Dataset } from '../data/types.js';

/** One sample to generate (or one image of a given folder) and what it is judged against. */
export interface EvalQuery {
  /** The caption the image is generated from. */
  caption: string;
  /** Index of the caption in the {@link CaptionPool} (its R-precision ground truth). */
  poolIndex: number;
  /** Class of the caption's image (R-precision draws mismatched captions from other classes). */
  classId: number;
  /** Source image of the caption (index in the split; for a folder, the file's index). */
  image: number;
}

/** Every caption of the evaluation split, the sentence pool of R-precision. */
export interface CaptionPool {
  captions: string[];
  /** Class of each caption's image. */
  classes: Int32Array;
  /** Image of each caption. */
  images: Int32Array;
  /** For each image, the pool indices of its captions (the references of BLEU and CIDEr-D). */
  byImage: number[][];
}

/** The held-out split a run is evaluated on (the training split when the dataset has none). */
export function evaluationSplit(data: LoadedDataset): Dataset {
  return data.test.size > 0 ? data.test : data.train;
}

/** The caption pool of a dataset split (captions decoded to words and joined by spaces). */
export function captionPool(split: Dataset): CaptionPool {
  if (split.size === 0) throw invalidArg('split', 'a split with at least one image', 0);
  const captions: string[] = [];
  const classes: number[] = [];
  const images: number[] = [];
  const byImage: number[][] = [];
  for (let i = 0; i < split.size; i++) {
    const own: number[] = [];
    for (const ids of split.captions[i] ?? []) {
      const text = split.vocabulary.decode(ids).join(' ');
      if (text === '') continue;
      own.push(captions.length);
      captions.push(text);
      classes.push(split.classIds[i] as number);
      images.push(i);
    }
    byImage.push(own);
  }
  if (captions.length === 0) throw invalidArg('split', 'images with captions', split.size);
  return { captions, classes: Int32Array.from(classes), images: Int32Array.from(images), byImage };
}

/**
 * `count` queries: query q takes image q mod N (images without captions skipped) and one of its
 * captions, picked by a generator seeded from (seed, q), so a query does not depend on how many
 * are drawn.
 */
export function drawQueries(pool: CaptionPool, count: number, seed: number): EvalQuery[] {
  if (!Number.isInteger(count) || count < 1) throw invalidArg('count', 'a positive integer', count);
  const withCaptions = pool.byImage.flatMap((caps, i) => (caps.length > 0 ? [i] : []));
  return Array.from({ length: count }, (_, q) => {
    const image = withCaptions[q % withCaptions.length] as number;
    const caps = pool.byImage[image] as number[];
    const poolIndex = caps[new Rng(deriveSeed(seed, 'query', q)).int(caps.length)] as number;
    return { caption: pool.captions[poolIndex] as string, poolIndex, classId: pool.classes[poolIndex] as number, image };
  });
}
