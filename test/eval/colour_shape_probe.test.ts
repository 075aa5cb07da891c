// SPDX-License-Identifier: MIT
// The colour x shape probe: the real emoji pass it, swapped or blank images do not.
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  colourShapeProbes, formatProbeLayout, formatProbeMatching, formatProbeScore, formatProbeSummary, formatProbeTextSeparation, probeLayout, probeMatching,
  probeReferenceFiles, probeTextSeparation, ProbeReferences, scoreColourShape, summariseProbeScores,
} from '../../src/eval/colour_shape_probe.js';
import { openMojiPackageDir } from '../../src/data/index.js';

// The OpenMoji emoji of the 24 probe captions, shape-major in colour order.
const HEX = [
  '1F534', '1F7E0', '1F7E1', '1F7E2', '1F535', '1F7E3', '1F7E4', '26AB',
  '1F7E5', '1F7E7', '1F7E8', '1F7E9', '1F7E6', '1F7EA', '1F7EB', '2B1B',
  '2764', '1F9E1', '1F49B', '1F49A', '1F499', '1F49C', '1F90E', '1F5A4',
];

/** An emoji as a generator sample looks: 128 px, the centre of a 152 px render, white background. */
async function sample(hex: string): Promise<Buffer> {
  const full = await sharp(path.join(openMojiPackageDir(), 'color', 'svg', `${hex}.svg`), { density: 150 })
    .flatten({ background: '#ffffff' }).resize(152, 152).png().toBuffer();
  return sharp(full).extract({ left: 12, top: 12, width: 128, height: 128 }).png().toBuffer();
}

describe('colour x shape probe', () => {
  let refs: ProbeReferences;
  beforeAll(async () => { refs = await ProbeReferences.load(); });

  it('has 24 probes, shapes by colours', () => {
    const probes = colourShapeProbes();
    expect(probes).toHaveLength(24);
    expect(probes[0]).toEqual({ caption: 'red circle', colour: 'red', shape: 'circle' });
    expect(probes[23]).toEqual({ caption: 'black heart', colour: 'black', shape: 'heart' });
  });

  it('recognises the real emoji, and not the wrong ones', async () => {
    const probes = colourShapeProbes();
    const real = await Promise.all(HEX.map(sample));
    const right = await scoreColourShape(refs, probes, real);
    expect(right.shapeHits).toBe(probes.length);
    expect(right.colourHits).toBe(probes.length);
    expect(formatProbeScore(right)).toContain(`colour ${probes.length}/${probes.length}`);
    // Each caption paired with the emoji of another colour and another shape: no hits.
    const shifted = real.map((_, i) => real[(i + 9) % real.length] as Buffer);
    const wrong = await scoreColourShape(refs, probes, shifted);
    expect(wrong.colourHits).toBe(0);
    expect(wrong.shapeHits).toBe(0);
    expect(wrong.cells[0]).toMatchObject({ caption: 'red circle', seenColour: 'orange', seenShape: 'square' });
  });

  it('refuses a count mismatch', async () => {
    await expect(scoreColourShape(refs, colourShapeProbes(), [])).rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringContaining('24 images') });
  });

  it('summarises several seeds: mean, range and chance, refusing mixed sizes', async () => {
    const probes = colourShapeProbes();
    const real = await Promise.all(HEX.map(sample));
    const right = await scoreColourShape(refs, probes, real);
    const wrong = await scoreColourShape(refs, probes, real.map((_, i) => real[(i + 9) % real.length] as Buffer));
    const s = summariseProbeScores([right, wrong, wrong, right]);
    expect(s).toEqual({
      runs: 4, perRun: 24,
      colour: { mean: 12, min: 0, max: 24 }, shape: { mean: 12, min: 0, max: 24 }, both: { mean: 12, min: 0, max: 24 },
    });
    expect(formatProbeSummary(s)).toBe('mean of 4 seeds: colour 12.0/24 (0–24, chance 3), shape 12.0/24 (0–24, chance 8), both 12.0/24 (0–24)');
    const short = await scoreColourShape(refs, probes.slice(0, 3), real.slice(0, 3));
    expect(() => summariseProbeScores([right, short])).toThrow(/24 images each/);
    expect(() => summariseProbeScores([])).toThrow(/at least one/);
  });

  it('measures whether the shape word or the noise decides the layout', async () => {
    const probes = colourShapeProbes();
    const real = await Promise.all(HEX.map(sample));
    // The real emoji: circle, square and heart of one colour differ in layout; nothing differs between two "seeds".
    const byWord = await probeLayout(probes, [real, real]);
    expect(byWord.otherShapeWord).toBeGreaterThan(0.4);
    expect(byWord.otherShapeWord).toBeLessThan(0.8);
    expect(byWord.otherNoise).toBe(1);
    // A generator that ignores the shape word: every colour's three shapes are the same image.
    const ignoring = real.map((_, i) => real[i % 8] as Buffer);
    const byNoise = await probeLayout(probes, [ignoring]);
    expect(byNoise).toEqual({ otherShapeWord: 1, otherNoise: null });
    expect(formatProbeLayout(byNoise)).toBe('layout (foreground mask IoU): same noise, other shape word 1.00 (a layout that follows the shape word has the first well below the second)');
    await expect(probeLayout(probes, [real.slice(1)])).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
  });

  it("measures whether the text encoder's sentence features tell shapes and colours apart", () => {
    const probes = colourShapeProbes();
    const colours = ['red', 'orange', 'yellow', 'green', 'blue', 'purple', 'brown', 'black'];
    const shapes = ['circle', 'square', 'heart'];
    // One axis per colour and per shape; `w` weighs the shape part.
    const feature = (colour: string, shape: string, w: number) => {
      const f = new Float32Array(11);
      f[colours.indexOf(colour)] = 1;
      f[8 + shapes.indexOf(shape)] = w;
      return f;
    };
    const colourOnly = probeTextSeparation(probes, probes.map((p) => feature(p.colour, p.shape, 0)));
    expect(colourOnly).toEqual({ otherShape: 1, otherColour: 0 });
    const balanced = probeTextSeparation(probes, probes.map((p) => feature(p.colour, p.shape, 1)));
    expect(balanced.otherShape).toBeCloseTo(0.5, 6);
    expect(balanced.otherColour).toBeCloseTo(0.5, 6);
    expect(formatProbeTextSeparation(colourOnly)).toContain('same colour, other shape 1.00; same shape, other colour 0.00');
    expect(() => probeTextSeparation(probes, [])).toThrow(/24 sentence features/);
  });

  it('lists the real reference emoji in probe order', () => {
    expect(probeReferenceFiles('/om').map((f) => path.basename(f, '.svg'))).toEqual(HEX);
  });

  it("measures which probe captions a guide network tells apart on the real emoji", () => {
    const probes = colourShapeProbes();
    // A guide that sees colour only: every caption of the image's colour scores the same.
    const colourOnly = probes.map((p) => probes.map((q) => (q.colour === p.colour ? 1 : 0)));
    expect(probeMatching(probes, colourOnly, 'higher')).toEqual({ shape: 0, colour: 24, images: 24 });  // ties are misses
    // Shape and colour, one worth more: the image's own caption is the unique best.
    const both = probes.map((p) => probes.map((q) => (q.colour === p.colour ? 2 : 0) + (q.shape === p.shape ? 1 : 0)));
    expect(probeMatching(probes, both, 'higher')).toEqual({ shape: 24, colour: 24, images: 24 });
    // The same as a cross-entropy (lower is better), and one that prefers the next shape.
    expect(probeMatching(probes, both.map((r) => r.map((v) => -v)), 'lower')).toEqual({ shape: 24, colour: 24, images: 24 });
    const nextShape = probes.map((p, i) => probes.map((q, j) => (q.colour === p.colour ? 1 : 0) + (j === (i + 8) % 24 ? 1 : 0)));
    expect(probeMatching(probes, nextShape, 'higher')).toEqual({ shape: 0, colour: 24, images: 24 });
    expect(formatProbeMatching('redescription', { shape: 8, colour: 3, images: 24 })).toBe('redescription: right shape 8/24 (chance 8), right colour 3/24 (chance 3)');
    expect(() => probeMatching(probes, colourOnly.slice(1), 'higher')).toThrow(/24 x 24 matrix/);
  });
});
