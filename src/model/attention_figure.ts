// SPDX-License-Identifier: MIT
/**
 * AttnGAN-style attention figures (AttnGAN utils.py build_super_images): for each attention
 * stage, the stage's image and then the same image under one heat map per word, each map
 * normalised by its maximum as upstream does, the words written above their columns. Labels are
 * SVG text composited by sharp (librsvg, system fonts).
 */
import sharp from 'sharp';
import { checkInt, invalidArg } from '../../lib/errors.js';
import type { GeneratedImage, InterpolationFrame } from './generation.js';

/** What the figure functions read of a generated image. */
export type AttendedImage = Pick<GeneratedImage | InterpolationFrame, 'tokens' | 'stages' | 'attention' | 'caption'>;

/** One word's heat map over the image. */
export interface WordOverlay {
  token: string;
  /** (cell x cell) PNG: the stage's image under the word's attention. */
  png: Buffer;
}

/** Share of the heat map in an overlay pixel. */
const HEAT_ALPHA = 0.55;
/** Height of the word labels' row and width of the stage labels' column, in pixels. */
const LABEL_ROW = 24;
const LABEL_COLUMN = 64;
const GAP = 2;

/** The jet colour map at x in [0, 1] (as matplotlib's, piecewise linear). */
function jet(x: number): [number, number, number] {
  const c = (v: number): number => Math.round(255 * Math.max(0, Math.min(1, v)));
  return [c(1.5 - Math.abs(4 * x - 3)), c(1.5 - Math.abs(4 * x - 2)), c(1.5 - Math.abs(4 * x - 1))];
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[ch] as string);
}

/** Default cell side: the image's own size, kept between 128 and 256 px so words stay readable. */
function cellFor(image: AttendedImage, cell?: number): number {
  if (cell === undefined) return Math.min(256, Math.max(128, image.stages[image.stages.length - 1]?.size ?? 128));
  return checkInt('options.cell', cell, 32, 1024);
}

/** The attention of stage `stage` (default: the last one), or an error naming why there is none. */
function attentionOf(image: AttendedImage, stage?: number) {
  if (image.attention.length === 0) throw invalidArg('image', 'an image of a model with two or more stages (a one-stage model has no word attention)', image.caption);
  const att = stage === undefined ? image.attention[image.attention.length - 1] : image.attention.find((a) => a.stage === stage);
  if (!att) throw invalidArg('options.stage', `one of the stages ${image.attention.map((a) => a.stage).join(', ')}`, stage);
  return att;
}

/**
 * One heat-map overlay per token of `image` for one attention stage (default: the last): the
 * image that stage produced, resized to `cell`, under the word's map.
 */
export async function attentionOverlays(image: AttendedImage, options: { stage?: number; cell?: number } = {}): Promise<WordOverlay[]> {
  const att = attentionOf(image, options.stage);
  const cell = cellFor(image, options.cell);
  const picture = image.stages[att.stage - 1];
  if (!picture) throw invalidArg('image', `the image of stage ${att.stage}`, image.caption);
  const base = await sharp(picture.png).resize(cell, cell, { kernel: 'linear' }).removeAlpha().raw().toBuffer();
  return Promise.all(image.tokens.map(async (token, t) => {
    const map = att.maps[t] as Float32Array;
    let max = 0;
    for (const v of map) max = Math.max(max, v);
    const gray = Buffer.alloc(map.length);
    for (let i = 0; i < map.length; i++) gray[i] = max > 0 ? Math.round((255 * (map[i] as number)) / max) : 0;
    const heat = await sharp(gray, { raw: { width: att.size, height: att.size, channels: 1 } }).resize(cell, cell, { kernel: 'linear' }).raw().toBuffer();
    const rgb = Buffer.alloc(cell * cell * 3);
    for (let i = 0; i < cell * cell; i++) {
      const colour = jet((heat[i] as number) / 255);
      for (let ch = 0; ch < 3; ch++) rgb[i * 3 + ch] = Math.round((1 - HEAT_ALPHA) * (base[i * 3 + ch] as number) + HEAT_ALPHA * colour[ch]!);
    }
    return { token, png: await sharp(rgb, { raw: { width: cell, height: cell, channels: 3 } }).png().toBuffer() };
  }));
}

/**
 * The AttnGAN-style figure of one generated image as PNG: one row per attention stage (its
 * image, then one labelled heat map per word), the words above the columns and each row's
 * image size at its left.
 */
export async function attentionFigure(image: AttendedImage, options: { cell?: number } = {}): Promise<Buffer> {
  const cell = cellFor(image, options.cell);
  attentionOf(image);
  const rows = await Promise.all(image.attention.map(async (att) => ({
    stage: att.stage,
    picture: await sharp((image.stages[att.stage - 1] as { png: Buffer }).png).resize(cell, cell, { kernel: 'linear' }).png().toBuffer(),
    overlays: await attentionOverlays(image, { stage: att.stage, cell }),
  })));
  const cols = 1 + image.tokens.length;
  const width = LABEL_COLUMN + cols * (cell + GAP) + GAP;
  const height = LABEL_ROW + rows.length * (cell + GAP) + GAP;
  const left = (c: number): number => LABEL_COLUMN + GAP + c * (cell + GAP);
  const top = (r: number): number => LABEL_ROW + GAP + r * (cell + GAP);
  const maxChars = Math.max(3, Math.floor(cell / 8));
  const label = (text: string, x: number, y: number, anchor = 'middle'): string =>
    `<text x="${x}" y="${y}" text-anchor="${anchor}" font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif" font-size="14" fill="#222">${escapeXml(text.length > maxChars ? `${text.slice(0, maxChars - 1)}…` : text)}</text>`;
  const texts = [
    label('image', left(0) + cell / 2, 17),
    ...image.tokens.map((w, t) => label(w, left(t + 1) + cell / 2, 17)),
    ...rows.map((r, i) => label(`${image.stages[r.stage - 1]?.size ?? ''} px`, LABEL_COLUMN - 6, top(i) + cell / 2 + 5, 'end')),
  ];
  const svg = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${texts.join('')}</svg>`);
  return sharp({ create: { width, height, channels: 3, background: '#ffffff' } })
    .composite([
      ...rows.flatMap((r, i) => [
        { input: r.picture, left: left(0), top: top(i) },
        ...r.overlays.map((o, t) => ({ input: o.png, left: left(t + 1), top: top(i) })),
      ]),
      { input: svg, left: 0, top: 0 },
    ])
    .png().toBuffer();
}
