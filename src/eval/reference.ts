// SPDX-License-Identifier: MIT
/**
 * Features of the real held-out images, the reference FID and KID compare generated images with:
 * computed once per (dataset, split, image size, network) and cached as safetensors under
 * `<cache root>/eval-reference/` (mean and covariance in float64, and up to
 * {@link REFERENCE_FEATURE_CAP} feature vectors for KID's subsets).
 *
 * The real images are what training shows the generator, without augmentation: the loader's
 * centre crop of the cached picture resized to the sample size, rounded to 8 bits as the samples
 * are (they are read back from PNG).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { MirrorganError } from '../../lib/errors.js';
import { loadSafetensors, saveSafetensors } from '../../lib/safetensors.js';
import { dispose, tensor, type Tensor } from '../../lib/tensor.js';
import { resolveCacheRoot } from '../data/dataset.js';
import { DataLoader } from '../data/loader.js';
import type { Dataset } from '../data/types.js';
import { writeAtomicWith } from '../util/atomic.js';
import { ActivationStatistics, type GaussianStats } from './frechet.js';

/** Real feature vectors kept for KID (its subsets are 1,000 vectors by default). */
export const REFERENCE_FEATURE_CAP = 10_000;
/** Bump when the way real images are prepared changes (invalidates every cached reference). */
const REFERENCE_VERSION = 1;

/** A network's view of images, for FID / KID. */
export interface FeatureNetwork {
  /** Identifies the network and its weights in the cache key (e.g. `fid-inception:<sha1>`). */
  id: string;
  dim: number;
  /** (B, 3, S, S) images in [-1, 1] -> (B × dim) features. */
  features(images: Tensor): Promise<Float32Array>;
}

export interface ReferenceFeatures {
  stats: GaussianStats;
  /** Up to REFERENCE_FEATURE_CAP vectors (every k-th image when there are more). */
  features: Float32Array;
  kept: number;
  /** Real images described. */
  count: number;
  /** The cache file, and whether it was read rather than written. */
  file: string;
  cached: boolean;
}

/** sha1 of a file's bytes: weight files name their network in cache keys. */
export async function fileSha1(file: string): Promise<string> {
  const h = createHash('sha1');
  for await (const chunk of fs.createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Rounds [-1, 1] values to the 8-bit grid a PNG holds. */
function quantise(x: Float32Array): Float32Array {
  return x.map((v) => Math.max(0, Math.min(255, Math.round((v + 1) * 127.5))) / 127.5 - 1);
}

/**
 * The reference features of `split` at `imageSize` under `network`, from the cache when present.
 * `source` names the dataset (its cache folder or root) so two datasets never share an entry.
 */
export async function referenceFeatures(
  split: Dataset, source: string, imageSize: number, network: FeatureNetwork,
  options: { cacheDir?: string; batchSize?: number; onBatch?: (done: number, total: number) => void } = {},
): Promise<ReferenceFeatures> {
  if (split.size < 2) throw new MirrorganError('ERR_DATA_EMPTY', `the ${split.split} split of ${split.name} has ${split.size} image(s); FID and KID need at least 2 real images`);
  const key = { version: REFERENCE_VERSION, dataset: split.name, source, split: split.split, count: split.size, imageSize, network: network.id };
  const hash = createHash('sha1').update(JSON.stringify(key)).digest('hex').slice(0, 16);
  const dir = path.join(options.cacheDir ?? resolveCacheRoot(), 'eval-reference');
  const file = path.join(dir, `${split.name}-${split.split}-${imageSize}px-${network.id.split(':')[0]}-${hash}.safetensors`);
  if (fs.existsSync(file)) {
    const { tensors, metadata } = await loadSafetensors(file);
    try {
      if (metadata.key !== JSON.stringify(key)) throw new MirrorganError('ERR_CACHE_CORRUPT', `${file} was written for another key; remove it`);
      const [mu, sigma, features] = ['mu', 'sigma', 'features'].map((k) => tensors.get(k));
      if (!mu || !sigma || !features) throw new MirrorganError('ERR_CACHE_CORRUPT', `${file} lacks mu, sigma or features; remove it`);
      const kept = features.shape[0] as number;
      return {
        stats: { dim: network.dim, count: split.size, mu: mu.dataSync() as Float64Array, sigma: sigma.dataSync() as Float64Array },
        features: features.dataSync() as Float32Array, kept, count: split.size, file, cached: true,
      };
    } finally {
      dispose(tensors);
    }
  }
  const batchSize = options.batchSize ?? 50;
  const loader = new DataLoader(split, {
    batchSize, imageSizes: [imageSize], augment: false, shuffle: false, dropLast: false, sortByLength: false, prefetch: 2,
  });
  const every = Math.ceil(split.size / REFERENCE_FEATURE_CAP);
  const acc = new ActivationStatistics(network.dim);
  const keptRows: Float32Array[] = [];
  let done = 0;
  try {
    for await (const batch of loader.epoch(0)) {
      const B = batch.batchSize;
      const images = tensor(quantise(batch.images[0] as Float32Array), [B, 3, imageSize, imageSize]);
      let f: Float32Array;
      try {
        f = await network.features(images);
      } finally {
        images.dispose();
      }
      acc.add(f, B);
      for (let b = 0; b < B; b++) if ((done + b) % every === 0) keptRows.push(f.slice(b * network.dim, (b + 1) * network.dim));
      done += B;
      options.onBatch?.(done, split.size);
    }
    const stats = acc.result();
    const features = new Float32Array(keptRows.length * network.dim);
    keptRows.forEach((r, i) => features.set(r, i * network.dim));
    await fsp.mkdir(dir, { recursive: true });
    const d = network.dim;
    const out = new Map<string, Tensor>([
      ['mu', tensor(stats.mu, [d])], ['sigma', tensor(stats.sigma, [d, d])], ['features', tensor(features, [keptRows.length, d])],
    ]);
    try {
      await writeAtomicWith(file, (tmp) => saveSafetensors(tmp, out, { key: JSON.stringify(key) }));
    } finally {
      dispose(out);
    }
    return { stats, features, kept: keptRows.length, count: split.size, file, cached: false };
  } finally {
    acc.dispose();
  }
}
