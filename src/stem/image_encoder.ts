// SPDX-License-Identifier: MIT
/**
 * DAMSM image encoders. Both map (B, 3, H, W) images in [-1, 1] to region features
 * (B, nef, h, w) and a global code (B, nef), the inputs of the DAMSM losses:
 *
 * - {@link InceptionImageEncoder}: the official `CNN_ENCODER` (Inception-v3 trunk, frozen;
 *   Mixed_6e -> 256 x 17 x 17 regions, Mixed_7c -> 256-d code), under the official keys so a
 *   converted `image_encoder200.pth` loads key for key.
 * - {@link CompactImageEncoder}: `CNN_ENCODER_COMPACT`, a small CNN trained from scratch
 *   (8 x 8 regions by default) for CPU-sized runs.
 */
import { checkInt, invalidArg } from '../../lib/errors.js';
import { Module, type ForwardOptions } from '../../lib/module.js';
import type { Tensor } from '../../lib/tensor.js';
import { IMAGE_ENCODER_KEYS, withSchemaDefaults } from '../config/module_options.js';

/** What an image encoder returns. */
export interface ImageEncoding {
  /** (B, nef, h, w) region features (17 x 17 for Inception, gridSize x gridSize for the compact encoder). */
  features: Tensor;
  /** (B, nef) global image code. */
  cnnCode: Tensor;
}

/** Common surface of both image encoders. */
export interface ImageEncoder extends Module {
  /** Encodes (B, 3, H, W) images in [-1, 1]. */
  encode(images: Tensor, options?: ForwardOptions): ImageEncoding;
  /** {@link encode} on a worker thread. */
  encodeAsync(images: Tensor, options?: ForwardOptions): Promise<ImageEncoding>;
}

function toEncoding(out: Record<string, Tensor>): ImageEncoding {
  return { features: out.features, cnnCode: out.cnn_code };
}

/** Options of {@link InceptionImageEncoder}. */
export interface InceptionImageEncoderOptions {
  /** Width of the embeddings, nef = TEXT.EMBEDDING_DIM (`text.embeddingDim`; its default and range). */
  nef?: number;
}

/**
 * The official DAMSM `CNN_ENCODER`: bilinear resize to 299, Inception-v3 trunk (94 BasicConv2d,
 * BatchNorm eps 0.001) with requires_grad off, `emb_features` (1x1 conv 768 -> nef) on Mixed_6e
 * and `emb_cnn_code` (Linear 2048 -> nef) on the pooled Mixed_7c. The trunk starts from LibTorch's
 * default init: load ImageNet or DAMSM weights before using it for anything but shapes.
 */
export class InceptionImageEncoder extends Module implements ImageEncoder {
  /** The resolved construction options. */
  readonly options: Required<InceptionImageEncoderOptions>;

  constructor(options: InceptionImageEncoderOptions = {}) {
    const o = withSchemaDefaults(options, IMAGE_ENCODER_KEYS) as Required<InceptionImageEncoderOptions>;
    super('CNN_ENCODER', { ...o });
    this.options = o;
  }

  encode(images: Tensor, options: ForwardOptions = {}): ImageEncoding {
    return toEncoding(this.forward({ images }, options));
  }

  async encodeAsync(images: Tensor, options: ForwardOptions = {}): Promise<ImageEncoding> {
    return toEncoding(await this.forwardAsync({ images }, options));
  }
}

/** Options of {@link CompactImageEncoder}. */
export interface CompactImageEncoderOptions {
  /** Base width; the blocks use ndf, 2 ndf, ... capped at 8 ndf. Default: 32. */
  ndf?: number;
  /** Side the input is resized to (when it differs). imageSize / gridSize must be a power of two >= 2. Default: 64. */
  imageSize?: number;
  /** Side of the region grid. Default: 8. */
  gridSize?: number;
  /** Width of the embeddings, nef = TEXT.EMBEDDING_DIM (`text.embeddingDim`; its default and range). */
  nef?: number;
}

/** Validates {@link CompactImageEncoderOptions} and fills in the defaults. */
export function resolveCompactImageEncoderOptions(options: CompactImageEncoderOptions): Required<CompactImageEncoderOptions> {
  const s = withSchemaDefaults(options, IMAGE_ENCODER_KEYS);
  const o: Required<CompactImageEncoderOptions> = {
    ndf: s.ndf ?? 32,
    imageSize: s.imageSize ?? 64,
    gridSize: s.gridSize ?? 8,
    nef: s.nef!,
  };
  checkInt('ndf', o.ndf, 1, 4096);
  checkInt('imageSize', o.imageSize, 4, 4096);
  checkInt('gridSize', o.gridSize, 2, 4096);
  const ratio = o.imageSize / o.gridSize;
  if (!Number.isInteger(ratio) || ratio < 2 || (ratio & (ratio - 1)) !== 0) {
    throw invalidArg('imageSize / gridSize', 'a power of two >= 2', ratio);
  }
  return o;
}

/**
 * `CNN_ENCODER_COMPACT`: DAMSM image encoder trainable from scratch (see
 * native/stem/image_encoder_compact.h for the design). Every parameter is trainable.
 */
export class CompactImageEncoder extends Module implements ImageEncoder {
  /** The resolved construction options. */
  readonly options: Required<CompactImageEncoderOptions>;

  constructor(options: CompactImageEncoderOptions = {}) {
    const o = resolveCompactImageEncoderOptions(options);
    super('CNN_ENCODER_COMPACT', { ...o });
    this.options = o;
  }

  encode(images: Tensor, options: ForwardOptions = {}): ImageEncoding {
    return toEncoding(this.forward({ images }, options));
  }

  async encodeAsync(images: Tensor, options: ForwardOptions = {}): Promise<ImageEncoding> {
    return toEncoding(await this.forwardAsync({ images }, options));
  }
}
