// SPDX-License-Identifier: MIT
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { crc32c, maskCrc32c } from '../../src/report/crc32c.js';
import { EXPORT_SUFFIX, TensorBoardWriter, exportTensorBoard } from '../../src/report/tensorboard.js';
import { encodeTFRecord } from '../../src/report/tfrecord.js';
import { fakeLosses, makeRun, solidPng, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterAll(async () => cleanup());

// ---- an independent reader: bitwise CRC-32C, TFRecord framing, a protobuf field walker ----

function referenceCrc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
const referenceMask = (crc: number): number => (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;

/** Splits a TFRecord file into payloads, checking both masked CRCs of every record. */
function readTFRecords(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let o = 0;
  while (o < buf.length) {
    expect(buf.length - o).toBeGreaterThanOrEqual(16);
    const lenBytes = buf.subarray(o, o + 8);
    const len = Number(lenBytes.readBigUInt64LE(0));
    expect(buf.readUInt32LE(o + 8)).toBe(referenceMask(referenceCrc32c(lenBytes)));
    const payload = buf.subarray(o + 12, o + 12 + len);
    expect(payload.length).toBe(len);
    expect(buf.readUInt32LE(o + 12 + len)).toBe(referenceMask(referenceCrc32c(payload)));
    out.push(payload);
    o += 16 + len;
  }
  return out;
}

type Field = { field: number; wire: number; varint?: bigint; bytes?: Buffer; fixed?: Buffer };

function readVarint(buf: Buffer, o: number): [bigint, number] {
  let v = 0n;
  let shift = 0n;
  for (;;) {
    const b = buf[o++];
    v |= BigInt(b & 0x7f) << shift;
    if (!(b & 0x80)) return [v, o];
    shift += 7n;
  }
}

function decodeProto(buf: Buffer): Field[] {
  const fields: Field[] = [];
  let o = 0;
  while (o < buf.length) {
    const [key, o1] = readVarint(buf, o);
    o = o1;
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) {
      const [v, o2] = readVarint(buf, o);
      fields.push({ field, wire, varint: v });
      o = o2;
    } else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      fields.push({ field, wire, fixed: buf.subarray(o, o + n) });
      o += n;
    } else if (wire === 2) {
      const [len, o2] = readVarint(buf, o);
      fields.push({ field, wire, bytes: buf.subarray(o2, o2 + Number(len)) });
      o = o2 + Number(len);
    } else {
      throw new Error(`unexpected wire type ${wire}`);
    }
  }
  return fields;
}

interface DecodedValue {
  tag: string;
  simpleValue?: number;
  image?: { height: number; width: number; colorspace: number; png: Buffer };
  text?: string;
  pluginName?: string;
}
interface DecodedEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  values: DecodedValue[];
}

const one = (fs: Field[], n: number): Field | undefined => fs.find((f) => f.field === n);

function decodeEvent(payload: Buffer): DecodedEvent {
  const f = decodeProto(payload);
  const wall = one(f, 1)!;
  expect(wall.wire).toBe(1);
  const ev: DecodedEvent = { wallTime: wall.fixed!.readDoubleLE(0), step: Number(BigInt.asIntN(64, one(f, 2)?.varint ?? 0n)), values: [] };
  const fv = one(f, 3);
  if (fv) ev.fileVersion = fv.bytes!.toString('utf8');
  const summary = one(f, 5);
  if (summary) {
    for (const v of decodeProto(summary.bytes!).filter((x) => x.field === 1)) {
      const vf = decodeProto(v.bytes!);
      const value: DecodedValue = { tag: one(vf, 1)!.bytes!.toString('utf8') };
      const sv = one(vf, 2);
      if (sv) {
        expect(sv.wire).toBe(5);
        value.simpleValue = sv.fixed!.readFloatLE(0);
      }
      const img = one(vf, 4);
      if (img) {
        const i = decodeProto(img.bytes!);
        value.image = { height: Number(one(i, 1)!.varint), width: Number(one(i, 2)!.varint), colorspace: Number(one(i, 3)!.varint), png: one(i, 4)!.bytes! };
      }
      const tensor = one(vf, 8);
      if (tensor) {
        const t = decodeProto(tensor.bytes!);
        expect(Number(one(t, 1)!.varint)).toBe(7); // DT_STRING
        value.text = one(t, 8)!.bytes!.toString('utf8');
        const plugin = decodeProto(one(decodeProto(one(vf, 9)!.bytes!), 1)!.bytes!);
        value.pluginName = one(plugin, 1)!.bytes!.toString('utf8');
      }
      ev.values.push(value);
    }
  }
  return ev;
}

async function readEvents(file: string): Promise<DecodedEvent[]> {
  return readTFRecords(await readFile(file)).map(decodeEvent);
}

// ---- tests ----

describe('crc32c', () => {
  it('matches the known Castagnoli vectors', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it('continues over split input and agrees with a bitwise implementation', () => {
    const data = Buffer.from('MirrorGAN: text-to-image generation by redescription');
    expect(crc32c(data.subarray(20), crc32c(data.subarray(0, 20)))).toBe(crc32c(data));
    for (let n = 0; n < 300; n += 7) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 131 + n) & 0xff);
      expect(crc32c(bytes)).toBe(referenceCrc32c(bytes));
    }
  });

  it('masks as TFRecord does', () => {
    expect(maskCrc32c(0)).toBe(0xa282ead8);
    const crc = 0xe3069283;
    expect(maskCrc32c(crc)).toBe(referenceMask(crc));
    const unmasked = ((maskCrc32c(crc) - 0xa282ead8) >>> 0);
    expect((((unmasked >>> 17) | (unmasked << 15)) >>> 0)).toBe(crc);
  });
});

describe('TFRecord framing', () => {
  it('round-trips payloads of several sizes with both masked CRCs', () => {
    const payloads = [Buffer.alloc(0), Buffer.from('x'), Buffer.alloc(300, 7), Buffer.from('brain.Event:2')];
    const file = Buffer.concat(payloads.map((p) => encodeTFRecord(p)));
    const back = readTFRecords(file);
    expect(back.map((b) => b.toString('hex'))).toEqual(payloads.map((p) => p.toString('hex')));
    const rec = encodeTFRecord(Buffer.from('abc'));
    expect(rec.length).toBe(8 + 4 + 3 + 4);
    expect(rec.readBigUInt64LE(0)).toBe(3n);
  });
});

describe('TensorBoardWriter', () => {
  it('writes brain.Event:2 first, then scalars, images and text that decode back exactly', async () => {
    const logDir = join(dir, 'writer');
    const tb = new TensorBoardWriter(logDir, { hostname: 'testhost', now: () => 1732770000.25 });
    expect(tb.path).toBe(join(logDir, 'events.out.tfevents.1732770000.testhost'));
    const png = solidPng(12, 5, [255, 0, 0]);
    tb.scalar('loss/D0', 1.21, 120);
    tb.scalar('loss/G_total', 8.4, 120, 1732770001.5);
    tb.scalar('big', -3.5, 2 ** 40);
    tb.scalar('neg', 1, -5);
    tb.scalar('zero', 0, 0);
    tb.image('samples', png, 12, 5, 120);
    tb.text('notes', 'a *red* heart', 3);
    // Buffered until flush: only the file_version record is on disk.
    expect(await readEvents(tb.path)).toHaveLength(1);
    tb.flush();
    const events = await readEvents(tb.path);
    expect(events).toHaveLength(8);
    expect(events[0]).toEqual({ wallTime: 1732770000.25, step: 0, fileVersion: 'brain.Event:2', values: [] });
    expect(events[1].step).toBe(120);
    expect(events[1].values[0].tag).toBe('loss/D0');
    expect(events[1].values[0].simpleValue).toBeCloseTo(1.21, 6);
    expect(events[1].wallTime).toBe(1732770000.25);
    expect(events[2].wallTime).toBe(1732770001.5);
    expect(events[2].values[0].simpleValue).toBe(Math.fround(8.4));
    expect([events[3].step, events[3].values[0].simpleValue]).toEqual([2 ** 40, -3.5]);
    expect(events[4].step).toBe(-5);
    expect([events[5].step, events[5].values[0].simpleValue]).toEqual([0, 0]);
    expect(events[6].values[0].image).toEqual({ height: 5, width: 12, colorspace: 4, png });
    expect(events[7].values[0]).toEqual({ tag: 'notes', text: 'a *red* heart', pluginName: 'text' });
    tb.close();
    tb.close();
    expect(() => tb.scalar('late', 1, 1)).toThrow(expect.objectContaining({ code: 'ERR_DISPOSED' }));
  });

  it('flushes by itself past flushBytes and rejects bad arguments', async () => {
    const tb = new TensorBoardWriter(join(dir, 'auto'), { hostname: 'h', filenameSuffix: '.v2', flushBytes: 200 });
    expect(tb.path).toMatch(/events\.out\.tfevents\.\d+\.h\.v2$/);
    for (let i = 0; i < 20; i++) tb.scalar('x', i, i);
    expect((await readEvents(tb.path)).length).toBeGreaterThan(1);
    expect(() => tb.scalar('', 1, 1)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
    expect(() => tb.scalar('x', 1, 1.5)).toThrow(/Expected safe integer for step/);
    expect(() => tb.image('i', new Uint8Array(0), 1, 1, 1)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
    expect(() => tb.image('i', solidPng(2, 2, [0, 0, 0]), 0, 2, 1)).toThrow(/width/);
    tb.close();
    expect((await readEvents(tb.path)).length).toBe(21);
  });
});

describe('exportTensorBoard', () => {
  it('converts a run folder into one event file and replaces earlier exports', async () => {
    const run = join(dir, 'run');
    await makeRun(run, { stages: 3, iterations: 50, perEpoch: 25, sampleEvery: 10 });
    const foreign = join(run, 'tensorboard', 'events.out.tfevents.1.trainer');
    await makeForeign(foreign);
    const file = await exportTensorBoard(run, undefined, { hostname: 'exporthost' });
    expect(file).toMatch(new RegExp(`tensorboard[/\\\\]events\\.out\\.tfevents\\.\\d+\\.exporthost\\${EXPORT_SUFFIX}$`));
    const events = await readEvents(file);
    expect(events[0].fileVersion).toBe('brain.Event:2');

    const byTag = new Map<string, DecodedEvent[]>();
    for (const e of events.slice(1)) {
      expect(e.values).toHaveLength(1);
      const list = byTag.get(e.values[0].tag) ?? [];
      list.push(e);
      byTag.set(e.values[0].tag, list);
    }
    const d2 = byTag.get('loss/D2')!;
    expect(d2.map((e) => e.step)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(d2[49].values[0].simpleValue).toBe(Math.fround(fakeLosses(50, 3).D2));
    expect(d2[49].wallTime).toBe(1732770000 + 100);
    expect(byTag.get('lr/G')!.at(-1)!.values[0].simpleValue).toBe(Math.fround(0.0001));
    expect(byTag.get('speed/it_per_sec')).toHaveLength(50);
    expect(byTag.get('epoch_loss/G_total')!.map((e) => e.step)).toEqual([25, 50]);
    expect(byTag.get('pretrain/damsm/loss/w0')!.map((e) => [e.step, e.values[0].simpleValue])).toEqual([[1, 3], [2, 2]]);
    expect(byTag.get('pretrain/damsm/val/loss')!.map((e) => e.step)).toEqual([1]);
    expect(byTag.get('pretrain/stream/val/bleu4')).toHaveLength(1);

    const images = byTag.get('samples')!;
    expect(images.map((e) => e.step)).toEqual([0, 10, 20, 30, 40, 50]);
    const png50 = await readFile(join(run, 'samples', 'iter_000050.png'));
    expect(images[5].values[0].image).toEqual({ height: 22, width: 42, colorspace: 4, png: png50 });
    expect(images[5].wallTime).toBe(1732770000 + 100);
    const captions = byTag.get('samples/captions')!;
    expect(captions).toHaveLength(6);
    expect(captions[0].values[0].pluginName).toBe('text');
    expect(captions[0].values[0].text!.split('\n')).toEqual([
      '1. a red heart',
      '2. a blue \\<b\\>circle\\</b\\> \\& "star"',
      '3. a green square',
      '4. a yellow star',
      '5. a red circle',
      '6. an orange moon',
      '7. a purple cat',
      "8. a pink 'flower'",
    ]);

    const again = await exportTensorBoard(run, undefined, { hostname: 'exporthost2' });
    const names = await readdir(join(run, 'tensorboard'));
    expect(names.sort()).toEqual(['events.out.tfevents.1.trainer', again.split(/[/\\]/).at(-1)!].sort());
    expect((await readdir(run)).filter((n) => n.includes('tmp'))).toEqual([]);
    expect((await readEvents(again)).length).toBe(events.length);

    const noSamples = await exportTensorBoard(run, join(dir, 'tb-out'), { samples: false });
    expect((await readEvents(noSamples)).some((e) => e.values[0]?.tag === 'samples')).toBe(false);
  });

  it('fails with ERR_FILE for a missing run folder', async () => {
    await expect(exportTensorBoard(join(dir, 'missing'))).rejects.toMatchObject({ code: 'ERR_FILE' });
  });
});

async function makeForeign(file: string): Promise<void> {
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(file, encodeTFRecord(Buffer.alloc(0)));
}
