// SPDX-License-Identifier: MIT
/**
 * What `MirrorGAN.generate` and `interpolate` take and give: caption parsing (the tokens the
 * text encoder actually sees, the unknown words dropped), option checks, per-sample seeds, and
 * the assembly of generated images (a PNG of every stage, word attention, raw tensors on
 * request). The forward passes themselves are in synthesis.ts.
 */
import { checkInt, invalidArg } from '../../lib/errors.js';
import { tensor, type Tensor } from '../../lib/tensor.js';
import { capWords } from '../text/captions.js';
import type { Vocabulary } from '../text/vocabulary.js';
import type { DescribeOptions } from './describe.js';
import { checkSeed } from './noise.js';
import { chwToPng } from './png.js';
import type { SynthesisResult } from './synthesis.js';

/** Caption cap at generation (the official eval configs' TEXT.WORDS_NUM 25); longer captions keep their first 25 known words. */
export const WORDS_AT_GENERATION = 25;
/** Samples per forward pass unless `batchSize` says otherwise. */
export const DEFAULT_BATCH_SIZE = 16;
/** Most samples per caption in one call. */
export const MAX_SAMPLES = 256;

/** Options of `MirrorGAN.generate`. */
export interface GenerateOptions {
  /** Samples per caption. Default: 1. */
  n?: number;
  /**
   * Seed of the first sample. Sample j of caption i gets seed `seed + i·n + j` (reported as its
   * `seed`; generating that caption alone with it gives the same image). Default: 0.
   */
  seed?: number;
  /**
   * Give every caption the same noise: sample j of each caption gets seed `seed + j`, so the
   * images of one column differ only by their words. Default: false.
   */
  sharedNoise?: boolean;
  /**
   * Sample CA_NET's code as in training (μ + σ·ε). `false` uses μ alone, as text-to-image demos
   * often do: z is then the only randomness. Default: true.
   */
  conditioningNoise?: boolean;
  /** Add STREAM's re-description of each image (`description`); options for the decoding. Default: false. */
  describe?: boolean | DescribeOptions;
  /** Also return each stage as a (3, S, S) float tensor in [-1, 1] (`stages[k].tensor`; dispose them). Default: false. */
  tensors?: boolean;
  /** Samples per forward pass (memory vs. speed). Default: 16. */
  batchSize?: number;
}

/** One stage of a generated image. */
export interface StageImage {
  /** Side in pixels (64, 128, 256). */
  size: number;
  png: Buffer;
  /** (3, size, size) in [-1, 1], with `tensors: true` only. */
  tensor?: Tensor;
}

/** Word attention of one stage: where each word's features went (AttnGAN's attention maps). */
export interface WordAttention {
  /** Stage number: 2 for the 128 px stage, 3 for the 256 px one. */
  stage: number;
  /** Side of each map: the previous stage's size (the grid the attention runs on). */
  size: number;
  /** One (size x size) map per token, row-major; at each pixel the maps sum to 1 over the tokens. */
  maps: Float32Array[];
}

/** One generated image. */
export interface GeneratedImage {
  caption: string;
  /** The words the text encoder saw, in order (known words, at most 25). */
  tokens: string[];
  /** Words of the caption the vocabulary does not know (dropped), in caption order. */
  unknownWords: string[];
  /** The seed that reproduces this image: `generate(caption, { seed })`. */
  seed: number;
  /** The last stage's side. */
  size: number;
  /** The last stage as PNG. */
  png: Buffer;
  /** Every stage, smallest first. */
  stages: StageImage[];
  /** Word attention of every stage from the second on (none for a one-stage model). */
  attention: WordAttention[];
  /** STREAM's caption of the image, with `describe`. */
  description?: string;
}

/** One frame of `MirrorGAN.interpolate`. */
export interface InterpolationFrame extends Omit<GeneratedImage, 'seed'> {
  /** Position between the two ends, 0 to 1. */
  t: number;
  /** The seed of the frame when it is one (seed interpolation's ends, every frame of caption interpolation). */
  seed: number | null;
}

/** A caption as the model reads it. */
export interface ParsedCaption {
  caption: string;
  ids: number[];
  tokens: string[];
  unknownWords: string[];
}

/**
 * Tokenizes captions with the model's vocabulary: unknown words are dropped and listed; a
 * caption without any known word is ERR_CAPTION_EMPTY or ERR_CAPTION_UNKNOWN (naming it).
 */
export function parseCaptions(vocabulary: Vocabulary, captions: string | readonly string[]): ParsedCaption[] {
  const list = typeof captions === 'string' ? [captions] : captions;
  if (!Array.isArray(list) || list.length === 0 || !list.every((c) => typeof c === 'string')) {
    throw invalidArg('captions', 'a caption or a non-empty array of captions (strings)', captions);
  }
  return list.map((caption) => {
    const { ids, unknown } = vocabulary.encodeCaption(caption);
    const kept = capWords(ids, WORDS_AT_GENERATION, 'truncate');
    return { caption, ids: kept, tokens: vocabulary.decode(kept), unknownWords: unknown };
  });
}

function intOption(name: string, value: unknown, fallback: number, min: number, max: number): number {
  return value === undefined ? fallback : checkInt(name, value, min, max);
}

function boolOption(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalidArg(name, 'a boolean', value);
  return value;
}

/** Options shared by generate and interpolate, checked, with their defaults. */
export interface SampleSettings {
  conditioningNoise: boolean;
  describe: DescribeOptions | null;
  tensors: boolean;
  batchSize: number;
}

export function sampleSettings(options: Omit<GenerateOptions, 'n' | 'seed' | 'sharedNoise'>): SampleSettings {
  if (options === null || typeof options !== 'object') throw invalidArg('options', 'an options object', options);
  const d = options.describe;
  if (d !== undefined && typeof d !== 'boolean' && (d === null || typeof d !== 'object')) throw invalidArg('options.describe', 'a boolean or decoding options', d);
  return {
    conditioningNoise: boolOption('options.conditioningNoise', options.conditioningNoise, true),
    describe: d === true ? {} : d ? { ...d } : null,
    tensors: boolOption('options.tensors', options.tensors, false),
    batchSize: intOption('options.batchSize', options.batchSize, DEFAULT_BATCH_SIZE, 1, 1024),
  };
}

/** The seed of every sample of `generate` (caption-major), checked against the seed range. */
export function sampleSeeds(options: GenerateOptions, captions: number): { n: number; seeds: number[][] } {
  const n = intOption('options.n', options.n, 1, 1, MAX_SAMPLES);
  const shared = boolOption('options.sharedNoise', options.sharedNoise, false);
  const seed = options.seed === undefined ? 0 : checkSeed('options.seed', options.seed, shared ? n : captions * n);
  const seeds = Array.from({ length: captions }, (_, i) => Array.from({ length: n }, (_, j) => seed + (shared ? j : i * n + j)));
  return { n, seeds };
}

/** What one image is besides its pixels. */
export interface ImageMeta {
  caption: string;
  tokens: string[];
  unknownWords: string[];
  seed: number | null;
}

/** A generated image from its synthesis result: PNGs of every stage, attention per token, tensors on request. */
export async function assembleImage(meta: ImageMeta, result: SynthesisResult, sizes: number[], settings: SampleSettings, description?: string): Promise<Omit<GeneratedImage, 'seed'> & { seed: number | null }> {
  const stages: StageImage[] = await Promise.all(result.stages.map(async (chw, k) => {
    const size = sizes[k] as number;
    const stage: StageImage = { size, png: await chwToPng(chw, size) };
    if (settings.tensors) stage.tensor = tensor(chw, [3, size, size]);
    return stage;
  }));
  const attention = result.attention.map((flat, k): WordAttention => {
    const size = sizes[k] as number;
    const plane = size * size;
    const T = flat.length / plane;
    return { stage: k + 2, size, maps: Array.from({ length: T }, (_, t) => flat.slice(t * plane, (t + 1) * plane)) };
  });
  const last = stages[stages.length - 1] as StageImage;
  return {
    caption: meta.caption, tokens: meta.tokens, unknownWords: meta.unknownWords, seed: meta.seed,
    size: last.size, png: last.png, stages, attention,
    ...(description !== undefined ? { description } : {}),
  };
}
