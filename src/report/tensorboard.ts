// SPDX-License-Identifier: MIT
/**
 * TensorBoard event files without TensorFlow: `events.out.tfevents.<secs>.<host>` holding
 * TFRecord-framed `Event` protobufs (scalars, PNG images, Markdown text), and a converter that
 * turns an existing run folder into one (`mirrorgan report <run> --tensorboard`).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { MirrorganError, invalidArg } from '../../lib/errors.js';
import { encodeEvent, type SummaryValue } from './event.js';
import { assertRunFolder, readRunMetrics } from './run_folder.js';
import { listSampleGrids, readPngHeader } from './samples.js';
import { encodeTFRecord } from './tfrecord.js';

/** The file_version string of the first record, as TensorFlow writes it. */
export const EVENT_FILE_VERSION = 'brain.Event:2';

/** Options of {@link TensorBoardWriter}. */
export interface TensorBoardWriterOptions {
  /** Appended to the file name, like TensorFlow's `filename_suffix`. Default `''`. */
  filenameSuffix?: string;
  /** Host name in the file name. Default `os.hostname()`. */
  hostname?: string;
  /** Clock giving Unix seconds, used for the file name and events without a wall time. Default `Date.now() / 1000`. */
  now?: () => number;
  /** Buffered bytes after which records are written out without waiting for flush(). Default 1 MiB. */
  flushBytes?: number;
}

function checkTag(tag: unknown): asserts tag is string {
  if (typeof tag !== 'string' || tag === '') throw invalidArg('tag', 'non-empty string', tag);
}

function checkStep(step: unknown): asserts step is number {
  if (typeof step !== 'number' || !Number.isSafeInteger(step)) throw invalidArg('step', 'safe integer', step);
}

/**
 * Writes one TensorBoard event file in `logDir` (created if needed). Records are buffered and
 * written synchronously on {@link flush}, {@link close}, or when the buffer grows past
 * `flushBytes`; a reader sees only whole records after a flush. A file of the same name (same
 * second, host and suffix) is appended to, which keeps it a valid event file.
 *
 * ```ts
 * const tb = new TensorBoardWriter(path.join(run, 'tensorboard'));
 * tb.scalar('loss/G_total', 8.4, 120);
 * tb.image('samples', png, 266, 134, 120);
 * tb.close();
 * ```
 */
export class TensorBoardWriter {
  /** The event file's path: `<logDir>/events.out.tfevents.<secs>.<host><suffix>`. */
  readonly path: string;
  readonly #now: () => number;
  readonly #flushBytes: number;
  #fd: number | null;
  #pending: Buffer[] = [];
  #pendingBytes = 0;

  constructor(logDir: string, options: TensorBoardWriterOptions = {}) {
    this.#now = options.now ?? (() => Date.now() / 1000);
    this.#flushBytes = options.flushBytes ?? 1 << 20;
    const host = (options.hostname ?? os.hostname()).replace(/[/\\]/g, '_');
    this.path = path.join(logDir, `events.out.tfevents.${Math.floor(this.#now())}.${host}${options.filenameSuffix ?? ''}`);
    try {
      fs.mkdirSync(logDir, { recursive: true });
      this.#fd = fs.openSync(this.path, 'a');
    } catch (e) {
      throw new MirrorganError('ERR_FILE', `Cannot create ${this.path}: ${(e as Error).message}`, { cause: e });
    }
    this.#add({ wallTime: this.#now(), fileVersion: EVENT_FILE_VERSION });
    this.flush();
  }

  #add(event: Parameters<typeof encodeEvent>[0]): void {
    if (this.#fd === null) throw new MirrorganError('ERR_DISPOSED', `TensorBoardWriter for ${this.path} is closed`);
    const record = encodeTFRecord(encodeEvent(event));
    this.#pending.push(record);
    this.#pendingBytes += record.length;
    if (this.#pendingBytes >= this.#flushBytes) this.flush();
  }

  #summary(value: SummaryValue, step: number, wallTime: number | undefined): void {
    this.#add({ wallTime: wallTime ?? this.#now(), step, summary: [value] });
  }

  /** Logs a scalar (Scalars tab). `wallTime` in Unix seconds defaults to now. */
  scalar(tag: string, value: number, step: number, wallTime?: number): void {
    checkTag(tag);
    checkStep(step);
    if (typeof value !== 'number') throw invalidArg('value', 'number', value);
    this.#summary({ tag, simpleValue: value }, step, wallTime);
  }

  /**
   * Logs an encoded PNG image (Images tab). `width` and `height` are the image's size in
   * pixels; the colour space is read from the PNG header (RGB when it cannot be told).
   */
  image(tag: string, pngBytes: Uint8Array, width: number, height: number, step: number, wallTime?: number): void {
    checkTag(tag);
    checkStep(step);
    if (!(pngBytes instanceof Uint8Array) || pngBytes.length === 0) throw invalidArg('pngBytes', 'non-empty Uint8Array', pngBytes);
    if (!Number.isInteger(width) || width < 1) throw invalidArg('width', 'positive integer', width);
    if (!Number.isInteger(height) || height < 1) throw invalidArg('height', 'positive integer', height);
    const colorType = readPngHeader(pngBytes)?.colorType;
    const colorspace = colorType === 0 ? 1 : colorType === 4 ? 2 : colorType === 6 ? 4 : 3;
    this.#summary({ tag, image: { height, width, colorspace, encodedImageString: pngBytes } }, step, wallTime);
  }

  /** Logs a Markdown text (Text tab). */
  text(tag: string, markdown: string, step: number, wallTime?: number): void {
    checkTag(tag);
    checkStep(step);
    if (typeof markdown !== 'string') throw invalidArg('markdown', 'string', markdown);
    this.#summary({ tag, text: markdown }, step, wallTime);
  }

  /** Writes the buffered records to the file. */
  flush(): void {
    if (this.#fd === null || this.#pending.length === 0) return;
    const data = Buffer.concat(this.#pending);
    this.#pending = [];
    this.#pendingBytes = 0;
    try {
      fs.writeSync(this.#fd, data);
    } catch (e) {
      throw new MirrorganError('ERR_FILE', `Cannot write ${this.path}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Flushes and closes the file; later calls do nothing, later writes fail with ERR_DISPOSED. */
  close(): void {
    if (this.#fd === null) return;
    try {
      this.flush();
    } finally {
      fs.closeSync(this.#fd);
      this.#fd = null;
    }
  }
}

/** Options of {@link exportTensorBoard}. */
export interface ExportTensorBoardOptions {
  /** Also export the sample grids (Images tab) and their captions (Text tab). Default true. */
  samples?: boolean;
  /** Host name in the file name. Default `os.hostname()`. */
  hostname?: string;
}

/** Suffix of the event files written by {@link exportTensorBoard}; a new export replaces them. */
export const EXPORT_SUFFIX = '.mirrorgan-report';

/** Markdown-safe caption list: backslash-escapes the characters Markdown and HTML give meaning. */
function captionsMarkdown(captions: readonly string[]): string {
  return captions.map((c, i) => `${i + 1}. ${c.replace(/[\\`*_{}[\]()#+\-.!<>&|]/g, (ch) => `\\${ch}`)}`).join('\n');
}

/**
 * Converts a run folder's metrics.jsonl and sample grids into one TensorBoard event file in
 * `outDir` (default `<run>/tensorboard`) and returns its path. Tags: `loss/<term>`, `lr/<optimizer>`,
 * `speed/it_per_sec` and `epoch_loss/<term>` at the iteration step; `pretrain/<phase>/loss/<term>`
 * and `pretrain/<phase>/val/<metric>` at the epoch step; `samples` (images) and
 * `samples/captions` (text) at the grid's iteration. Wall times come from the records.
 * The file is built in a temporary folder and moved into place, then earlier exports in
 * `outDir` (files ending in {@link EXPORT_SUFFIX}) are removed, so exporting again does not
 * duplicate curves. Event files written by other means are left alone.
 */
export async function exportTensorBoard(runDir: string, outDir?: string, options: ExportTensorBoardOptions = {}): Promise<string> {
  await assertRunFolder(runDir);
  const out = outDir ?? path.join(runDir, 'tensorboard');
  const metrics = await readRunMetrics(runDir);
  const grids = options.samples === false ? [] : await listSampleGrids(runDir);
  const timeAt = new Map(metrics.iterations.flatMap((r) => (r.time === undefined ? [] : [[r.iteration, r.time] as const])));

  await fsp.mkdir(out, { recursive: true });
  const tmpDir = path.join(path.dirname(path.resolve(out)), `.${path.basename(out)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const writerOptions: TensorBoardWriterOptions = { filenameSuffix: EXPORT_SUFFIX };
  if (options.hostname !== undefined) writerOptions.hostname = options.hostname;
  const writer = new TensorBoardWriter(tmpDir, writerOptions);
  try {
    for (const r of metrics.iterations) {
      for (const [k, v] of Object.entries(r.loss)) writer.scalar(`loss/${k}`, v, r.iteration, r.time);
      for (const [k, v] of Object.entries(r.lr)) writer.scalar(`lr/${k}`, v, r.iteration, r.time);
      if (r.itPerSec !== undefined) writer.scalar('speed/it_per_sec', r.itPerSec, r.iteration, r.time);
    }
    for (const r of metrics.epochs) {
      for (const [k, v] of Object.entries(r.loss)) writer.scalar(`epoch_loss/${k}`, v, r.iteration ?? r.epoch, r.time);
    }
    for (const r of metrics.pretrain) {
      for (const [k, v] of Object.entries(r.loss)) writer.scalar(`pretrain/${r.phase}/loss/${k}`, v, r.epoch, r.time);
      for (const [k, v] of Object.entries(r.val)) writer.scalar(`pretrain/${r.phase}/val/${k}`, v, r.epoch, r.time);
    }
    for (const g of grids) {
      const png = await fsp.readFile(g.pngPath);
      const header = readPngHeader(png);
      if (!header) continue;
      const wall = timeAt.get(g.iteration) ?? (await fsp.stat(g.pngPath)).mtimeMs / 1000;
      writer.image('samples', png, header.width, header.height, g.iteration, wall);
      if (g.info?.captions.length) writer.text('samples/captions', captionsMarkdown(g.info.captions), g.iteration, wall);
    }
    writer.close();
    const target = path.join(out, path.basename(writer.path));
    await fsp.rename(writer.path, target);
    for (const name of await fsp.readdir(out)) {
      const file = path.join(out, name);
      if (name.startsWith('events.out.tfevents.') && name.endsWith(EXPORT_SUFFIX) && file !== target) await fsp.rm(file, { force: true });
    }
    return target;
  } catch (e) {
    if (e instanceof MirrorganError) throw e;
    throw new MirrorganError('ERR_FILE', `Cannot export TensorBoard events to ${out}: ${(e as Error).message}`, { cause: e });
  } finally {
    writer.close();
    await fsp.rm(tmpDir, { recursive: true, force: true });
  }
}
