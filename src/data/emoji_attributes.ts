// SPDX-License-Identifier: MIT
/**
 * What an emoji looks like, read from its pixels: the outline shape of its silhouette (circle,
 * square, heart, diamond, or none) and the name of its main fill colour.
 *
 * Why: OpenMoji's names rarely say what a picture looks like. Of the 1,777 training emoji of the
 * cpu preset, "circle" is in the captions of 11 and "square" in those of 18, although 180 faces
 * are yellow circles and 150 buttons, frames and documents are squares; a text encoder and a
 * generator trained on the names alone never learn what "circle" or "square" look like
 * (README › What the default run reaches). {@link attributeCaptions} turns the measured attributes into captions
 * ("yellow circle", "a yellow circle emoji of grinning face") that the built-in dataset adds to
 * the metadata captions.
 *
 * Method (deterministic, no learned parts): pixels not reachable from the border through white
 * are the silhouette (so white interiors count); it is resampled onto its own bounding box and
 * compared (IoU) with analytic masks of each shape. Colour: every silhouette pixel takes the
 * nearest OpenMoji palette colour; pure black is the outline and does not vote, OpenMoji's
 * "black" fill (#3F3F3F) does.
 */
import { invalidArg } from '../../lib/errors.js';
import type { RgbImage } from './types.js';

/** Outline shapes the describer recognises. */
// Triangles and stars are left out: their thin tips are drawn rounded, so no fixed mask fits
// OpenMoji's own red triangle or star well (IoU 0.83), and they are 6 emoji.
export const EMOJI_SHAPES = ['circle', 'square', 'heart', 'diamond'] as const;
/** One recognised outline shape. */
export type EmojiShape = (typeof EMOJI_SHAPES)[number];

/**
 * The OpenMoji colour palette (openmoji.org › Styleguide) by colour word. Grey #3F3F3F is the
 * fill OpenMoji uses for "black" things (black circle, black heart), so it is named black here.
 */
export const OPENMOJI_PALETTE: Readonly<Record<string, readonly string[]>> = {
  red: ['EA5A47', 'D22F27'],
  orange: ['F4AA41', 'E27022'],
  yellow: ['FCEA2B', 'F1B31C'],
  green: ['B1CC33', '5C9E31'],
  blue: ['92D3F5', '61B2E4', '1E50A0'],
  purple: ['B399C8', '8967AA'],
  pink: ['FFA7C0', 'E67A94'],
  brown: ['A57939', '6A462F'],
  white: ['FFFFFF'],
  grey: ['D0CFCE', '9B9B9A'],
  black: ['3F3F3F'],
};

/** What {@link describeEmoji} measured. */
export interface EmojiAttributes {
  /** Outline shape, or `null` when no shape mask fits well enough. */
  shape: EmojiShape | null;
  /** IoU of the best-fitting shape mask (0–1), also when below the threshold. */
  shapeFit: number;
  /** Main fill colour word (a key of {@link OPENMOJI_PALETTE}). */
  colour: string;
  /** Share of the non-outline silhouette pixels that have that colour (0–1). */
  colourShare: number;
}

/** Options of {@link describeEmoji}. */
export interface DescribeOptions {
  /** Minimum IoU with a shape mask to name the shape (default 0.9; a disc vs a square is 0.79). */
  minShapeFit?: number;
  /** Channel value above which a pixel counts as background white (default 245). */
  whiteLevel?: number;
}

/** Grid on which silhouettes and shape masks are compared. */
const GRID = 32;
/** Supersampling per grid cell when drawing the analytic masks. */
const SUPER = 4;

type Point = readonly [number, number];

function insidePolygon(x: number, y: number, poly: readonly Point[]): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i] as Point;
    const [xj, yj] = poly[j] as Point;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Scales a polygon so its bounding box is the unit square (masks are compared bbox to bbox). */
function toUnitBox(poly: Point[]): Point[] {
  const xs = poly.map((p) => p[0]);
  const ys = poly.map((p) => p[1]);
  const x0 = Math.min(...xs);
  const y0 = Math.min(...ys);
  const w = Math.max(...xs) - x0;
  const h = Math.max(...ys) - y0;
  return poly.map(([x, y]) => [(x - x0) / w, (y - y0) / h]);
}

function maskOf(inside: (x: number, y: number) => boolean): Uint8Array {
  const m = new Uint8Array(GRID * GRID);
  for (let j = 0; j < GRID; j++) {
    for (let i = 0; i < GRID; i++) {
      let hits = 0;
      for (let v = 0; v < SUPER; v++) {
        for (let u = 0; u < SUPER; u++) {
          if (inside((i + (u + 0.5) / SUPER) / GRID, (j + (v + 0.5) / SUPER) / GRID)) hits++;
        }
      }
      m[j * GRID + i] = hits * 2 >= SUPER * SUPER ? 1 : 0;
    }
  }
  return m;
}

/** Analytic masks of each shape, filling the unit box, y down. */
function shapeMasks(): Record<EmojiShape, Uint8Array> {
  const heart: Point[] = [];
  for (let k = 0; k < 256; k++) {
    const t = (2 * Math.PI * k) / 256;
    // The classic heart curve; y flipped so the point is at the bottom.
    heart.push([16 * Math.sin(t) ** 3, -(13 * Math.cos(t) - 5 * Math.cos(2 * t) - 2 * Math.cos(3 * t) - Math.cos(4 * t))]);
  }
  const polygon = (p: Point[]) => {
    const unit = toUnitBox(p);
    return maskOf((x, y) => insidePolygon(x, y, unit));
  };
  return {
    circle: maskOf((x, y) => (x - 0.5) ** 2 + (y - 0.5) ** 2 <= 0.25),
    square: maskOf(() => true),
    heart: polygon(heart),
    diamond: polygon([[0.5, 0], [1, 0.5], [0.5, 1], [0, 0.5]]),
  };
}

let masks: Record<EmojiShape, Uint8Array> | null = null;

const PALETTE: readonly { name: string; r: number; g: number; b: number }[] = Object.entries(OPENMOJI_PALETTE).flatMap(([name, hexes]) =>
  hexes.map((h) => ({ name, r: parseInt(h.slice(0, 2), 16), g: parseInt(h.slice(2, 4), 16), b: parseInt(h.slice(4, 6), 16) })),
);

/** Colours a recoloured variant may take: the probe's eight. */
export const RECOLOUR_TARGETS: readonly string[] = ['red', 'orange', 'yellow', 'green', 'blue', 'purple', 'brown', 'black'];

/** Index of the palette entry nearest to an RGB value, or -1 for the outline black. */
function nearestColour(r: number, g: number, b: number): number {
  let best = -1;
  let bestD = r * r + g * g + b * b;  // distance to pure black, the outline
  PALETTE.forEach((p, i) => {
    const d = (r - p.r) ** 2 + (g - p.g) ** 2 + (b - p.b) ** 2;
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  });
  return best;
}

/**
 * Measures an emoji drawn on white: its outline shape and main colour. Returns `null` for an
 * all-white image.
 */
export function describeEmoji(image: RgbImage, options: DescribeOptions = {}): EmojiAttributes | null {
  const { data, width: W, height: H } = image;
  if (data.length !== W * H * 3) throw new RangeError(`RGB image of ${W}x${H} needs ${W * H * 3} bytes, got ${data.length}`);
  const level = options.whiteLevel ?? 245;
  const minFit = options.minShapeFit ?? 0.9;
  const isWhite = (p: number) => (data[3 * p] as number) > level && (data[3 * p + 1] as number) > level && (data[3 * p + 2] as number) > level;

  // Background = white pixels connected to the border; everything else is the silhouette.
  const bg = new Uint8Array(W * H);
  const stack: number[] = [];
  for (let x = 0; x < W; x++) stack.push(x, (H - 1) * W + x);
  for (let y = 0; y < H; y++) stack.push(y * W, y * W + W - 1);
  while (stack.length > 0) {
    const p = stack.pop() as number;
    if (bg[p] || !isWhite(p)) continue;
    bg[p] = 1;
    const x = p % W;
    if (x > 0) stack.push(p - 1);
    if (x < W - 1) stack.push(p + 1);
    if (p >= W) stack.push(p - W);
    if (p < (H - 1) * W) stack.push(p + W);
  }

  let x0 = W, x1 = -1, y0 = H, y1 = -1;
  const votes = new Float64Array(PALETTE.length);
  let outline = 0;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const p = y * W + x;
      if (bg[p]) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      const c = nearestColour(data[3 * p] as number, data[3 * p + 1] as number, data[3 * p + 2] as number);
      if (c < 0) outline++;
      else votes[c] = (votes[c] as number) + 1;
    }
  }
  if (x1 < 0) return null;

  const byName = new Map<string, number>();
  PALETTE.forEach((p, i) => byName.set(p.name, (byName.get(p.name) ?? 0) + (votes[i] as number)));
  const filled = [...byName.values()].reduce((a, b) => a + b, 0);
  let colour = 'black';
  let colourShare = 1;
  if (filled > 0) {
    const [name, n] = [...byName.entries()].reduce((a, b) => (b[1] > a[1] ? b : a));
    colour = name;
    colourShare = n / filled;
  } else if (outline === 0) {
    return null;
  }

  // Silhouette resampled onto its bounding box (majority per cell).
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const sil = new Uint8Array(GRID * GRID);
  for (let j = 0; j < GRID; j++) {
    const ya = y0 + Math.floor((j * bh) / GRID);
    const yb = Math.max(ya + 1, y0 + Math.floor(((j + 1) * bh) / GRID));
    for (let i = 0; i < GRID; i++) {
      const xa = x0 + Math.floor((i * bw) / GRID);
      const xb = Math.max(xa + 1, x0 + Math.floor(((i + 1) * bw) / GRID));
      let inside = 0;
      for (let y = ya; y < yb; y++) for (let x = xa; x < xb; x++) inside += bg[y * W + x] ? 0 : 1;
      sil[j * GRID + i] = inside * 2 >= (yb - ya) * (xb - xa) ? 1 : 0;
    }
  }
  masks ??= shapeMasks();
  let shape: EmojiShape | null = null;
  let shapeFit = 0;
  for (const s of EMOJI_SHAPES) {
    const m = masks[s];
    let inter = 0;
    let union = 0;
    for (let k = 0; k < sil.length; k++) {
      inter += sil[k] & (m[k] as number);
      union += sil[k] | (m[k] as number);
    }
    const fit = union > 0 ? inter / union : 0;
    if (fit > shapeFit) {
      shapeFit = fit;
      shape = s;
    }
  }
  // Masks are compared bbox to bbox, so an ellipse would pass as a circle: ask for a near-square box.
  const squareBox = Math.abs(Math.log(bw / bh)) < 0.2;
  return { shape: shapeFit >= minFit && squareBox ? shape : null, shapeFit, colour, colourShare };
}

/**
 * Captions from measured attributes for an emoji called `name`: with a shape,
 * `"<colour> <shape>"` and `"a <colour> <shape> emoji of <name>"`; without one,
 * `"a <colour> emoji of <name>"` ("an" before a vowel).
 */
export function attributeCaptions(name: string, attributes: EmojiAttributes): string[] {
  const { colour, shape } = attributes;
  const a = /^[aeiou]/.test(colour) ? 'an' : 'a';
  if (shape) return [`${colour} ${shape}`, `${a} ${colour} ${shape} emoji of ${name}`];
  return [`${a} ${colour} emoji of ${name}`];
}

/** Whether a name says a colour ("red heart"): a recoloured copy must not keep it. */
export function namesColour(name: string): boolean {
  return name.toLowerCase().split(/[^a-z]+/).some((w) => Object.hasOwn(OPENMOJI_PALETTE, w));
}

/**
 * The same emoji with its `from` colour repainted as `to` (both keys of {@link OPENMOJI_PALETTE}):
 * every pixel whose nearest palette colour belongs to `from` moves to the entry of `to` at the
 * same relative shade (light stays light), keeping its offset from that entry so shading and
 * anti-aliasing survive. Outline, background and other colours are untouched. Used to make
 * recoloured training variants: in OpenMoji colour and shape go together (circles are yellow
 * faces, squares blue buttons), and a model that never sees a red square cannot learn that
 * "red" and "square" combine.
 */
export function recolourEmoji(image: RgbImage, from: string, to: string): RgbImage {
  const src = OPENMOJI_PALETTE[from];
  const dst = OPENMOJI_PALETTE[to];
  if (!src || !dst) throw invalidArg(src ? 'to' : 'from', `a palette colour (${Object.keys(OPENMOJI_PALETTE).join(', ')})`, src ? to : from);
  // Palette index → offset to the replacement colour, for the entries of `from`.
  const dstEntries = PALETTE.filter((p) => p.name === to);
  const shift = new Map<number, readonly [number, number, number]>();
  PALETTE.forEach((a, i) => {
    if (a.name !== from) return;
    const r = shift.size;  // shade rank within `from`, light first
    const b = dstEntries[src.length > 1 ? Math.round((r * (dst.length - 1)) / (src.length - 1)) : dst.length - 1]!;
    shift.set(i, [b.r - a.r, b.g - a.g, b.b - a.b]);
  });
  const out = new Uint8Array(image.data);
  for (let p = 0; p < image.width * image.height; p++) {
    const d = shift.get(nearestColour(out[3 * p] as number, out[3 * p + 1] as number, out[3 * p + 2] as number));
    if (!d) continue;
    for (let c = 0; c < 3; c++) out[3 * p + c] = Math.max(0, Math.min(255, (out[3 * p + c] as number) + d[c]!));
  }
  return { data: out, width: image.width, height: image.height };
}
