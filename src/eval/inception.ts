// SPDX-License-Identifier: MIT
/**
 * The two Inception-v3 networks of the published image metrics (native/eval/inception_v3):
 *
 * - {@link InceptionV3}: torchvision's `inception_v3`, the classifier the Inception Score reads
 *   (1000 ImageNet classes), with torchvision's `transform_input` on, as torchvision sets it for
 *   its pretrained weights `inception_v3_google-0cc3c7bd.pth`;
 * - {@link FidInceptionV3}: pytorch-fid's FID Inception (the TensorFlow 2015-12-05 graph ported to
 *   PyTorch, `pt_inception-2015-12-05-6726825d.pth`; 1008 classes; its FIDInceptionA/C/E blocks),
 *   whose 2048-d `pool3` features FID and KID compare.
 *
 * Neither set of weights ships with this package: {@link loadInceptionWeights} names the file it
 * wants and how to convert the published PyTorch file with scripts/pth2safetensors.py.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MirrorganError } from '../../lib/errors.js';
import { Module, type ForwardOptions } from '../../lib/module.js';
import { tensor, tidy, interpolate, type Tensor } from '../../lib/tensor.js';
import { resolveCacheRoot } from '../data/dataset.js';

/** What both networks return. */
export interface InceptionOutput {
  /** (B, classes) logits. */
  logits: Tensor;
  /** (B, 2048) average pool of Mixed_7c ("pool3"). */
  pool: Tensor;
}

/** Input side of both networks. */
export const INCEPTION_SIDE = 299;

/** torchvision's ImageNet statistics (its classifiers' transforms.Normalize). */
const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];

/**
 * torchvision's Inception-v3 (aux logits left out). With `transformInput` (default, as for the
 * pretrained weights) it expects ImageNet-normalised images, `(x - mean) / std` of x in [0, 1];
 * without, images in [-1, 1].
 */
export class InceptionV3 extends Module {
  constructor(options: { numClasses?: number; transformInput?: boolean } = {}) {
    super('INCEPTION_V3', { numClasses: options.numClasses ?? 1000, transformInput: options.transformInput ?? true });
  }

  classify(images: Tensor, options: ForwardOptions = {}): InceptionOutput {
    const out = this.forward({ images }, options);
    return { logits: out.logits, pool: out.pool };
  }

  /**
   * The Inception Score's view of generated images: (B, 3, S, S) in [-1, 1] are resized to 299
   * (bilinear, align_corners false) and ImageNet-normalised, as torchvision's pretrained-weight
   * transforms would, then classified. No gradient.
   */
  classifyImages(images: Tensor): InceptionOutput {
    return tidy(() => {
      const mean = tensor(IMAGENET_MEAN, [1, 3, 1, 1]);
      const std = tensor(IMAGENET_STD, [1, 3, 1, 1]);
      const x = interpolate(images, INCEPTION_SIDE).add(1).div(2).sub(mean).div(std);  // (B, 3, 299, 299)
      return this.classify(x, { grad: false, checkFinite: false });
    });
  }
}

/**
 * pytorch-fid's `InceptionV3` (block 3, pool3) with the `fc` layer of its `fid_inception_v3`:
 * images in [0, 1] at any size, resized to 299 and mapped to [-1, 1] inside, as pytorch-fid does.
 */
export class FidInceptionV3 extends Module {
  constructor(options: { numClasses?: number } = {}) {
    // pytorch-fid's InceptionV3(resize_input=True, normalize_input=True), its defaults.
    super('FID_INCEPTION_V3', { numClasses: options.numClasses ?? 1008, resizeInput: true, normalizeInput: true });
  }

  features(images: Tensor, options: ForwardOptions = {}): InceptionOutput {
    const out = this.forward({ images }, options);
    return { logits: out.logits, pool: out.pool };
  }

  /** pool3 features of (B, 3, S, S) images in [-1, 1] (mapped to [0, 1] first). No gradient. */
  featuresOfImages(images: Tensor): InceptionOutput {
    return tidy(() => this.features(images.add(1).div(2), { grad: false, checkFinite: false }));
  }
}

/** The published PyTorch weight files and what they become here. */
export const INCEPTION_WEIGHTS = {
  is: {
    what: 'torchvision Inception-v3 (Inception Score)',
    pth: 'inception_v3_google-0cc3c7bd.pth',
    url: 'https://download.pytorch.org/models/inception_v3_google-0cc3c7bd.pth',
    file: 'inception_v3_google-0cc3c7bd.safetensors',
  },
  fid: {
    what: 'pytorch-fid FID Inception (FID, KID)',
    pth: 'pt_inception-2015-12-05-6726825d.pth',
    url: 'https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth',
    file: 'pt_inception-2015-12-05-6726825d.safetensors',
  },
} as const;

export type InceptionWeightsKind = keyof typeof INCEPTION_WEIGHTS;

/** Where weights are looked for by default: `<cache root>/weights` ($MIRRORGAN_CACHE or ~/.cache/mirrorgan). */
export function defaultWeightsDir(): string {
  return path.join(resolveCacheRoot(), 'weights');
}

/** The safetensors path of one network's weights in `dir`. */
export function inceptionWeightsPath(kind: InceptionWeightsKind, dir = defaultWeightsDir()): string {
  return path.join(dir, INCEPTION_WEIGHTS[kind].file);
}

/** The ERR_FILE a missing weight file raises: which file, where to get it, how to convert it. */
export function missingWeightsError(kind: InceptionWeightsKind, file: string): MirrorganError {
  const w = INCEPTION_WEIGHTS[kind];
  return new MirrorganError('ERR_FILE',
    `${w.what} weights not found: ${file}. Download ${w.pth} (${w.url}) and convert it with ` +
    `'python3 scripts/pth2safetensors.py ${w.pth} ${file}' (needs python3-torch), or pass --weights <folder holding ${w.file}>`);
}

/**
 * Builds the network and loads its converted weights from `file`. torchvision's checkpoint also
 * holds the auxiliary classifier (`AuxLogits.*`), which evaluation never runs: those keys, and only
 * those, may be left over.
 */
export async function loadInceptionWeights(kind: 'is', file: string): Promise<InceptionV3>;
export async function loadInceptionWeights(kind: 'fid', file: string): Promise<FidInceptionV3>;
export async function loadInceptionWeights(kind: InceptionWeightsKind, file: string): Promise<InceptionV3 | FidInceptionV3> {
  if (!fs.existsSync(file)) throw missingWeightsError(kind, file);
  const net = kind === 'is' ? new InceptionV3() : new FidInceptionV3();
  const { missing, unexpected } = await net.load(file, { strict: false });
  const foreign = unexpected.filter((k) => !k.startsWith('AuxLogits.'));
  if (missing.length > 0 || foreign.length > 0) {
    const list = (keys: string[]) => keys.slice(0, 3).join(', ') + (keys.length > 3 ? `, … (${keys.length})` : '');
    throw new MirrorganError('ERR_STATE_DICT',
      `${file} is not ${INCEPTION_WEIGHTS[kind].what} weights converted from ${INCEPTION_WEIGHTS[kind].pth}` +
      (missing.length ? `; missing ${list(missing)}` : '') + (foreign.length ? `; unexpected ${list(foreign)}` : ''));
  }
  net.eval().setRequiresGrad(false);
  return net;
}
