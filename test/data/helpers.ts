// SPDX-License-Identifier: MIT
/** Test fixtures made at run time: temp dirs, images, a protocol-2 pickle writer, a capturing logger. */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import sharp from 'sharp';

import type { DataLogger } from '../../src/data/report.js';

/** A temp directory removed by the returned cleanup. */
export async function tempDir(prefix = 'mg-data-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Writes `content`, creating parent folders. */
export async function put(path: string, content: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
}

/** A solid-colour image with a darker square, encoded as `format`. */
export async function makeImage(
  width: number,
  height: number,
  rgb: [number, number, number],
  format: 'jpeg' | 'png' = 'jpeg',
): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inner = x > width / 4 && x < width / 2 && y > height / 4 && y < height / 2;
      const p = (y * width + x) * 3;
      raw[p] = inner ? rgb[0] >> 1 : rgb[0];
      raw[p + 1] = inner ? rgb[1] >> 1 : rgb[1];
      raw[p + 2] = inner ? rgb[2] >> 1 : rgb[2];
    }
  }
  const img = sharp(raw, { raw: { width, height, channels: 3 } });
  return format === 'jpeg' ? img.jpeg({ quality: 90 }).toBuffer() : img.png().toBuffer();
}

/** A logger that records lines. */
export function captureLogger(): DataLogger & { warnings: string[]; infos: string[] } {
  const warnings: string[] = [];
  const infos: string[] = [];
  return { warnings, infos, warn: (m) => warnings.push(m), info: (m) => infos.push(m) };
}

/** A numpy int64 scalar for {@link writePickle}. */
export class NpInt {
  constructor(readonly value: number) {}
}

/** Python-2-style `str` (BINSTRING) for {@link writePickle}; plain JS strings become unicode. */
export class PyStr {
  constructor(readonly value: string) {}
}

type Py = number | string | PyStr | NpInt | Py[] | Map<Py, Py>;

/**
 * Writes a protocol-2 pickle the way Python 2's cPickle does for our metadata types, including
 * memoised numpy globals (BINPUT/BINGET) and numpy int64 scalars.
 */
export function writePickle(value: Py): Buffer {
  const out: number[] = [0x80, 2];
  const bytes = (s: string): number[] => [...Buffer.from(s, 'latin1')];
  const u32 = (n: number): number[] => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];
  let memo = 0;
  const memoOf = new Map<string, number>();
  const put = (): void => {
    out.push(0x71, memo++);
  };
  const global = (module: string, name: string): void => {
    const id = `${module}.${name}`;
    const m = memoOf.get(id);
    if (m !== undefined) {
      out.push(0x68, m);
      return;
    }
    out.push(0x63, ...bytes(`${module}\n${name}\n`));
    memoOf.set(id, memo);
    put();
  };
  const int = (n: number): void => {
    if (n >= 0 && n < 256) out.push(0x4b, n);
    else if (n >= 0 && n < 65536) out.push(0x4d, n & 0xff, n >> 8);
    else out.push(0x4a, ...u32(n));
  };
  const w = (v: Py): void => {
    if (typeof v === 'number') int(v);
    else if (typeof v === 'string') {
      const b = Buffer.from(v, 'utf8');
      out.push(0x58, ...u32(b.length), ...b);
      put();
    } else if (v instanceof PyStr) {
      const b = bytes(v.value);
      if (b.length < 256) out.push(0x55, b.length, ...b);
      else out.push(0x54, ...u32(b.length), ...b);
      put();
    } else if (v instanceof NpInt) {
      global('numpy.core.multiarray', 'scalar');
      global('numpy', 'dtype');
      out.push(0x55, 2, ...bytes('i8'), 0x4b, 0, 0x4b, 1, 0x87, 0x52);
      put();
      out.push(0x28, 0x4b, 3, 0x55, 1, ...bytes('<'), 0x4e, 0x4e, 0x4e, 0x4a, ...u32(-1), 0x4a, ...u32(-1), 0x4b, 0, 0x74, 0x62);
      const data = Buffer.alloc(8);
      data.writeBigInt64LE(BigInt(v.value));
      out.push(0x55, 8, ...data, 0x86, 0x52);
      put();
    } else if (Array.isArray(v)) {
      out.push(0x5d);
      put();
      if (v.length > 0) {
        out.push(0x28);
        v.forEach(w);
        out.push(0x65);
      }
    } else {
      out.push(0x7d);
      put();
      if (v.size > 0) {
        out.push(0x28);
        for (const [k, val] of v) {
          w(k);
          w(val);
        }
        out.push(0x75);
      }
    }
  };
  w(value);
  out.push(0x2e);
  return Buffer.from(out);
}
