// SPDX-License-Identifier: MIT
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  dispose, loadSafetensors, loadTorchPickle, maxAbsDiff, Module, readSafetensorsHeader, saveSafetensors, saveTorchPickle, tensor,
} from '../../lib/index.js';
import { parityDir } from '../helpers/parity.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-st-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('safetensors', () => {
  it('round-trips every dtype, shapes, scalars, empties and metadata', async () => {
    const src = new Map([
      ['a.weight', tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3])],
      ['b.double', tensor(new Float64Array([Math.PI]), [1])],
      ['c.count', tensor(new BigInt64Array([42n]), [])],
      ['d.int', tensor(new Int32Array([-1, 7]), [2])],
      ['e.bytes', tensor(new Uint8Array([9, 8, 7]), [3])],
      ['f.mask', tensor(new Uint8Array([1, 0, 1]), [3], { dtype: 'bool' })],
      ['g.empty', tensor(new Float32Array([]), [0, 4])],
    ]);
    const file = path.join(dir, 'all.safetensors');
    await saveSafetensors(file, src, { note: 'hello' });
    const buf = fs.readFileSync(file);
    const n = Number(buf.readBigUInt64LE(0));
    expect((8 + n) % 8).toBe(0);  // data aligned to 8 bytes
    const { tensors, metadata } = await loadSafetensors(file);
    expect(metadata).toEqual({ note: 'hello' });
    expect([...tensors.keys()].sort()).toEqual([...src.keys()].sort());
    for (const [k, t] of src) {
      const u = tensors.get(k)!;
      expect(u.dtype).toBe(t.dtype);
      expect(u.shape).toEqual(t.shape);
      expect(u.dataSync()).toEqual(t.dataSync());
    }
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    dispose([src, tensors]);
  });

  it('reads the files written by the reference implementation (parity fixtures)', async () => {
    const h = await readSafetensorsHeader(path.join(parityDir(), 'ca_net.safetensors'));
    expect(h.entries.map((e) => e.name)).toEqual(expect.arrayContaining(['fc.weight', 'fc.bias', 'in.eps']));
    expect(h.metadata).toHaveProperty('torch');
    const { tensors } = await loadSafetensors(path.join(parityDir(), 'ca_net.safetensors'));
    expect(tensors.get('fc.weight')!.shape).toEqual([400, 256]);
    // writing and reading back preserves every byte of every tensor
    const file = path.join(dir, 'copy.safetensors');
    await saveSafetensors(file, tensors);
    const again = await loadSafetensors(file);
    for (const [k, t] of tensors) expect(maxAbsDiff(t, again.tensors.get(k)!)).toBe(0);
    dispose([tensors, again.tensors]);
  });

  it('a module saves and loads through safetensors', async () => {
    const a = new Module('CA_NET', { tDim: 256, cDim: 100 });
    const b = new Module('CA_NET', { tDim: 256, cDim: 100 });
    const file = path.join(dir, 'ca.safetensors');
    await a.save(file);
    const { metadata } = await b.load(file);
    expect(metadata.module).toBe('CA_NET');
    const wa = a.namedStateDict();
    const wb = b.namedStateDict();
    expect(maxAbsDiff(wa.get('fc.weight')!, wb.get('fc.weight')!)).toBe(0);
    dispose([wa, wb]);
  });

  it('torch.save zip files written by LibTorch load as a dict of tensors', async () => {
    const file = path.join(dir, 'sd.pth');
    const t = tensor([1, 2, 3]);
    await saveTorchPickle(file, { 'fc.bias': t });
    const back = await loadTorchPickle(file);
    expect(back.get('fc.bias')!.toArray()).toEqual([1, 2, 3]);
    dispose([t, back]);
  });
});

/** A file with `header` (text or bytes) as its JSON header and `data` bytes after it. */
function rawFile(name: string, header: string | Buffer, data: number | Buffer = 0, headerLength?: bigint): string {
  const json = typeof header === 'string' ? Buffer.from(header, 'utf8') : header;
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(headerLength ?? BigInt(json.length));
  const file = path.join(dir, name);
  fs.writeFileSync(file, Buffer.concat([len, json, typeof data === 'number' ? Buffer.alloc(data, 7) : data]));
  return file;
}

const ONE = '"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}';

describe('safetensors header: strict where the format is strict', () => {
  const refuses = async (header: string | Buffer, data: number, why: RegExp, headerLength?: bigint): Promise<void> => {
    const file = rawFile('bad.safetensors', header, data, headerLength);
    await expect(readSafetensorsHeader(file)).rejects.toThrowError(expect.objectContaining({ code: 'ERR_FILE', message: expect.stringMatching(why) }));
  };

  it('refuses invalid UTF-8 in a tensor name instead of turning it into U+FFFD', async () => {
    const header = Buffer.concat([Buffer.from('{"w'), Buffer.from([0xff, 0xfe]), Buffer.from(ONE.slice(2) + '}')]);
    await refuses(header, 8, /not valid UTF-8/);
    await refuses(Buffer.concat([Buffer.from('{"w'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from(ONE.slice(2) + '}')]), 8, /not valid UTF-8/);  // a UTF-8-encoded surrogate
  });

  it("refuses anything before the header's '{' (whitespace, a byte-order mark), and anything but spaces after its '}'", async () => {
    await refuses(` {${ONE}}`, 8, /must start with '\{' but starts with " "/);
    await refuses(`\n{${ONE}}`, 8, /must start with '\{'/);
    await refuses(`\ufeff{${ONE}}`, 8, /must start with '\{'/);
    await refuses(`{${ONE}}\n`, 8, /continues after its closing '\}' with "\\n"/);
    await refuses(`{${ONE}}  x`, 8, /only space padding may follow/);
    await refuses(`{${ONE}}{}`, 8, /only space padding/);
    await refuses('', 0, /must start with '\{' but starts with nothing/);
  });

  it('refuses offsets and sizes not written as plain non-negative integers (400.0, 4e2, -0, strings)', async () => {
    for (const [off, shown] of [['8.0', '8.0'], ['8e0', '8e0'], ['0.8e1', '0.8e1'], ['-0', '-0'], ['08', '08']]) {
      await refuses(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,${off}]}}`, 8, new RegExp(`data_offsets of tensor "w"\\[1\\] is written as ${shown}`));
    }
    await refuses('{"w":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}}', 8, /shape of tensor "w"\[0\] is written as 2.0/);
    await refuses('{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}', 8, /is written as -2/);
    await refuses('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,"8"]}}', 8, /expected a non-negative integer for the data_offsets of tensor "w"\[1\]/);
    await refuses('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,null]}}', 8, /expected a non-negative integer/);
    await refuses('{"w":{"dtype":"F32","shape":[9007199254740993],"data_offsets":[0,8]}}', 8, /too large for this reader/);
  });

  it('refuses unknown and unsupported dtypes, wrong sizes, missing, unknown and repeated fields', async () => {
    await refuses('{"w":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}}', 8, /unsupported dtype "F33", which is no safetensors dtype/);
    await refuses('{"w":{"dtype":"U16","shape":[4],"data_offsets":[0,8]}}', 8, /the unsupported dtype U16, which LibTorch 1.13 cannot hold/);
    await refuses('{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', 8, /has 8 bytes but shape \[3\] of F32 needs 12/);
    await refuses('{"w":{"dtype":"F32","shape":[2]}}', 0, /lacks data_offsets/);
    await refuses('{"w":{}}', 0, /lacks dtype, shape, data_offsets/);
    await refuses('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":1}}', 8, /unknown field "extra"/);
    await refuses('{"w":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}}', 8, /field "dtype" twice/);
    await refuses('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4,8]}}', 8, /3 data_offsets/);
    await refuses('{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}', 8, /ends \(0\) before it begins \(8\)/);
    await refuses('{"w":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}}', 8, /whose size overflows/);
    await refuses('{"w":[1]}', 8, /expected '\{' to start tensor "w"/);
  });

  it('refuses duplicate keys, which JSON.parse would silently resolve to the last', async () => {
    await refuses(`{${ONE},${ONE}}`, 8, /tensor "w" twice/);
    await refuses(`{"__metadata__":{},${ONE},"__metadata__":{}}`, 8, /__metadata__ twice/);
    await refuses(`{"__metadata__":{"a":"1","a":"2"},${ONE}}`, 8, /key "a" twice/);
  });

  it('__metadata__ is a map of strings only', async () => {
    await refuses(`{"__metadata__":{"epoch":3},${ONE}}`, 8, /__metadata__ "epoch" is not a string/);
    await refuses(`{"__metadata__":{"a":{"b":"c"}},${ONE}}`, 8, /not a string/);
    await refuses(`{"__metadata__":null,${ONE}}`, 8, /'\{' to start __metadata__/);
    await refuses(`{"__metadata__":["a"],${ONE}}`, 8, /'\{' to start __metadata__/);
  });

  it('the tensors cover the data exactly: no holes, overlaps, extra or missing bytes', async () => {
    const two = (a: string, b: string): string =>
      `{"a":{"dtype":"U8","shape":[4],"data_offsets":[${a}]},"b":{"dtype":"U8","shape":[4],"data_offsets":[${b}]}}`;
    await refuses(two('0,4', '5,9'), 9, /tensor "b" starts at 5, leaving bytes 4..5 unused \(hole\)/);
    await refuses(two('0,4', '2,6'), 6, /tensor "b" starts at 2, inside the tensor before it \(overlap\)/);
    await refuses(two('4,8', '4,8'), 8, /tensor "a" starts at 4, leaving bytes 0..4 unused/);
    await refuses(two('0,4', '4,8'), 9, /1 unexpected bytes after the last tensor/);
    await refuses(two('0,4', '4,8'), 7, /truncated: the tensors need 8 data bytes but the file has 7/);
  });

  it('refuses malformed JSON: raw control characters, bad escapes, lone surrogates, deep nesting', async () => {
    await refuses(`{"w\u0001":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 8, /raw control character \(0x1\) in a tensor name/);
    await refuses(`{"w\\x41":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 8, /invalid escape "\\\\x"/);
    await refuses(`{"w\\ud800":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 8, /lone surrogate \\ud800/);
    await refuses(`{"w\\udc00x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 8, /lone surrogate \\udc00/);
    await refuses(`{${ONE}`, 8, /expected ',' or '\}' after a tensor at the end of the header/);
    await refuses(`{${ONE},}`, 8, /expected a string for a tensor name/);
    await refuses(`{"w":{"dtype":"F32","shape":${'['.repeat(100_000)}`, 0, /expected a non-negative integer for the shape of tensor "w"\[0\]/);
  });

  it('bounds the header at 100 MB as the reference reader does, before reading it', async () => {
    await refuses('{}', 0, /header length 100000001 is over the 100 MB limit/, 100_000_001n);
    await refuses('{}', 0, /header length 18446744073709551615 is over the 100 MB limit/, 2n ** 64n - 1n);
    await refuses('{}', 0, /truncated: header needs 4096 bytes, file has 2/, 4096n);
  });

  it('accepts what the format allows: inner whitespace, space padding, escapes, empty and zero-size tensors', async () => {
    const pretty = rawFile('pretty.safetensors', `{\n  "__metadata__": {"__proto__": "x", "a\\"b": "\\u00e9\\n"},\n\t"z": {"dtype": "U8", "shape": [0, 3], "data_offsets": [0, 0]},\r\n  "s\\u00e9\\ud83d\\ude00": {"shape": [], "data_offsets": [0, 8], "dtype": "F64"}\n}    `, 8);
    const h = await readSafetensorsHeader(pretty);
    expect(h.entries.map((e) => [e.name, e.dtype, e.shape, e.begin, e.end])).toEqual([['z', 'U8', [0, 3], 0, 0], ['s\u00e9\u{1f600}', 'F64', [], 0, 8]]);
    expect(Object.getPrototypeOf(h.metadata)).toBe(Object.prototype);
    expect(Object.entries(h.metadata)).toEqual([['__proto__', 'x'], ['a"b', '\u00e9\n']]);
    expect((await readSafetensorsHeader(rawFile('empty.safetensors', '{}'))).entries).toEqual([]);
    expect((await readSafetensorsHeader(rawFile('empty-meta.safetensors', '{"__metadata__":{}}        '))).metadata).toEqual({});
  });

  it('reads a 200,000-tensor header in one linear pass', async () => {
    const n = 200_000;
    const parts: string[] = [];
    for (let i = 0; i < n; i++) parts.push(`"t.${n - 1 - i}":{"dtype":"U8","shape":[1],"data_offsets":[${n - 1 - i},${n - i}]}`);
    const h = await readSafetensorsHeader(rawFile('wide.safetensors', `{${parts.join(',')}}`, n));
    expect(h.entries.length).toBe(n);
    expect(h.entries[0]).toEqual({ name: 't.0', dtype: 'U8', shape: [1], begin: 0, end: 1 });
    expect(h.entries[n - 1]!.name).toBe(`t.${n - 1}`);
  });
});
