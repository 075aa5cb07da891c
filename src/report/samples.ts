// SPDX-License-Identifier: MIT
/**
 * A run's sample grids: `samples/iter_<n>.png`, each with an optional `iter_<n>.json` sidecar
 * (`{iteration, epoch, rows, cols, imageSize, captions}`, captions in row-major grid order).
 */
import fs from 'node:fs/promises';
import path from 'node:path';

import { MirrorganError } from '../../lib/errors.js';

/** The JSON sidecar of a sample grid, as far as it could be read. */
export interface SampleSidecar {
  iteration?: number;
  epoch?: number;
  rows?: number;
  cols?: number;
  imageSize?: number;
  /** Captions in row-major grid order (non-string entries are dropped). */
  captions: string[];
}

/** One sample grid found in a run folder. */
export interface SampleGrid {
  /** The iteration, from the file name. */
  iteration: number;
  /** Absolute or run-relative path of the PNG, as joined from the run folder. */
  pngPath: string;
  /** The sidecar, or null when it is missing or unreadable. */
  info: SampleSidecar | null;
}

/** Width, height and colour type of a PNG, read from its IHDR chunk. */
export interface PngHeader {
  width: number;
  height: number;
  /** PNG colour type: 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA. */
  colorType: number;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const GRID_NAME = /^iter_(\d+)\.png$/;

/** Reads a PNG's size and colour type from its header; null when `bytes` is not a PNG. */
export function readPngHeader(bytes: Uint8Array): PngHeader | null {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < 26 || !b.subarray(0, 8).equals(PNG_SIGNATURE) || b.toString('latin1', 12, 16) !== 'IHDR') return null;
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20), colorType: b[25] };
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

async function readSidecar(file: string): Promise<SampleSidecar | null> {
  let raw: unknown;
  try {
    raw = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
  const o = raw as Record<string, unknown>;
  const info: SampleSidecar = { captions: Array.isArray(o.captions) ? o.captions.filter((c): c is string => typeof c === 'string') : [] };
  for (const k of ['iteration', 'epoch', 'rows', 'cols', 'imageSize'] as const) {
    const v = num(o[k]);
    if (v !== undefined) info[k] = v;
  }
  return info;
}

/**
 * Lists the sample grids of a run in chronological (iteration) order. A run without a
 * `samples/` folder has none. Temporary files (`iter_<n>.png.tmp`) are not grids.
 */
export async function listSampleGrids(runDir: string): Promise<SampleGrid[]> {
  const dir = path.join(runDir, 'samples');
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw new MirrorganError('ERR_FILE', `Cannot list ${dir}: ${(e as Error).message}`, { cause: e });
  }
  const grids: SampleGrid[] = [];
  for (const name of names) {
    const m = GRID_NAME.exec(name);
    if (!m) continue;
    const base = name.slice(0, -'.png'.length);
    grids.push({ iteration: Number(m[1]), pngPath: path.join(dir, name), info: await readSidecar(path.join(dir, `${base}.json`)) });
  }
  return grids.sort((a, b) => a.iteration - b.iteration);
}

/**
 * Picks at most `max` items evenly spaced by position, always including the last (and the
 * first when `max` ≥ 2), keeping their order. `max` 0 picks none.
 */
export function selectEvenly<T>(items: readonly T[], max: number): T[] {
  const n = items.length;
  if (max <= 0 || n === 0) return [];
  if (n <= max) return [...items];
  if (max === 1) return [items[n - 1]];
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(items[Math.round((i * (n - 1)) / (max - 1))]);
  return out;
}
