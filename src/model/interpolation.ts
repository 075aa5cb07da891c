// SPDX-License-Identifier: MIT
/**
 * The rows of `MirrorGAN.interpolate`: frames between two captions or between two seeds.
 *
 * Between captions, the noise stays and STEM's features move in a straight line: the sentence
 * feature, and the word features position by position (the shorter caption padded with zero
 * features). Inside the path a position is padding only where both captions have padding, so
 * the longer caption's extra words fade in through zero features; the two end frames use each
 * caption's own features and mask, i.e. they are the captions' own images.
 *
 * Between seeds, the caption stays and z and ε move along the great circle between the two
 * seeds' noise (slerp, noise.ts); the end frames are the seeds' own images.
 */
import { checkInt, invalidArg } from '../../lib/errors.js';
import { parseCaptions, type ImageMeta, type SampleSettings } from './generation.js';
import { lerp, sampleNoise, slerp } from './noise.js';
import { encodeText, type SynthesisModules, type SynthesisRow, type TextFeatures } from './synthesis.js';
import type { Vocabulary } from '../text/vocabulary.js';
import type { DescribeOptions } from './describe.js';

/** Options of `MirrorGAN.interpolate`: `captions` (+ `seed`) or `caption` + `seeds`. */
export interface InterpolateOptions {
  /** Two captions to move between, with one noise (`seed`). */
  captions?: readonly [string, string];
  /** One caption, moved between the noise of two `seeds`. */
  caption?: string;
  /** Seed of the noise between two captions. Default: 0. */
  seed?: number;
  /** The two seeds to move between with one caption. */
  seeds?: readonly [number, number];
  /** Frames, both ends included. Default: 8. */
  steps?: number;
  /** As in generate. */
  conditioningNoise?: boolean;
  describe?: boolean | DescribeOptions;
  tensors?: boolean;
  batchSize?: number;
}

/** The most frames one call makes. */
export const MAX_STEPS = 256;

/** `features` with its word features zero-padded to T positions (padding marked in the mask). */
function padTo(f: TextFeatures, T: number): TextFeatures {
  const t0 = f.mask.length;
  if (t0 === T) return f;
  const D = f.sentence.length;
  const words = new Float32Array(D * T);
  for (let d = 0; d < D; d++) words.set(f.words.subarray(d * t0, (d + 1) * t0), d * T);
  const mask = new Uint8Array(T).fill(1);
  mask.set(f.mask);
  return { ids: f.ids, sentence: f.sentence, words, mask };
}

/** Labels of each position of a frame between captions: the word, or `a/b` where they differ (∅ = padding). */
function mixedTokens(a: string[], b: string[]): string[] {
  return Array.from({ length: Math.max(a.length, b.length) }, (_, p) => (a[p] === b[p] ? (a[p] as string) : `${a[p] ?? '∅'}/${b[p] ?? '∅'}`));
}

function positions(steps: number): number[] {
  return Array.from({ length: steps }, (_, k) => k / (steps - 1));
}

/** The rows and image descriptions of every frame, both ends included. */
export async function interpolationRows(
  m: SynthesisModules & { vocabulary: Vocabulary },
  options: InterpolateOptions,
  settings: SampleSettings,
): Promise<{ rows: SynthesisRow[]; metas: (ImageMeta & { t: number })[] }> {
  if (options === null || typeof options !== 'object') throw invalidArg('options', 'interpolation options', options);
  const steps = options.steps ?? 8;
  checkInt('options.steps', steps, 2, MAX_STEPS);
  const { zDim, cDim } = m.generator.options;
  const ts = positions(steps);
  if (options.captions !== undefined) {
    if (options.caption !== undefined || options.seeds !== undefined) throw invalidArg('options', 'either captions (and seed) or caption and seeds', options);
    if (!Array.isArray(options.captions) || options.captions.length !== 2) throw invalidArg('options.captions', 'two captions', options.captions);
    const [pa, pb] = parseCaptions(m.vocabulary, options.captions);
    const seed = options.seed ?? 0;
    const noise = sampleNoise(seed, zDim, cDim);
    const [fa, fb] = await encodeText(m, [pa!.ids, pb!.ids], settings.batchSize);
    const T = Math.max(fa!.mask.length, fb!.mask.length);
    const [a, b] = [padTo(fa!, T), padTo(fb!, T)];
    const between = Uint8Array.from(a.mask, (v, p) => v & (b.mask[p] as number));
    const rows = ts.map((t): SynthesisRow => {
      const text: TextFeatures = t === 0 ? fa! : t === 1 ? fb! : { ids: [], sentence: lerp(a.sentence, b.sentence, t), words: lerp(a.words, b.words, t), mask: between };
      return { text, z: noise.z, eps: settings.conditioningNoise ? noise.eps : null };
    });
    const mixed = mixedTokens(pa!.tokens, pb!.tokens);
    const metas = ts.map((t) => {
      const end = t === 0 ? pa! : t === 1 ? pb! : null;
      return end
        ? { caption: end.caption, tokens: end.tokens, unknownWords: end.unknownWords, seed, t }
        : { caption: mixed.join(' '), tokens: mixed, unknownWords: [...new Set([...pa!.unknownWords, ...pb!.unknownWords])], seed, t };
    });
    return { rows, metas };
  }
  if (options.caption === undefined || options.seeds === undefined) throw invalidArg('options', 'captions (two), or a caption and seeds (two)', options);
  if (!Array.isArray(options.seeds) || options.seeds.length !== 2) throw invalidArg('options.seeds', 'two seeds', options.seeds);
  const [p] = parseCaptions(m.vocabulary, options.caption);
  const [sa, sb] = options.seeds;
  const [na, nb] = [sampleNoise(sa, zDim, cDim), sampleNoise(sb, zDim, cDim)];
  const [text] = await encodeText(m, [p!.ids], settings.batchSize);
  const rows = ts.map((t): SynthesisRow => ({
    text: text!, z: slerp(na.z, nb.z, t), eps: settings.conditioningNoise ? slerp(na.eps, nb.eps, t) : null,
  }));
  const metas = ts.map((t) => ({ caption: p!.caption, tokens: p!.tokens, unknownWords: p!.unknownWords, seed: t === 0 ? sa : t === 1 ? sb : null, t }));
  return { rows, metas };
}
