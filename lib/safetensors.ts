// SPDX-License-Identifier: MIT
/**
 * safetensors files: 8-byte little-endian header length, a JSON header, raw little-endian
 * C-order data (https://github.com/huggingface/safetensors). The header is parsed and every
 * entry validated here; the bytes move natively, off the main thread, and writes are atomic.
 */
import fs from 'node:fs/promises';
import { MirrorganError, invalidArg, nativeAsync } from './errors.js';
import { nativeBinding } from './native.js';
import { ITEM_SIZE, parseSafetensorsHeader, type SafetensorsEntry } from './safetensors_header.js';
import { fromHandle, type Device, type Tensor } from './tensor.js';

const FROM_DTYPE: Record<string, string> = {
  float32: 'F32', float64: 'F64', int32: 'I32', int64: 'I64', uint8: 'U8', bool: 'BOOL', float16: 'F16', bfloat16: 'BF16',
};
/** The reference reader's bound on the header (safetensors/src/tensor.rs MAX_HEADER_SIZE). */
const MAX_HEADER = 100_000_000;

export type { SafetensorsEntry } from './safetensors_header.js';

export interface SafetensorsHeader {
  /** Tensors in data order. */
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
  /** Byte offset of the data section in the file. */
  dataStart: number;
}

function corrupt(path: string, why: string): MirrorganError {
  return new MirrorganError('ERR_FILE', `'${path}' is not a valid safetensors file: ${why}`);
}

/** Reads and validates the header of a safetensors file without loading any tensor. */
export async function readSafetensorsHeader(path: string): Promise<SafetensorsHeader> {
  if (typeof path !== 'string' || path === '') throw invalidArg('path', 'a file path', path);
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new MirrorganError('ERR_FILE', code === 'ENOENT' ? `'${path}' does not exist` : `cannot open '${path}': ${code}`);
  }
  try {
    const { size } = await fh.stat();
    if (size < 8) throw corrupt(path, `it is ${size} bytes long, shorter than the 8-byte header length`);
    const lenBuf = Buffer.alloc(8);
    await fh.read(lenBuf, 0, 8, 0);
    const n = lenBuf.readBigUInt64LE(0);
    if (n > BigInt(MAX_HEADER)) throw corrupt(path, `header length ${n} is over the 100 MB limit`);
    const headerLen = Number(n);
    if (8 + headerLen > size) throw corrupt(path, `truncated: header needs ${headerLen} bytes, file has ${size - 8}`);
    const hb = Buffer.alloc(headerLen);
    const { bytesRead } = await fh.read(hb, 0, headerLen, 8);
    if (bytesRead !== headerLen) throw corrupt(path, `truncated while reading: header needs ${headerLen} bytes, read ${bytesRead}`);
    const dataStart = 8 + headerLen;
    const { entries, metadata } = parseSafetensorsHeader(hb, size - dataStart, (why) => {
      throw corrupt(path, why);
    });
    return { entries, metadata, dataStart };
  } finally {
    await fh.close();
  }
}

export interface LoadedTensors {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

/** Loads every tensor of a safetensors file (on the CPU, then moved to `device`). */
export async function loadSafetensors(path: string, options: { device?: Device } = {}): Promise<LoadedTensors> {
  const header = await readSafetensorsHeader(path);
  const handles = await nativeAsync(() => nativeBinding().readTensorFile(path, header.dataStart, header.entries));
  const tensors = new Map<string, Tensor>();
  header.entries.forEach((e, i) => {
    let t = fromHandle(handles[i]);
    if (options.device && options.device !== 'cpu') {
      const moved = t.to(options.device);
      t.dispose();
      t = moved;
    }
    tensors.set(e.name, t);
  });
  return { tensors, metadata: header.metadata };
}

/**
 * Writes tensors as safetensors, atomically (temp file, fsync, rename). Entries are stored
 * largest item size first (as the reference writer does), keeping the given order otherwise.
 */
export async function saveSafetensors(
  path: string,
  tensors: Map<string, Tensor> | Record<string, Tensor>,
  metadata: Record<string, string> = {},
): Promise<void> {
  if (typeof path !== 'string' || path === '') throw invalidArg('path', 'a file path', path);
  const items = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw invalidArg(`metadata.${k}`, 'a string', v);
  }
  const rows = items.map(([name, t], order) => {
    if (name === '__metadata__') throw invalidArg('tensor name', 'a name other than __metadata__', name);
    const dtype = FROM_DTYPE[t.dtype];
    if (!dtype) throw new MirrorganError('ERR_DTYPE', `cannot store tensor '${name}' of dtype ${t.dtype}`);
    const shape = t.shape;
    const bytes = shape.reduce((a, b) => a * b, 1) * ITEM_SIZE.get(dtype)!;
    return { name, t, dtype, shape, bytes, order };
  });
  rows.sort((a, b) => ITEM_SIZE.get(b.dtype)! - ITEM_SIZE.get(a.dtype)! || a.order - b.order);
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let pos = 0;
  for (const r of rows) {
    header[r.name] = { dtype: r.dtype, shape: r.shape, data_offsets: [pos, pos + r.bytes] };
    pos += r.bytes;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (8 - ((8 + json.length) % 8)) % 8;  // data start on an 8-byte boundary
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const head = Buffer.alloc(8 + json.length);
  head.writeBigUInt64LE(BigInt(json.length), 0);
  json.copy(head, 8);
  await nativeAsync(() => nativeBinding().writeTensorFile(path, new Uint8Array(head.buffer, head.byteOffset, head.length), rows.map((r) => r.t.handle)));
}

/**
 * Reads a Python `torch.save` file in zip format holding a plain dict of tensors
 * (`torch.save(dict(model.state_dict()), path)`). LibTorch 1.13 cannot read an OrderedDict
 * state dict as saved by default, nor legacy (pre-1.6) files: convert those with
 * scripts/pth2safetensors.py.
 */
export async function loadTorchPickle(path: string): Promise<Map<string, Tensor>> {
  if (typeof path !== 'string' || path === '') throw invalidArg('path', 'a file path', path);
  const map = await nativeAsync(() => nativeBinding().pickleLoad(path));
  return new Map(Object.entries(map).map(([k, h]) => [k, fromHandle(h)]));
}

/** Writes tensors as a zip `torch.save` file that Python's `torch.load` reads as a dict. */
export async function saveTorchPickle(path: string, tensors: Map<string, Tensor> | Record<string, Tensor>): Promise<void> {
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  await nativeAsync(() => nativeBinding().pickleSave(path, Object.fromEntries(entries.map(([k, t]) => [k, t.handle]))));
}
