// SPDX-License-Identifier: MIT
/**
 * On-disk image cache: every source image is decoded once (crop, RGB repair, short side →
 * `side`) and appended as uint8 RGB to one blob; a JSON index maps each image's source
 * fingerprint (path, size, mtime, bbox, render settings) to its offset and size. Reads are plain
 * positional `read()`s into the blob, so epochs never decode JPEGs or render SVGs again.
 *
 * Files per side in the cache directory: `index-<side>.json` (written last, atomically) and
 * `images-<side>-<hash>.bin`. A missing, stale or partial index leads to a rebuild in which
 * unchanged images are copied from the old blob and only new or changed ones are decoded.
 * Images that failed to decode are remembered (by fingerprint) so they are not retried until
 * they change.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, readdir, rm, stat, type FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

import { writeAtomicWith, writeFileAtomic } from '../util/atomic.js';
import { DataError } from '../../lib/errors.js';
import { decodeImage } from './image.js';
import { runPool } from '../util/pool.js';
import { ProgressReporter, progressModeOf } from '../util/progress.js';
import type { DataLogger, DataReport, FixReason, SkipReason } from './report.js';
import type { ImageRef, RgbImage } from './types.js';

/** Bump when the decoded bytes would differ for the same source (resampling, crop rule…). */
export const CACHE_VERSION = 1;

/** Location of one decoded image inside the blob. */
interface CacheEntry {
  offset: number;
  width: number;
  height: number;
  fixes: FixReason[];
}

/** A remembered decode failure. */
interface CacheFailure {
  reason: SkipReason;
  why: string;
}

/** The JSON index (`index-<side>.json`). */
export interface CacheIndex {
  /** Always `mirrorgan-image-cache`. */
  format: 'mirrorgan-image-cache';
  /** {@link CACHE_VERSION} at write time. */
  version: number;
  /** Short side of every stored image. */
  side: number;
  /** File name of the blob in the same directory. */
  blob: string;
  /** Expected blob size in bytes. */
  blobSize: number;
  /** SHA-1 over the sorted fingerprints of the stored images and failures. */
  contentHash: string;
  /** Fingerprint → location. */
  entries: Record<string, CacheEntry>;
  /** Fingerprint → decode failure. */
  failures: Record<string, CacheFailure>;
  /** ISO time of the build. */
  builtAt: string;
}

/** One image the cache must hold. */
export interface CacheRequest {
  /** Dataset key (for messages). */
  key: string;
  /** Source image. */
  image: ImageRef;
}

/** Options of {@link ImageCache.build}. */
export interface CacheBuildOptions {
  /** Cache directory (created if needed). */
  dir: string;
  /** Short side of stored images (304 for 256 training). */
  side: number;
  /** Receives one line per skipped/fixed image. */
  report: DataReport;
  /** Progress and summary lines. */
  logger: DataLogger;
  /** Decode concurrency (default: available cores, at least 2). */
  concurrency?: number;
  /** Progress display: `'auto'` (bar on a TTY), `true`, `false` (plain lines). */
  progress?: boolean | 'auto';
  /** Label for progress lines. */
  label?: string;
  /** SVG rasterisation size. */
  svgRenderSize?: number;
}

/** Result of {@link ImageCache.build}. */
export interface CacheBuildResult {
  /** The opened cache. */
  cache: ImageCache;
  /** Per request: entry handle, or `null` when the image is skipped. */
  slots: (CacheSlot | null)[];
  /** Images decoded in this call. */
  decoded: number;
  /** Images reused from an existing blob. */
  reused: number;
}

/** Opaque handle to a stored image. */
export interface CacheSlot {
  readonly offset: number;
  readonly width: number;
  readonly height: number;
}

/** Fingerprint of a source image: changes when the file, crop or render settings change. @private */
export async function fingerprint(ref: ImageRef, svgRenderSize: number | undefined): Promise<string> {
  const s = await stat(ref.path);
  if (!s.isFile()) throw Object.assign(new Error('not a file'), { code: 'ENOENT' });
  const parts = [ref.path, s.size, Math.round(s.mtimeMs), ref.bbox?.join(',') ?? '', ref.format === 'svg' ? `svg${svgRenderSize ?? ''}` : ''];
  return createHash('sha1').update(parts.join('\0')).digest('hex');
}

function hashKeys(keys: Iterable<string>): string {
  return createHash('sha1').update([...keys].sort().join('\n')).digest('hex');
}

async function readIndex(path: string, side: number, dir: string): Promise<CacheIndex | null> {
  try {
    const index = JSON.parse(await readFile(path, 'utf8')) as CacheIndex;
    if (index.format !== 'mirrorgan-image-cache' || index.version !== CACHE_VERSION || index.side !== side) return null;
    const s = await stat(join(dir, index.blob));
    if (s.size !== index.blobSize) return null;
    if (hashKeys([...Object.keys(index.entries), ...Object.keys(index.failures).map((k) => `!${k}`)]) !== index.contentHash) return null;
    return index;
  } catch {
    return null;
  }
}

function missingFile(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}

/** A read-only view of a built cache blob. */
/** What a blob rebuild wrote. */
interface BlobContents {
  entries: Record<string, CacheEntry>;
  failures: Record<string, CacheFailure>;
  /** Bytes of the blob. */
  size: number;
  decoded: number;
  reused: number;
}

/**
 * Writes a new blob at `file` (atomically) holding every fingerprinted image: copied from the
 * old blob where it has the image, decoded (with progress) otherwise; undecodable images become
 * failures, kept from the old index when they failed before.
 */
async function writeBlob(
  file: string, requests: readonly CacheRequest[], fps: readonly (string | null)[], old: CacheIndex | null, options: CacheBuildOptions,
): Promise<BlobContents> {
  const { dir, side, logger } = options;
  const uniqueSet = new Set(fps.filter((f): f is string => f !== null));
  const unique = [...uniqueSet];
  const entries: Record<string, CacheEntry> = {};
  const failures: Record<string, CacheFailure> = {};
  let size = 0;
  let decoded = 0;
  let reused = 0;
  await writeAtomicWith(file, async (tmpBlob) => {
    const out = await open(tmpBlob, 'w');
    const oldHandle = old ? await open(join(dir, old.blob), 'r') : null;
    const firstRequest = new Map<string, CacheRequest>();
    fps.forEach((fp, i) => {
      if (fp && !firstRequest.has(fp)) firstRequest.set(fp, requests[i] as CacheRequest);
    });
    const toDecode = unique.filter((fp) => !(old && fp in old.entries));
    const copies = unique.filter((fp) => old && fp in old.entries);
    const append = async (fp: string, data: Uint8Array, width: number, height: number, fixes: FixReason[]): Promise<void> => {
      const offset = size;
      size += data.byteLength;
      await out.write(data, 0, data.byteLength, offset);
      entries[fp] = { offset, width, height, fixes };
    };
    try {
      for (const fp of copies) {
        const e = (old as CacheIndex).entries[fp] as CacheEntry;
        const n = e.width * e.height * 3;
        const buf = Buffer.allocUnsafe(n);
        const { bytesRead } = await (oldHandle as FileHandle).read(buf, 0, n, e.offset);
        if (bytesRead !== n) {
          toDecode.push(fp);
          continue;
        }
        await append(fp, buf, e.width, e.height, e.fixes);
        reused++;
      }
      if (old) for (const [fp, f] of Object.entries(old.failures)) if (uniqueSet.has(fp)) failures[fp] = f;
      const pending = toDecode.filter((fp) => !(fp in failures));
      if (pending.length > 0) {
        const label = `${options.label ?? 'cache'}: decoding ${pending.length} images at ${side} px`;
        const progress = new ProgressReporter({
          total: pending.length, mode: progressModeOf(options.progress), intervalMs: 5000, lineAtEnd: false, write: (line) => logger.info(line),
          bar: `${label} [{bar}] {value}/{total} {percentage}% | eta {remaining}`,
          line: `${label}: {value}/{total} ({percentage}%)`,
          startLine: `${label}: 0/{total}`,
          stopLine: `${label}: {value}/{total} done in {seconds} s`,
        });
        try {
          await runPool(pending, options.concurrency ?? Math.max(2, availableParallelism()), async (fp) => {
            const req = firstRequest.get(fp) as CacheRequest;
            try {
              const { image, fixes } = await decodeImage(req.image, { side, svgRenderSize: options.svgRenderSize });
              await append(fp, image.data, image.width, image.height, fixes);
              decoded++;
            } catch (err) {
              failures[fp] = { reason: missingFile(err) ? 'missing image' : 'unreadable', why: (err as Error).message.split('\n')[0] ?? '' };
            }
            progress.increment();
          });
        } finally {
          progress.stop();
        }
      }
      await out.sync();
    } finally {
      await out.close();
      await oldHandle?.close();
    }
  });
  return { entries, failures, size, decoded, reused };
}

export class ImageCache {
  private constructor(
    private readonly handle: FileHandle,
    /** Directory holding the index and blob. */
    readonly dir: string,
    /** Short side of the stored images. */
    readonly side: number,
    /** Total blob size in bytes. */
    readonly bytes: number,
  ) {}

  /** Path of the index for `side` in `dir`. */
  static indexPath(dir: string, side: number): string {
    return join(dir, `index-${side}.json`);
  }

  /**
   * Makes sure every requested image is in the cache at `dir`/`side`, decoding only what is new
   * or changed, and opens it. Skips (missing or undecodable images) are reported through
   * `options.report`, one line each.
   */
  static async build(requests: readonly CacheRequest[], options: CacheBuildOptions): Promise<CacheBuildResult> {
    const { dir, side, report } = options;
    await mkdir(dir, { recursive: true });
    const indexPath = ImageCache.indexPath(dir, side);
    const old = await readIndex(indexPath, side, dir);

    // 1. Fingerprint every source (stat only).
    const fps: (string | null)[] = new Array(requests.length).fill(null);
    await runPool(requests, 32, async (req, i) => {
      try {
        fps[i] = await fingerprint(req.image, options.svgRenderSize);
      } catch (err) {
        report.skip('missing image', req.key, missingFile(err) ? req.image.path : (err as Error).message);
      }
    });

    const known = (fp: string): boolean => !!old && (fp in old.entries || fp in old.failures);
    const unique = [...new Set(fps.filter((f): f is string => f !== null))];
    let decoded = 0;
    let reused = 0;
    let index: CacheIndex;

    if (old && unique.every(known)) {
      index = old;
      reused = unique.filter((fp) => fp in old.entries).length;
    } else {
      // 2. Rebuild: copy known images from the old blob, decode the rest.
      const blobName = `images-${side}-${Date.now().toString(36)}${process.pid.toString(36)}.bin`;
      const blob = await writeBlob(join(dir, blobName), requests, fps, old, options);
      ({ decoded, reused } = blob);
      const { entries, failures } = blob;
      index = {
        format: 'mirrorgan-image-cache',
        version: CACHE_VERSION,
        side,
        blob: blobName,
        blobSize: blob.size,
        contentHash: hashKeys([...Object.keys(entries), ...Object.keys(failures).map((k) => `!${k}`)]),
        entries,
        failures,
        builtAt: new Date().toISOString(),
      };
      await writeFileAtomic(indexPath, JSON.stringify(index));
      // Old blobs of this side are unreferenced now.
      for (const name of await readdir(dir)) {
        if (name.startsWith(`images-${side}-`) && name !== blobName && !name.endsWith('.tmp')) await rm(join(dir, name), { force: true });
      }
    }

    // 3. Per-request slots and reports (also on reuse, so a cached skip is never silent).
    const slots: (CacheSlot | null)[] = fps.map((fp, i) => {
      if (!fp) return null;
      const req = requests[i] as CacheRequest;
      const failure = index.failures[fp];
      if (failure) {
        report.skip(failure.reason, req.key, failure.why);
        return null;
      }
      const e = index.entries[fp] as CacheEntry;
      for (const fix of e.fixes) report.fix(fix, req.key);
      return { offset: e.offset, width: e.width, height: e.height };
    });
    const handle = await open(join(dir, index.blob), 'r');
    return { cache: new ImageCache(handle, dir, side, index.blobSize), slots, decoded, reused };
  }

  /** Reads one stored image. */
  async read(slot: CacheSlot): Promise<RgbImage> {
    const n = slot.width * slot.height * 3;
    const data = new Uint8Array(n);
    const { bytesRead } = await this.handle.read(data, 0, n, slot.offset);
    if (bytesRead !== n) throw new DataError('ERR_CACHE_CORRUPT', `Cache blob in ${this.dir} is truncated; delete the directory to rebuild it`);
    return { data, width: slot.width, height: slot.height };
  }

  /** Closes the blob. */
  async close(): Promise<void> {
    await this.handle.close();
  }
}
