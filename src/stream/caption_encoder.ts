// SPDX-License-Identifier: MIT
/**
 * The STREAM image encoders. `resnet152` is the official `CAPTION_CNN` (frozen ImageNet
 * ResNet-152 trunk -> `linear` 2048 -> 256 -> `bn`); `compact` is `CAPTION_CNN_COMPACT`, a small
 * from-scratch CNN with the same head and output for CPU runs on 64-128 px images.
 *
 * ```ts
 * const enc = new CaptionEncoder({ arch: 'compact', imageSize: 64 });
 * const features = enc.encode(images);  // (B, 256) from (B, 3, H, W) in [-1, 1]
 * ```
 */
import { checkInt, invalidArg, MirrorganError } from '../../lib/errors.js';
import { Module, type ForwardOptions } from '../../lib/module.js';
import { loadSafetensors } from '../../lib/safetensors.js';
import { dispose, type Tensor } from '../../lib/tensor.js';
import { CAPTION_ENCODER_KEYS, withSchemaDefaults } from '../config/module_options.js';

/** Which trunk the encoder uses. */
export type CaptionEncoderArch = 'resnet152' | 'compact';

/**
 * What the encoder does to its [-1, 1] input: `imagenet` maps it to [0, 1] and applies the
 * ImageNet mean/std (how the tutorial captioner is trained); `none` feeds it as is (how the
 * official MirrorGAN code feeds generated images, reference §10.1 #7).
 */
export type CaptionInputNorm = 'imagenet' | 'none';

/** Options of {@link CaptionEncoder}. */
export interface CaptionEncoderOptions {
  /** Trunk. Default: 'compact'. */
  arch?: CaptionEncoderArch;
  /** Output width, CAP.embed_size (`stream.embedSize`; its default and range). */
  embedSize?: number;
  /** Bilinear resize of the input to this side; 0 keeps the input size. Default: 224 (resnet152), 64 (compact). */
  imageSize?: number;
  /** Input normalisation, stored with the model so pretraining and use agree. Default: 'imagenet'. */
  inputNorm?: CaptionInputNorm;
  /** compact only: width of the first conv block (then 2x, 4x, 8x). Default: 32. */
  ndf?: number;
  /** compact only: momentum of the output BatchNorm1d. Default: 0.01 (the official head's). */
  bnMomentum?: number;
}

/** {@link CaptionEncoderOptions} with every default filled in. */
export type ResolvedCaptionEncoderOptions = Required<CaptionEncoderOptions>;

/** Validates {@link CaptionEncoderOptions} and fills in the defaults. */
export function resolveCaptionEncoderOptions(options: CaptionEncoderOptions = {}): ResolvedCaptionEncoderOptions {
  const s = withSchemaDefaults(options, CAPTION_ENCODER_KEYS);
  const arch = s.arch ?? 'compact';
  if (arch !== 'resnet152' && arch !== 'compact') throw invalidArg('arch', "'resnet152' or 'compact'", arch);
  const o: ResolvedCaptionEncoderOptions = {
    arch,
    embedSize: s.embedSize!,
    imageSize: s.imageSize ?? (arch === 'resnet152' ? 224 : 64),
    inputNorm: s.inputNorm ?? 'imagenet',
    ndf: s.ndf ?? 32,
    bnMomentum: s.bnMomentum ?? 0.01,
  };
  checkInt('imageSize', o.imageSize, 0, 4096);
  if (o.imageSize !== 0 && o.imageSize < 16) throw invalidArg('imageSize', '0 or an integer between 16 and 4096', o.imageSize);
  if (o.inputNorm !== 'imagenet' && o.inputNorm !== 'none') throw invalidArg('inputNorm', "'imagenet' or 'none'", o.inputNorm);
  checkInt('ndf', o.ndf, 1, 4096);
  if (typeof o.bnMomentum !== 'number' || !(o.bnMomentum > 0 && o.bnMomentum <= 1)) throw invalidArg('bnMomentum', 'a number in (0, 1]', o.bnMomentum);
  return o;
}

/** The native `CAPTION_CNN` or `CAPTION_CNN_COMPACT` module with a typed forward. */
export class CaptionEncoder extends Module {
  /** The resolved construction options (saved with checkpoints). */
  readonly options: ResolvedCaptionEncoderOptions;

  constructor(options: CaptionEncoderOptions = {}) {
    const o = resolveCaptionEncoderOptions(options);
    const common = { embedSize: o.embedSize, imageSize: o.imageSize, inputNorm: o.inputNorm };
    if (o.arch === 'resnet152') super('CAPTION_CNN', common);
    else super('CAPTION_CNN_COMPACT', { ...common, ndf: o.ndf, bnMomentum: o.bnMomentum });
    this.options = o;
  }

  /**
   * Image features for the decoder.
   * @param images (B, 3, H, W) float in [-1, 1] (resized to `imageSize` inside).
   * @returns (B, embedSize) features.
   */
  encode(images: Tensor, options: ForwardOptions = {}): Tensor {
    return this.forward({ images }, options).features as Tensor;
  }

  /**
   * Loads ImageNet weights into the frozen ResNet-152 trunk (`resnet152` only) from a torchvision
   * `resnet152` state dict converted to safetensors (scripts/pth2safetensors.py). The classifier
   * (`fc.*`) is ignored; `linear` and `bn` keep their values. Every trunk key must be present.
   */
  async loadTorchvisionTrunk(path: string): Promise<void> {
    if (this.options.arch !== 'resnet152') throw invalidArg('arch', "'resnet152' for loadTorchvisionTrunk", this.options.arch);
    const { tensors } = await loadSafetensors(path);
    try {
      const mapped = new Map<string, Tensor>();
      for (const [k, t] of tensors) {
        const key = captionCnnKeyFromTorchvision(k);
        if (key) mapped.set(key, t);
      }
      const { missing, unexpected } = this.loadStateDict(mapped, { strict: false });
      const trunkMissing = missing.filter((k) => k.startsWith('resnet.'));
      if (trunkMissing.length > 0 || unexpected.length > 0) {
        throw new MirrorganError(
          'ERR_STATE_DICT',
          `${path} is not a torchvision ResNet-152 state dict: ${trunkMissing.length} trunk keys missing (${trunkMissing.slice(0, 3).join(', ')}), ` +
            `${unexpected.length} unexpected (${unexpected.slice(0, 3).join(', ')})`,
        );
      }
    } finally {
      dispose(tensors);
    }
  }

  /** {@link encode} on a worker thread. */
  async encodeAsync(images: Tensor, options: ForwardOptions = {}): Promise<Tensor> {
    return (await this.forwardAsync({ images }, options)).features as Tensor;
  }
}

/**
 * The `CAPTION_CNN` key of a torchvision ResNet-152 state-dict key (`conv1.weight` ->
 * `resnet.0.weight`, `layer3.5.bn2.bias` -> `resnet.6.5.bn2.bias`), or null for the classifier
 * (`fc.*`) which CAPTION_CNN drops. Use it to load ImageNet weights converted to safetensors.
 */
export function captionCnnKeyFromTorchvision(key: string): string | null {
  if (key.startsWith('fc.')) return null;
  if (key.startsWith('conv1.')) return `resnet.0.${key.slice(6)}`;
  if (key.startsWith('bn1.')) return `resnet.1.${key.slice(4)}`;
  const m = /^layer([1-4])\.(.*)$/.exec(key);
  if (m) return `resnet.${Number(m[1]) + 3}.${m[2]}`;
  throw invalidArg('key', 'a torchvision ResNet state-dict key (conv1., bn1., layer1-4., fc.)', key);
}
