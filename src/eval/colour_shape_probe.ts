// SPDX-License-Identifier: MIT
/**
 * The colour × shape probe for runs on the built-in OpenMoji set: 8 colours × 3 shapes
 * ("red circle" … "black heart", 24 captions that are all OpenMoji annotations), each generated
 * image scored against the real emoji of the same captions, rendered the way training sees them.
 *
 * - colour: the mean colour of the image's foreground (pixels clearly off white) is nearest to
 *   one of the asked colour's reference means, among the 24 references;
 * - shape: the foreground mask overlaps (IoU) one of the asked shape's 8 reference masks more
 *   than any circle, square or heart of another shape.
 *
 * The real emoji score 24 / 24 on both (a test checks it); chance is 3 / 24 for colour and
 * 8 / 24 for shape. It is a crude, reproducible check of "does the sample follow the caption's
 * colour and shape", not an image-quality metric.
 */
import { join } from 'node:path';
import sharp from 'sharp';
import { invalidArg } from '../../lib/errors.js';
import { openMojiPackageDir } from '../data/openmoji.js';

export const PROBE_COLOURS = ['red', 'orange', 'yellow', 'green', 'blue', 'purple', 'brown', 'black'] as const;
export const PROBE_SHAPES = ['circle', 'square', 'heart'] as const;
export type ProbeColour = (typeof PROBE_COLOURS)[number];
export type ProbeShape = (typeof PROBE_SHAPES)[number];

/** OpenMoji hexcodes of the reference emoji, per shape, in {@link PROBE_COLOURS} order. */
const HEXCODES: Record<ProbeShape, readonly string[]> = {
  circle: ['1F534', '1F7E0', '1F7E1', '1F7E2', '1F535', '1F7E3', '1F7E4', '26AB'],
  square: ['1F7E5', '1F7E7', '1F7E8', '1F7E9', '1F7E6', '1F7EA', '1F7EB', '2B1B'],
  heart: ['2764', '1F9E1', '1F49B', '1F49A', '1F499', '1F49C', '1F90E', '1F5A4'],
};

/** Side at which images are compared. */
const SIDE = 64;
/** A pixel is foreground when its summed distance from white (0–765) exceeds this. */
const FOREGROUND = 90;

/** One probe: its caption and what it asks for. */
export interface Probe {
  caption: string;
  colour: ProbeColour;
  shape: ProbeShape;
}

/** The 24 probes, shape-major: the 8 circles, then the squares, then the hearts. */
export function colourShapeProbes(): Probe[] {
  return PROBE_SHAPES.flatMap((shape) => PROBE_COLOURS.map((colour) => ({ caption: `${colour} ${shape}`, colour, shape })));
}

/** The 24 real reference emoji (SVG files of the `openmoji` package), in probe order. */
export function probeReferenceFiles(openmojiDir = openMojiPackageDir()): string[] {
  return PROBE_SHAPES.flatMap((shape) => HEXCODES[shape].map((h) => join(openmojiDir, 'color', 'svg', `${h}.svg`)));
}

interface Features {
  mask: Uint8Array;
  mean: [number, number, number];
}

function features(rgb: Uint8Array): Features {
  const mask = new Uint8Array(SIDE * SIDE);
  let r = 0, g = 0, b = 0, n = 0;
  for (let i = 0; i < SIDE * SIDE; i++) {
    const R = rgb[3 * i] as number, G = rgb[3 * i + 1] as number, B = rgb[3 * i + 2] as number;
    if (765 - R - G - B > FOREGROUND) {
      mask[i] = 1;
      r += R; g += G; b += B; n++;
    }
  }
  return { mask, mean: n > 0 ? [r / n, g / n, b / n] : [255, 255, 255] };
}

async function rgbAtSide(input: Buffer | string, svg: boolean): Promise<Uint8Array> {
  let img = sharp(input, svg ? { density: 200 } : {}).flatten({ background: '#ffffff' });
  if (svg) {
    // Training sees a 64/76 crop of each emoji (the cache keeps size·76/64); references do too.
    const big = SIDE * 4;
    const full = Math.round((big * 76) / 64);
    const off = Math.round((full - big) / 2);
    img = sharp(await img.resize(full, full).png().toBuffer()).extract({ left: off, top: off, width: big, height: big });
  }
  const { data } = await img.removeAlpha().resize(SIDE, SIDE).raw().toBuffer({ resolveWithObject: true });
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}

function iou(a: Uint8Array, b: Uint8Array): number {
  let inter = 0, union = 0;
  for (let k = 0; k < a.length; k++) {
    inter += (a[k] as number) & (b[k] as number);
    union += (a[k] as number) | (b[k] as number);
  }
  return union > 0 ? inter / union : 0;
}

/** The rendered reference emoji (load once, score many runs). */
export class ProbeReferences {
  private constructor(private readonly refs: Record<ProbeShape, Features[]>) {}

  /** Renders the 24 reference emoji from the `openmoji` package (or `openmojiDir`). */
  static async load(openmojiDir = openMojiPackageDir()): Promise<ProbeReferences> {
    const refs = {} as Record<ProbeShape, Features[]>;
    for (const shape of PROBE_SHAPES) {
      refs[shape] = await Promise.all(HEXCODES[shape].map(async (h) => features(await rgbAtSide(join(openmojiDir, 'color', 'svg', `${h}.svg`), true))));
    }
    return new ProbeReferences(refs);
  }

  /** Classifies one image (PNG or any format sharp reads) by colour and shape. */
  async classify(image: Buffer): Promise<{ colour: ProbeColour; shape: ProbeShape }> {
    const f = features(await rgbAtSide(image, false));
    let shape: ProbeShape = 'circle';
    let bestIou = -1;
    for (const s of PROBE_SHAPES) {
      for (const ref of this.refs[s]) {
        const v = iou(f.mask, ref.mask);
        if (v > bestIou) { bestIou = v; shape = s; }
      }
    }
    let colour: ProbeColour = 'red';
    let bestDist = Infinity;
    // Nearest reference mean over all three shapes: an outline's share of the mean differs by shape.
    PROBE_COLOURS.forEach((c, k) => {
      for (const s of PROBE_SHAPES) {
        const m = (this.refs[s][k] as Features).mean;
        const d = (m[0] - f.mean[0]) ** 2 + (m[1] - f.mean[1]) ** 2 + (m[2] - f.mean[2]) ** 2;
        if (d < bestDist) { bestDist = d; colour = c; }
      }
    });
    return { colour, shape };
  }
}

/** One scored image. */
export interface ProbeCell extends Probe {
  /** What the image looks like to the probe. */
  seenColour: ProbeColour;
  seenShape: ProbeShape;
}

export interface ProbeScore {
  cells: ProbeCell[];
  /** Images whose colour is the asked one (of `cells.length`; chance 1/8). */
  colourHits: number;
  /** Images whose shape is the asked one (chance 1/3). */
  shapeHits: number;
  /** Images right on both. */
  bothHits: number;
}

/** Scores `images[i]` against `probes[i]` (same length, e.g. `colourShapeProbes()`). */
export async function scoreColourShape(refs: ProbeReferences, probes: readonly Probe[], images: readonly Buffer[]): Promise<ProbeScore> {
  if (images.length !== probes.length) throw invalidArg('images', `${probes.length} images (one per probe)`, images.length);
  const cells: ProbeCell[] = [];
  for (let i = 0; i < probes.length; i++) {
    const seen = await refs.classify(images[i] as Buffer);
    cells.push({ ...(probes[i] as Probe), seenColour: seen.colour, seenShape: seen.shape });
  }
  const colourHits = cells.filter((c) => c.seenColour === c.colour).length;
  const shapeHits = cells.filter((c) => c.seenShape === c.shape).length;
  const bothHits = cells.filter((c) => c.seenColour === c.colour && c.seenShape === c.shape).length;
  return { cells, colourHits, shapeHits, bothHits };
}

/** A text table: one row per shape, one column per colour; `CS` = both right, `C.`/`.S` = one. */
export function formatProbeScore(score: ProbeScore): string {
  const head = `${''.padEnd(8)}${PROBE_COLOURS.map((c) => c.padEnd(8)).join('')}`.trimEnd();
  const rows = PROBE_SHAPES.map((s) => {
    const cells = PROBE_COLOURS.map((c) => {
      const cell = score.cells.find((x) => x.shape === s && x.colour === c);
      if (!cell) return ''.padEnd(8);
      const mark = `${cell.seenColour === c ? 'C' : '.'}${cell.seenShape === s ? 'S' : '.'}`;
      return `${mark} ${cell.seenShape === s ? '' : cell.seenShape[0]}`.padEnd(8);
    }).join('');
    return `${s.padEnd(8)}${cells}`.trimEnd();
  });
  const n = score.cells.length;
  return [head, ...rows, `colour ${score.colourHits}/${n} (chance ${n / 8}), shape ${score.shapeHits}/${n} (chance ${n / 3}), both ${score.bothHits}/${n}`].join('\n');
}

/** Hits of one kind over several probe runs (e.g. noise seeds). */
export interface ProbeHitStats {
  mean: number;
  min: number;
  max: number;
}

/** Several probe runs of the same model: one seed's 24 samples are too few to tell 10 shapes from chance's 8. */
export interface ProbeSummary {
  runs: number;
  /** Of this many images per run. */
  perRun: number;
  colour: ProbeHitStats;
  shape: ProbeHitStats;
  both: ProbeHitStats;
}

export function summariseProbeScores(scores: readonly ProbeScore[]): ProbeSummary {
  if (scores.length === 0) throw invalidArg('scores', 'at least one probe score', 0);
  const perRun = (scores[0] as ProbeScore).cells.length;
  if (scores.some((s) => s.cells.length !== perRun)) throw invalidArg('scores', `scores of ${perRun} images each`, scores.map((s) => s.cells.length).join(', '));
  const stats = (hits: number[]): ProbeHitStats => ({ mean: hits.reduce((a, b) => a + b, 0) / hits.length, min: Math.min(...hits), max: Math.max(...hits) });
  return {
    runs: scores.length, perRun,
    colour: stats(scores.map((s) => s.colourHits)),
    shape: stats(scores.map((s) => s.shapeHits)),
    both: stats(scores.map((s) => s.bothHits)),
  };
}

/**
 * Runs the probe on a generator: the 24 captions under noise seeds `seed`, `seed + 1`, …, all 24
 * of a seed from the same noise (as `mirrorgan probe` draws them, one caption per call), each image
 * scored against the real emoji. `generate` returns one PNG per caption for a seed, every caption
 * under that seed's one noise (e.g. `MirrorGAN.generate` with `sharedNoise`).
 */
export async function runColourShapeProbe(
  generate: (captions: string[], seed: number) => Promise<Buffer[]>, options: { seed?: number; seeds?: number; refs?: ProbeReferences } = {},
): Promise<{ summary: ProbeSummary; scores: ProbeScore[] }> {
  const first = options.seed ?? 1;
  const seeds = options.seeds ?? 8;
  if (!Number.isInteger(seeds) || seeds < 1) throw invalidArg('seeds', 'a positive integer', seeds);
  const refs = options.refs ?? (await ProbeReferences.load());
  const probes = colourShapeProbes();
  const scores: ProbeScore[] = [];
  for (let s = first; s < first + seeds; s++) scores.push(await scoreColourShape(refs, probes, await generate(probes.map((p) => p.caption), s)));
  return { summary: summariseProbeScores(scores), scores };
}

/** One line: mean hits per kind, with their range and chance. */
export function formatProbeSummary(s: ProbeSummary): string {
  const f = (h: ProbeHitStats, chance?: number) =>
    `${h.mean.toFixed(1)}/${s.perRun} (${h.min}–${h.max}${chance === undefined ? '' : `, chance ${chance}`})`;
  return `mean of ${s.runs} seed${s.runs === 1 ? '' : 's'}: colour ${f(s.colour, s.perRun / 8)}, shape ${f(s.shape, s.perRun / 3)}, both ${f(s.both)}`;
}

/**
 * How much the caption, rather than the noise, decides where the foreground is. Needs the 24
 * probes generated per seed with the *same* noise for every caption (one caption per call).
 */
export interface ProbeLayout {
  /** Mean mask IoU between one colour's circle, square and heart under the same noise. */
  otherShapeWord: number;
  /** Mean mask IoU between one caption's images under two different seeds; null with one seed. */
  otherNoise: number | null;
}

/**
 * `imagesBySeed[s][i]` answers `probes[i]` under seed s, all 24 of a seed from the same noise.
 * A generator whose layout follows the shape word has `otherShapeWord` well below `otherNoise`;
 * one that ignores it has `otherShapeWord` near 1.
 */
export async function probeLayout(probes: readonly Probe[], imagesBySeed: readonly (readonly Buffer[])[]): Promise<ProbeLayout> {
  if (imagesBySeed.length === 0) throw invalidArg('imagesBySeed', 'at least one seed', 0);
  const masks: Uint8Array[][] = [];
  for (const images of imagesBySeed) {
    if (images.length !== probes.length) throw invalidArg('imagesBySeed', `${probes.length} images per seed (one per probe)`, images.length);
    masks.push(await Promise.all(images.map(async (img) => features(await rgbAtSide(img, false)).mask)));
  }
  const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;
  const shapePairs: number[] = [];
  const noisePairs: number[] = [];
  for (let i = 0; i < probes.length; i++) {
    for (let j = i + 1; j < probes.length; j++) {
      const [p, q] = [probes[i] as Probe, probes[j] as Probe];
      if (p.colour !== q.colour) continue;
      for (const m of masks) shapePairs.push(iou(m[i] as Uint8Array, m[j] as Uint8Array));
    }
    for (let s = 0; s < masks.length; s++) {
      for (let t = s + 1; t < masks.length; t++) noisePairs.push(iou((masks[s] as Uint8Array[])[i] as Uint8Array, (masks[t] as Uint8Array[])[i] as Uint8Array));
    }
  }
  return { otherShapeWord: mean(shapePairs), otherNoise: noisePairs.length > 0 ? mean(noisePairs) : null };
}

/** One line for {@link probeLayout}. */
export function formatProbeLayout(l: ProbeLayout): string {
  return `layout (foreground mask IoU): same noise, other shape word ${l.otherShapeWord.toFixed(2)}` +
    (l.otherNoise === null ? '' : `; same caption, other seed ${l.otherNoise.toFixed(2)}`) +
    ' (a layout that follows the shape word has the first well below the second)';
}

/**
 * Whether the text encoder itself tells the probe captions apart: the generator cannot follow a
 * word whose sentence feature barely changes. Mean cosine similarity of the sentence features of
 * one colour's three shapes ("red circle" / "red square"), and of one shape's eight colours.
 */
export interface ProbeTextSeparation {
  /** Mean cosine between captions of the same colour and another shape. */
  otherShape: number;
  /** Mean cosine between captions of the same shape and another colour. */
  otherColour: number;
}

/** `features[i]` is the sentence feature of `probes[i]` (e.g. `MirrorGAN.sentenceFeatures`). */
export function probeTextSeparation(probes: readonly Probe[], features: readonly Float32Array[]): ProbeTextSeparation {
  if (features.length !== probes.length) throw invalidArg('features', `${probes.length} sentence features (one per probe)`, features.length);
  const cos = (a: Float32Array, b: Float32Array): number => {
    let ab = 0, aa = 0, bb = 0;
    for (let k = 0; k < a.length; k++) {
      ab += (a[k] as number) * (b[k] as number);
      aa += (a[k] as number) ** 2;
      bb += (b[k] as number) ** 2;
    }
    return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
  };
  const shape: number[] = [];
  const colour: number[] = [];
  for (let i = 0; i < probes.length; i++) {
    for (let j = i + 1; j < probes.length; j++) {
      const [p, q] = [probes[i] as Probe, probes[j] as Probe];
      const c = cos(features[i] as Float32Array, features[j] as Float32Array);
      if (p.colour === q.colour && p.shape !== q.shape) shape.push(c);
      if (p.shape === q.shape && p.colour !== q.colour) colour.push(c);
    }
  }
  const mean = (x: number[]) => (x.length > 0 ? x.reduce((a, b) => a + b, 0) / x.length : Number.NaN);
  return { otherShape: mean(shape), otherColour: mean(colour) };
}

/** One line for {@link probeTextSeparation}. */
export function formatProbeTextSeparation(t: ProbeTextSeparation): string {
  return `text (STEM sentence-feature cosine): same colour, other shape ${t.otherShape.toFixed(2)}; same shape, other colour ${t.otherColour.toFixed(2)}` +
    ' (near 1 = the text encoder barely tells them apart)';
}

/**
 * How well a network that scores (image, caption) pairs — STREAM's caption cross-entropy,
 * DAMSM's sentence score — tells the probe captions apart on the *real* emoji. Training can
 * only ask the generator for what its guides can see: a captioner that gives "red circle" and
 * "red square" the same likelihood on a real red circle cannot push a sample towards either.
 */
export interface ProbeMatching {
  /** Real images whose own caption scores best among their colour's three shapes (chance 1/3). */
  shape: number;
  /** Real images whose own caption scores best among their shape's eight colours (chance 1/8). */
  colour: number;
  /** Number of images (24). */
  images: number;
}

/**
 * `scores[i][j]`: the score of caption `probes[j]` for the real emoji of `probes[i]` (e.g. from
 * `probeReferenceFiles`); `better` says which way is better (`lower` for a cross-entropy).
 * Ties count as misses.
 */
export function probeMatching(probes: readonly Probe[], scores: readonly ArrayLike<number>[], better: 'higher' | 'lower'): ProbeMatching {
  const n = probes.length;
  if (scores.length !== n || scores.some((r) => r.length !== n)) throw invalidArg('scores', `a ${n} x ${n} matrix (one row per real image, one column per caption)`, `${scores.length} rows`);
  const sign = better === 'higher' ? 1 : -1;
  const wins = (i: number, rivals: (p: Probe) => boolean): boolean => {
    const row = scores[i] as ArrayLike<number>;
    const own = sign * (row[i] as number);
    for (let j = 0; j < n; j++) if (j !== i && rivals(probes[j] as Probe) && !(own > sign * (row[j] as number))) return false;
    return Number.isFinite(own);
  };
  let shape = 0;
  let colour = 0;
  for (let i = 0; i < n; i++) {
    const p = probes[i] as Probe;
    if (wins(i, (q) => q.colour === p.colour && q.shape !== p.shape)) shape++;
    if (wins(i, (q) => q.shape === p.shape && q.colour !== p.colour)) colour++;
  }
  return { shape, colour, images: n };
}

/** One line for {@link probeMatching}, e.g. `redescription (STREAM, …): right shape 8/24 …`. */
export function formatProbeMatching(label: string, m: ProbeMatching): string {
  return `${label}: right shape ${m.shape}/${m.images} (chance ${m.images / 3}), right colour ${m.colour}/${m.images} (chance ${m.images / 8})`;
}
