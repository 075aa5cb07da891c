// SPDX-License-Identifier: MIT
/**
 * MirrorGAN: STEM (text encoder, frozen) + GLAM (cascaded attention generator) + STREAM
 * (captioner, frozen) — training through `MirrorGAN.train`, generation from the shipped model,
 * a run, a checkpoint or a model folder.
 *
 * ```ts
 * import { MirrorGAN } from 'mirrorgan-native';
 * using gan = await MirrorGAN.pretrained();          // or MirrorGAN.load('runs/emoji')
 * const images = await gan.generate('a red heart', { n: 4, seed: 1, describe: true });
 * images[0].png;                                      // Buffer (last stage); images[0].stages: every stage
 * images[0].attention[0].maps;                        // one map per word of images[0].tokens
 * const [words] = await gan.describe([images[0].png]);  // STREAM's re-description
 * ```
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { invalidArg, MirrorganError } from '../../lib/errors.js';
import type { Module } from '../../lib/module.js';
import { tensor, type Device, type Tensor } from '../../lib/tensor.js';
import { resolveConfig, type MirrorGANConfig, type ResolveOptions } from '../config/index.js';
import { generatorOptions, textEncoderOptions } from '../config/module_options.js';
import { Discriminator, Generator } from '../glam/index.js';
import { CompactImageEncoder, InceptionImageEncoder, TextEncoder } from '../stem/index.js';
import { CaptionDecoder, CaptionEncoder, hasCaptioner, loadCaptioner, type Captioner } from '../stream/index.js';
import { Vocabulary } from '../text/index.js';
import { readState } from '../train/checkpoint.js';
import type { TrainCallbacks } from '../train/gan_trainer.js';
import { trainPipeline, type TrainPipelineResult } from '../train/pipeline.js';
import { describeImages, type DescribeOptions } from './describe.js';
import {
  assembleImage, parseCaptions, sampleSeeds, sampleSettings,
  type GeneratedImage, type GenerateOptions, type ImageMeta, type InterpolationFrame, type SampleSettings,
} from './generation.js';
import { interpolationRows, type InterpolateOptions } from './interpolation.js';
import {
  configOfManifest, hasCaptionerFiles, MODEL_FILES, readModelManifest, verifyModelFiles, type ModelManifest,
} from './model_folder.js';
import { sampleNoise } from './noise.js';
import { imageToChw } from './png.js';
import { listPretrained, modelsDir, pretrainedDir, type PretrainedModel } from './pretrained.js';
import { captionerDirOf, requireCheckpoint, resolveRunPath, type RunPathKind } from './run_path.js';
import { encodeText, synthesise, type SynthesisResult, type SynthesisRow } from './synthesis.js';
import { writeFileAtomic } from '../util/atomic.js';

export type { GeneratedImage, GenerateOptions, InterpolateOptions, InterpolationFrame };

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

/** Options of {@link MirrorGAN.load} and {@link MirrorGAN.pretrained}. */
export interface LoadOptions {
  /** Where the modules run. Default: 'cpu'. */
  device?: Device;
}

/** Where a loaded model came from. */
export interface ModelSourceInfo {
  kind: RunPathKind;
  /** The folder given (resolved). */
  path: string;
  /** The checkpoint read (run and checkpoint folders). */
  checkpoint: { dir: string; iteration: number } | null;
  /** The manifest (model folders). */
  manifest: ModelManifest | null;
}

/** Anything with a PNG: a generated image, or a PNG buffer. */
type ImageInput = Buffer | { png: Buffer };

/** The kinds of folder `load` reads. */
const LOADABLE: readonly RunPathKind[] = ['run', 'checkpoint', 'model'];

/** Text encoder and EMA generator of `config`, weights loaded, frozen, on `device`; nothing left allocated on failure. */
async function buildModules(config: MirrorGANConfig, vocabulary: Vocabulary, netE: string, netG: string, device: Device): Promise<{ textEncoder: TextEncoder; generator: Generator }> {
  const textEncoder = new TextEncoder(textEncoderOptions(config, vocabulary.size));
  let generator: Generator | null = null;
  try {
    await textEncoder.load(netE);
    generator = new Generator(generatorOptions(config));
    await generator.load(netG);
    textEncoder.to(device).eval().setRequiresGrad(false);
    generator.to(device).eval().setRequiresGrad(false);
    return { textEncoder, generator };
  } catch (e) {
    textEncoder.dispose();
    generator?.dispose();
    throw e;
  }
}

export class MirrorGAN {
  /** The configuration the model was trained with. */
  readonly config: MirrorGANConfig;
  readonly vocabulary: Vocabulary;
  readonly textEncoder: TextEncoder;
  /** The generator with the moving-average weights (what the official code releases). */
  readonly generator: Generator;
  /** Where the weights came from. */
  readonly source: ModelSourceInfo;

  /** The modules, for composing your own pipeline. */
  static readonly modules = { Generator, Discriminator, TextEncoder, CompactImageEncoder, InceptionImageEncoder, CaptionEncoder, CaptionDecoder };

  readonly #captionerDir: string | null;
  #captioner: Promise<Captioner> | null = null;
  /** The captioner's modules once loaded (freed with the rest). */
  #captionerModules: Module[] = [];
  #jobs: Promise<unknown> = Promise.resolve();
  #pending = 0;
  #disposed = false;

  private constructor(config: MirrorGANConfig, vocabulary: Vocabulary, modules: { textEncoder: TextEncoder; generator: Generator }, source: ModelSourceInfo, captionerDir: string | null) {
    this.config = config;
    this.vocabulary = vocabulary;
    this.textEncoder = modules.textEncoder;
    this.generator = modules.generator;
    this.source = source;
    this.#captionerDir = captionerDir;
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
   * Loads a model for generation: a run folder (its latest checkpoint), one checkpoint folder
   * (`<run>/checkpoints/iter_N`) or a model folder (`mirrorgan export`, the shipped ones); see
   * run_path.ts. A model folder's files are checked against its manifest first.
   */
  static async load(runPath: string, options: LoadOptions = {}): Promise<MirrorGAN> {
    const resolved = await resolveRunPath(runPath, { accept: LOADABLE, name: 'the model to load' });
    const device = options.device ?? 'cpu';
    if (resolved.kind === 'model') {
      const dir = resolved.modelDir as string;
      const manifest = await readModelManifest(dir);
      await verifyModelFiles(dir, manifest);
      const config = configOfManifest(dir, manifest);
      const vocabulary = await Vocabulary.load(path.join(dir, MODEL_FILES.vocabulary));
      const modules = await buildModules(config, vocabulary, path.join(dir, MODEL_FILES.textEncoder), path.join(dir, MODEL_FILES.generator), device);
      const source = { kind: resolved.kind, path: dir, checkpoint: null, manifest };
      return new MirrorGAN(config, vocabulary, modules, source, hasCaptionerFiles(manifest) ? path.join(dir, MODEL_FILES.captioner) : null);
    }
    const ckpt = requireCheckpoint(resolved, runPath);
    const runDir = resolved.runDir as string;
    let config: MirrorGANConfig;
    try {
      config = resolveConfig({ files: [resolved.configFile as string] });
    } catch (e) {
      throw new MirrorganError('ERR_FILE', `${resolved.configFile}: ${(e as Error).message}`);
    }
    const vocabulary = await Vocabulary.load(path.join(ckpt, 'vocabulary.json'));
    const netE = config.train.netE || path.join(runDir, 'damsm', 'text_encoder.safetensors');
    const modules = await buildModules(config, vocabulary, netE, path.join(ckpt, 'netG_ema.safetensors'), device);
    const iteration = Number((await readState(ckpt)).iteration);
    const capDir = captionerDirOf(resolved, config.train.captioner);
    const source = { kind: resolved.kind, path: path.resolve(runPath), checkpoint: { dir: ckpt, iteration }, manifest: null };
    return new MirrorGAN(config, vocabulary, modules, source, (await hasCaptioner(capDir)) ? capDir : null);
  }

  /**
   * Loads a model that ships with the package (`models/<name>/`); without a name, the only one
   * there is. When none ships, ERR_FILE says how to get one (train, or export a run).
   */
  static async pretrained(name?: string, options: LoadOptions & { modelsDir?: string } = {}): Promise<MirrorGAN> {
    return MirrorGAN.load(await pretrainedDir(name, options.modelsDir ?? modelsDir()), options);
  }

  /** The models that ship with the package (or sit in `dir`). */
  static pretrainedModels(dir = modelsDir()): Promise<PretrainedModel[]> {
    return listPretrained(dir);
  }

  /** True when the model has a STREAM captioner (`describe` needs one). */
  get hasCaptioner(): boolean {
    return this.#captionerDir !== null;
  }

  /** True once {@link dispose} was called. */
  get isDisposed(): boolean {
    return this.#disposed;
  }

  /**
   * Runs `fn` after the calls before it: the modules take one native job at a time, so calls
   * on one model queue up instead of failing with ERR_BUSY.
   */
  #exclusive<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.#disposed) return Promise.reject(new MirrorganError('ERR_DISPOSED', `${what}: this MirrorGAN was disposed; load the model again`));
    this.#pending++;
    const job = this.#jobs.then(fn).finally(() => {
      if (--this.#pending === 0 && this.#disposed) this.#free();
    });
    this.#jobs = job.catch(() => undefined);
    return job;
  }

  async #loadedCaptioner(): Promise<Captioner> {
    if (!this.#captionerDir) {
      throw new MirrorganError('ERR_FILE', `${this.source.path} has no STREAM captioner (re-description needs one: a run trained with train.streamWeight > 0, or a model exported from one)`);
    }
    this.#captioner ??= (async () => {
      const c = await loadCaptioner(this.#captionerDir as string, { vocabulary: this.vocabulary });
      this.#captionerModules = [c.encoder, c.decoder];
      const device = this.generator.device;
      c.encoder.to(device).eval().setRequiresGrad(false);
      c.decoder.to(device).setRequiresGrad(false);
      return c;
    })();
    return this.#captioner;
  }

  /** Generated images from synthesis results, with re-descriptions when asked for. */
  async #images(metas: ImageMeta[], results: SynthesisResult[], settings: SampleSettings) {
    const sizes = this.generator.sizes;
    let descriptions: string[] | null = null;
    if (settings.describe) {
      const size = sizes[sizes.length - 1] as number;
      const last = results.map((r) => r.stages[r.stages.length - 1] as Float32Array);
      descriptions = await describeImages(await this.#loadedCaptioner(), last, size, { ...settings.describe, batchSize: settings.batchSize });
    }
    return Promise.all(metas.map((m, i) => assembleImage(m, results[i] as SynthesisResult, sizes, settings, descriptions?.[i])));
  }

  /**
   * Generates `n` images per caption (a string or an array of them), caption by caption: PNGs of
   * every stage, the word attention of every stage after the first, the tokens used and the
   * unknown words, the seed of each image; STREAM's re-description with `describe`, tensors
   * with `tensors`. Batched (`batchSize`) and run on worker threads; the same options give the
   * same bytes. A caption with no known word is ERR_CAPTION_UNKNOWN (ERR_CAPTION_EMPTY when blank).
   */
  generate(captions: string | readonly string[], options: GenerateOptions = {}): Promise<GeneratedImage[]> {
    return this.#exclusive('generate', async () => {
      const parsed = parseCaptions(this.vocabulary, captions);
      const settings = sampleSettings(options);
      const { seeds } = sampleSeeds(options, parsed.length);
      const texts = await encodeText(this, parsed.map((p) => p.ids), settings.batchSize);
      const { zDim, cDim } = this.generator.options;
      const rows: SynthesisRow[] = [];
      const metas: ImageMeta[] = [];
      parsed.forEach((p, i) => {
        for (const seed of seeds[i] as number[]) {
          const noise = sampleNoise(seed, zDim, cDim);
          rows.push({ text: texts[i]!, z: noise.z, eps: settings.conditioningNoise ? noise.eps : null });
          metas.push({ caption: p.caption, tokens: p.tokens, unknownWords: p.unknownWords, seed });
        }
      });
      const results = await synthesise(this, rows, settings.batchSize);
      return (await this.#images(metas, results, settings)) as GeneratedImage[];
    });
  }

  /**
   * Frames between two captions (same noise; text features interpolated) or between two seeds
   * (same caption; noise interpolated on the sphere). The end frames are the two captions or
   * seeds themselves.
   */
  interpolate(options: InterpolateOptions): Promise<InterpolationFrame[]> {
    return this.#exclusive('interpolate', async () => {
      const settings = sampleSettings(options);
      const { rows, metas } = await interpolationRows(this, options, settings);
      const results = await synthesise(this, rows, settings.batchSize);
      const frames = await this.#images(metas, results, settings);
      return frames.map((f, k) => ({ ...f, t: metas[k]!.t }));
    });
  }

  /**
   * STREAM's caption of each image (PNG buffers, or generated images): what the captioner the
   * generator was trained against reads in them. ERR_FILE when the model has no captioner.
   */
  describe(images: ImageInput | readonly ImageInput[], options: DescribeOptions = {}): Promise<string[]> {
    return this.#exclusive('describe', async () => {
      const list = Array.isArray(images) ? images : [images];
      if (list.length === 0) throw invalidArg('images', 'one or more PNG buffers or generated images', images);
      const captioner = await this.#loadedCaptioner();
      // At the generator's size, as generate({ describe }) feeds its images (the encoder resizes them to its own input).
      const size = this.generator.sizes[this.generator.sizes.length - 1] as number;
      const chws = await Promise.all(list.map((img, i) => imageToChw(Buffer.isBuffer(img) ? img : (img as { png: Buffer })?.png, size, `images[${i}]`)));
      return describeImages(captioner, chws, size, { ...options, batchSize: 16 });
    });
  }

  /**
   * The last stage of one image per caption as one (B, 3, S, S) tensor in [-1, 1], in input
   * order (for evaluations that batch on their own); seeds as `generate` with n = 1.
   */
  generateTensor(captions: readonly string[], options: Omit<GenerateOptions, 'n' | 'describe' | 'tensors'> = {}): Promise<{ images: Tensor; unknownWords: string[][] }> {
    return this.#exclusive('generateTensor', async () => {
      const parsed = parseCaptions(this.vocabulary, captions);
      const settings = sampleSettings(options);
      const { seeds } = sampleSeeds(options, parsed.length);
      const texts = await encodeText(this, parsed.map((p) => p.ids), settings.batchSize);
      const { zDim, cDim } = this.generator.options;
      const rows = parsed.map((_, i): SynthesisRow => {
        const noise = sampleNoise(seeds[i]![0]!, zDim, cDim);
        return { text: texts[i]!, z: noise.z, eps: settings.conditioningNoise ? noise.eps : null };
      });
      const results = await synthesise(this, rows, settings.batchSize);
      const S = this.generator.sizes[this.generator.sizes.length - 1] as number;
      const data = new Float32Array(results.length * 3 * S * S);
      results.forEach((r, b) => data.set(r.stages[r.stages.length - 1] as Float32Array, b * 3 * S * S));
      return { images: tensor(data, [results.length, 3, S, S], { device: this.generator.device }), unknownWords: parsed.map((p) => p.unknownWords) };
    });
  }

  /**
   * STEM's sentence feature of each caption, in input order (unknown words dropped as in
   * generate): e.g. to see whether the text encoder tells two captions apart at all.
   */
  sentenceFeatures(captions: readonly string[]): Promise<Float32Array[]> {
    return this.#exclusive('sentenceFeatures', async () => {
      const parsed = parseCaptions(this.vocabulary, captions);
      return (await encodeText(this, parsed.map((p) => p.ids), 16)).map((t) => t.sentence);
    });
  }

  #free(): void {
    // Runs when no call is pending, so a captioner being loaded has finished loading.
    for (const m of [this.textEncoder, this.generator, ...this.#captionerModules]) m.dispose();
    this.#captionerModules = [];
    this.#captioner = null;
  }

  /**
   * Frees the model's native memory (text encoder, generator, captioner): at once when no call
   * is running, else as soon as the calls already made have finished. Later calls are
   * ERR_DISPOSED; disposing twice does nothing.
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    if (this.#pending === 0) this.#free();
  }

  /** `using gan = await MirrorGAN.pretrained()` disposes it at the end of the block. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /**
   * Writes images as one PNG grid, `cols` per row in input order, with 2 px white gutters (as
   * the training sample grids); returns the path.
   */
  static async writeGrid(file: string, images: readonly { png: Buffer; size: number }[], cols: number): Promise<string> {
    if (!Number.isInteger(cols) || cols < 1) throw invalidArg('cols', 'a positive integer', cols);
    if (!Array.isArray(images) || images.length === 0) throw invalidArg('images', 'at least one image for the grid', images);
    const S = images[0]!.size;
    const c = Math.min(cols, images.length);
    const rows = Math.ceil(images.length / c);
    const gap = 2;
    const png = await sharp({ create: { width: c * S + (c + 1) * gap, height: rows * S + (rows + 1) * gap, channels: 3, background: '#ffffff' } })
      .composite(images.map((img, i) => ({ input: img.png, left: gap + (i % c) * (S + gap), top: gap + Math.floor(i / c) * (S + gap) })))
      .png().toBuffer();
    await fs.mkdir(path.dirname(file), { recursive: true });
    await writeFileAtomic(file, png);
    return file;
  }

  /** Writes images as numbered PNG files (`000.png`, ...) into `dir`; returns the paths. */
  static async writeImages(dir: string, images: readonly { png: Buffer }[]): Promise<string[]> {
    await fs.mkdir(dir, { recursive: true });
    return Promise.all(images.map(async (img, i) => {
      const file = path.join(dir, `${String(i).padStart(3, '0')}.png`);
      await writeFileAtomic(file, img.png);
      return file;
    }));
  }
}
