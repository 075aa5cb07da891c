// SPDX-License-Identifier: MIT
/**
 * MirrorGAN: STEM (text encoder, frozen) + GLAM (cascaded attention generator) + STREAM
 * (captioner, frozen) — training through `MirrorGAN.train`, generation from a trained run
 * through `MirrorGAN.load(run).generate(captions)`.
 *
 * ```ts
 * import { MirrorGAN } from 'mirrorgan-native';
 * const result = await MirrorGAN.train({ preset: 'cpu', runDir: 'runs/emoji' }, {
 *   onIteration: ({ iteration, losses }) => console.log(iteration, losses.G_total),
 * });
 * const model = await MirrorGAN.load('runs/emoji');
 * const [img] = await model.generate(['a red heart']);   // img.png: Buffer
 * ```
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { invalidArg, MirrorganError } from '../../lib/errors.js';
import { manualSeed } from '../../lib/runtime.js';
import { dispose, randn, tensor, tidy, zeros, type Device, type Tensor } from '../../lib/tensor.js';
import { resolveConfig, type MirrorGANConfig, type ResolveOptions } from '../config/index.js';
import { generatorOptions, textEncoderOptions } from '../config/module_options.js';
import { Discriminator, Generator } from '../glam/index.js';
import { CompactImageEncoder, InceptionImageEncoder, TextEncoder } from '../stem/index.js';
import { CaptionDecoder, CaptionEncoder } from '../stream/index.js';
import { encodeCaptions, Vocabulary } from '../text/index.js';
import type { TrainCallbacks } from '../train/gan_trainer.js';
import { requireCheckpoint, resolveRunPath } from './run_path.js';
import { trainPipeline, type TrainPipelineResult } from '../train/pipeline.js';

export interface MirrorGANTrainOptions extends ResolveOptions {
  /** Run folder. Default: runs/<preset>. */
  runDir?: string;
  /** A configuration already resolved (then preset/files/set/overrides are ignored). */
  config?: MirrorGANConfig;
  /** Continue the run in runDir. Default false. */
  resume?: boolean;
  /** Progress on stderr. Default true. */
  progress?: boolean;
  signal?: AbortSignal;
  device?: Device;
}

export interface GeneratedImage {
  caption: string;
  /** Words of the caption the vocabulary does not know (they were dropped). */
  unknownWords: string[];
  /** The last stage's image as PNG. */
  png: Buffer;
  size: number;
}

/** Options of {@link MirrorGAN.generate}. */
export interface GenerateOptions {
  /** Seeds z and the conditioning noise; the same seed gives the same images. Default: 0. */
  seed?: number;
  /**
   * Sample CA_NET's code as in training (mean + std · noise). `false` uses the mean alone, as
   * text-to-image demos often do: z is then the only randomness. Default: true.
   */
  conditioningNoise?: boolean;
}

export class MirrorGAN {
  /** The configuration the run was trained with. */
  readonly config: MirrorGANConfig;
  readonly vocabulary: Vocabulary;
  readonly textEncoder: TextEncoder;
  /** The generator with the moving-average weights (what the official code releases). */
  readonly generator: Generator;

  /** The modules, for composing your own pipeline. */
  static readonly modules = { Generator, Discriminator, TextEncoder, CompactImageEncoder, InceptionImageEncoder, CaptionEncoder, CaptionDecoder };

  private constructor(config: MirrorGANConfig, vocabulary: Vocabulary, textEncoder: TextEncoder, generator: Generator) {
    this.config = config;
    this.vocabulary = vocabulary;
    this.textEncoder = textEncoder;
    this.generator = generator;
  }

  /** Runs the whole pipeline: DAMSM and STREAM pretraining when needed, then GAN training. */
  static async train(options: MirrorGANTrainOptions = {}, callbacks: TrainCallbacks = {}): Promise<TrainPipelineResult> {
    const config = options.config ?? resolveConfig(options);
    return trainPipeline({
      config, runDir: options.runDir ?? path.join('runs', config.preset), resume: options.resume,
      progress: options.progress, signal: options.signal, device: options.device,
    }, callbacks);
  }

  /**
   * Loads a trained run for generation: a run folder (its latest checkpoint) or one checkpoint
   * folder (`<run>/checkpoints/iter_N`); see run_path.ts.
   */
  static async load(runPath: string, options: { device?: Device } = {}): Promise<MirrorGAN> {
    const resolved = await resolveRunPath(runPath, { name: 'the run to load' });
    const ckpt = requireCheckpoint(resolved, runPath);
    const runDir = resolved.runDir as string;
    let config: MirrorGANConfig;
    try {
      config = resolveConfig({ files: [resolved.configFile as string] });
    } catch (e) {
      throw new MirrorganError('ERR_FILE', `${resolved.configFile}: ${(e as Error).message}`);
    }
    const vocabulary = await Vocabulary.load(path.join(ckpt, 'vocabulary.json'));
    const textEncoder = new TextEncoder(textEncoderOptions(config, vocabulary.size));
    const netE = config.train.netE || path.join(runDir, 'damsm', 'text_encoder.safetensors');
    await textEncoder.load(netE);
    const generator = new Generator(generatorOptions(config));
    await generator.load(path.join(ckpt, 'netG_ema.safetensors'));
    const device = options.device ?? 'cpu';
    textEncoder.to(device).eval().setRequiresGrad(false);
    generator.to(device).eval().setRequiresGrad(false);
    return new MirrorGAN(config, vocabulary, textEncoder, generator);
  }

  /**
   * Generates one (3, S, S) image per caption, in [-1, 1], as one tensor. Row k belongs to input
   * caption `order[k]` (captions are length-sorted for the text encoder). Unknown words are
   * dropped and listed per input caption; a caption with no known word is ERR_CAPTION_UNKNOWN.
   */
  async generateTensor(captions: string[], options: GenerateOptions = {}): Promise<{ images: Tensor; order: Int32Array; unknownWords: string[][] }> {
    const { ids, lengths, order, unknown } = this.#tokens(captions);
    const B = captions.length;
    manualSeed(options.seed ?? 0);
    const images = tidy(() => {
      const text = this.textEncoder.encode(ids, lengths, { grad: false });
      const z = randn([B, this.config.gan.zDim], { device: this.generator.device });
      // Without conditioning noise CA_NET's code is its mean: z is then the only randomness.
      const eps = options.conditioningNoise === false ? zeros([B, this.config.gan.conditionDim], { device: this.generator.device }) : undefined;
      const g = this.generator.generate({ z, sentEmb: text.sentEmb, wordsEmb: text.wordsEmb, mask: text.mask, ...(eps ? { eps } : {}) }, { grad: false });
      return g.images[g.images.length - 1];
    });
    dispose([ids, lengths]);
    return { images, order, unknownWords: unknown };
  }

  /**
   * STEM's sentence feature of each caption, in input order (unknown words dropped as in
   * generate): e.g. to see whether the text encoder tells two captions apart at all.
   */
  async sentenceFeatures(captions: string[]): Promise<Float32Array[]> {
    const { ids, lengths, order } = this.#tokens(captions);
    const sent = tidy(() => this.textEncoder.encode(ids, lengths, { grad: false }).sentEmb);
    dispose([ids, lengths]);
    const data = (await sent.data()) as Float32Array;
    const D = sent.shape[1] as number;
    dispose(sent);
    const out: Float32Array[] = new Array(captions.length);
    order.forEach((p, k) => { out[p] = data.slice(k * D, (k + 1) * D); });
    return out;
  }

  /** Captions -> length-sorted (B, T) int64 ids and (B,) lengths for the text encoder; row k is caption order[k]. */
  #tokens(captions: string[]): { ids: Tensor; lengths: Tensor; order: Int32Array; unknown: string[][] } {
    if (!Array.isArray(captions) || captions.length === 0 || !captions.every((c) => typeof c === 'string')) {
      throw invalidArg('captions', 'a non-empty array of strings', captions);
    }
    const W = 25;
    const enc = encodeCaptions(this.vocabulary, captions, W);
    const B = captions.length;
    const T = enc.lengths[0];
    const ids = new BigInt64Array(B * T);
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) ids[b * T + t] = BigInt(enc.ids[b * W + t]);
    return {
      ids: tensor(ids, [B, T]),
      lengths: tensor(BigInt64Array.from(enc.lengths, BigInt), [B]),
      order: enc.order, unknown: enc.unknown,
    };
  }

  /** Generates one PNG per caption, in input order (see generateTensor). */
  async generate(captions: string[], options: GenerateOptions = {}): Promise<GeneratedImage[]> {
    const { images: out, order, unknownWords } = await this.generateTensor(captions, options);
    const [B, , S] = out.shape;
    const data = (await out.data()) as Float32Array;
    dispose(out);
    const images: GeneratedImage[] = new Array(B);
    for (let k = 0; k < B; k++) {
      const rgb = Buffer.alloc(S * S * 3);
      for (let i = 0; i < S * S; i++) {
        for (let ch = 0; ch < 3; ch++) rgb[i * 3 + ch] = Math.max(0, Math.min(255, Math.round((data[(k * 3 + ch) * S * S + i] + 1) * 127.5)));
      }
      const p = order[k];
      images[p] = {
        caption: captions[p], unknownWords: unknownWords[p], size: S,
        png: await sharp(rgb, { raw: { width: S, height: S, channels: 3 } }).png().toBuffer(),
      };
    }
    return images;
  }

  /**
   * Writes generate() results as one PNG grid, `cols` per row in input order, with 2 px white
   * gutters (as the training sample grids); returns the path.
   */
  static async writeGrid(file: string, images: GeneratedImage[], cols: number): Promise<string> {
    if (!Number.isInteger(cols) || cols < 1) throw invalidArg('cols', 'a positive integer', cols);
    if (!Array.isArray(images) || images.length === 0) throw invalidArg('images', 'at least one image for the grid', images);
    const S = images[0].size;
    const c = Math.min(cols, images.length);
    const rows = Math.ceil(images.length / c);
    const gap = 2;
    const png = await sharp({ create: { width: c * S + (c + 1) * gap, height: rows * S + (rows + 1) * gap, channels: 3, background: '#ffffff' } })
      .composite(images.map((img, i) => ({ input: img.png, left: gap + (i % c) * (S + gap), top: gap + Math.floor(i / c) * (S + gap) })))
      .png().toBuffer();
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, png);
    return file;
  }

  /** Writes generate() results as numbered PNG files into `dir`; returns the paths. */
  static async writeImages(dir: string, images: GeneratedImage[]): Promise<string[]> {
    await fs.mkdir(dir, { recursive: true });
    return Promise.all(images.map(async (img, i) => {
      const file = path.join(dir, `${String(i).padStart(3, '0')}.png`);
      await fs.writeFile(file, img.png);
      return file;
    }));
  }
}
