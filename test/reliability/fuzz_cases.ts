// SPDX-License-Identifier: MIT
/**
 * Seeded mutated files for the reader fuzz test (fuzz_readers.test.ts runs them through
 * fuzz_worker.ts in a child process). Each case carries what the format requires of it:
 * 'refuse' (the mutation always makes the file invalid), 'accept' (it never does: the reader
 * must return exactly `expected`) or 'oracle' (it may or may not: an accepted file is checked
 * against an independent judge: CPython's verdict for pickles, the yaml package plus the
 * config schema for YAML, the unchanged data layout for safetensors).
 */
import fs from 'node:fs';
import path from 'node:path';

import { Rng } from '../../src/util/rng.js';
import type { PickleValue } from '../../src/util/pickle.js';
import { FIELDS } from '../../src/config/schema.js';
import { repoRoot } from '../helpers/parity.js';

export type Expect = 'refuse' | 'accept' | 'oracle';

export interface FuzzCase {
  id: string;
  /** Mutation class, for the summary. */
  kind: string;
  expect: Expect;
  bytes: Buffer;
  /** safetensors: the data layout an accepted file must keep; pickle: the value; YAML: field values. */
  expected?: unknown;
}

const pick = <T>(rng: Rng, items: readonly T[]): T => items[rng.int(items.length)] as T;

// ---------------------------------------------------------------- byte mutations

function flipBit(b: Buffer, pos: number, bit: number): Buffer {
  const out = Buffer.from(b);
  out[pos] = (out[pos] as number) ^ (1 << bit);
  return out;
}

function insertByte(b: Buffer, pos: number, value: number): Buffer {
  return Buffer.concat([b.subarray(0, pos), Buffer.from([value]), b.subarray(pos)]);
}

function deleteByte(b: Buffer, pos: number): Buffer {
  return Buffer.concat([b.subarray(0, pos), b.subarray(pos + 1)]);
}

// ---------------------------------------------------------------- safetensors

const ST_DTYPES: [string, number][] = [['F64', 8], ['I64', 8], ['F32', 4], ['I32', 4], ['F16', 2], ['BF16', 2], ['I16', 2], ['U8', 1], ['I8', 1], ['BOOL', 1]];
const ST_NAMES = ['layer.0.weight', 'layer.0.bias', 'emb', 'caf\u00e9.\u2603', 'a"quoted\\name', 'scalar', 'x'];

interface StTensor {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

interface StSeed {
  tensors: StTensor[];
  metadata: [string, string][];
  data: Buffer;
}

/** Data layout in data order: what must survive any accepted mutation of names or data bytes. */
export function stLayout(entries: { dtype: string; shape: number[]; begin: number; end: number }[]): string {
  return JSON.stringify(entries.map((e) => [e.dtype, e.shape, e.begin, e.end]));
}

function stSeed(rng: Rng): StSeed {
  const count = 1 + rng.int(5);
  const names = rng.shuffle([...ST_NAMES]).slice(0, count);
  const tensors = names.map((name) => {
    const [dtype, size] = pick(rng, ST_DTYPES);
    const shape = Array.from({ length: rng.int(4) }, () => 1 + rng.int(4));  // no zero dims: every tensor has bytes
    return { name, dtype, shape, size: shape.reduce((a, b) => a * b, 1) * size };
  });
  tensors.sort((a, b) => (ST_DTYPES.find((d) => d[0] === b.dtype)![1] - ST_DTYPES.find((d) => d[0] === a.dtype)![1]));
  let pos = 0;
  const placed = tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, begin: pos, end: (pos += t.size) }));
  const data = Buffer.alloc(pos);
  for (let i = 0; i < pos; i++) data[i] = rng.int(256);
  const metadata: [string, string][] = rng.int(2) ? [['format', 'pt'], ['epoch', String(rng.int(100))]] : [];
  return { tensors: placed, metadata, data };
}

/** Header text pieces, with the byte spans of free text (names, metadata) where a flip may stay valid. */
interface Rendered {
  header: Buffer;
  free: [number, number][];
}

type Tweak = (t: StTensor, i: number) => Partial<Record<'dtype' | 'shape' | 'offsets' | 'extra' | 'name', string>>;

function stRender(seed: StSeed, tweak: Tweak = () => ({}), metadataJson?: string): Rendered {
  const pieces: Buffer[] = [];
  const free: [number, number][] = [];
  let len = 0;
  const put = (s: string | Buffer, isFree = false): void => {
    const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
    if (isFree) free.push([len, len + b.length]);
    pieces.push(b);
    len += b.length;
  };
  const str = (s: string): void => {
    put('"');
    put(JSON.stringify(s).slice(1, -1), true);
    put('"');
  };
  put('{');
  const parts: (() => void)[] = [];
  if (metadataJson !== undefined) parts.push(() => put(`"__metadata__":${metadataJson}`));
  else if (seed.metadata.length) {
    parts.push(() => {
      put('"__metadata__":{');
      seed.metadata.forEach(([k, v], i) => {
        if (i) put(',');
        str(k);
        put(':');
        str(v);
      });
      put('}');
    });
  }
  seed.tensors.forEach((t, i) => parts.push(() => {
    const w = tweak(t, i);
    if (w.name !== undefined) put(w.name);
    else str(t.name);
    put(`:{"dtype":${w.dtype ?? JSON.stringify(t.dtype)},"shape":${w.shape ?? `[${t.shape.join(',')}]`},"data_offsets":${w.offsets ?? `[${t.begin},${t.end}]`}${w.extra ?? ''}}`);
  }));
  parts.forEach((p, i) => {
    if (i) put(',');
    p();
  });
  put('}');
  const pad = (8 - ((8 + len) % 8)) % 8;
  put(' '.repeat(pad));
  return { header: Buffer.concat(pieces), free };
}

function stFile(header: Buffer, data: Buffer, length = BigInt(header.length)): Buffer {
  const n = Buffer.alloc(8);
  n.writeBigUInt64LE(length);
  return Buffer.concat([n, header, data]);
}

/** Field edits the format forbids, each applied to a valid seed (the header length stays right). */
function stEdits(seed: StSeed, rng: Rng): [string, Buffer][] {
  const last = seed.tensors.length - 1;
  const on = (k: number, w: ReturnType<Tweak>): Tweak => (_, i) => (i === k ? w : {});
  const k = rng.int(seed.tensors.length);
  const t = seed.tensors[k] as StTensor;
  const file = (tw: Tweak, meta?: string): Buffer => stFile(stRender(seed, tw, meta).header, seed.data);
  const raw = (text: string | Buffer, data = seed.data): Buffer => stFile(typeof text === 'string' ? Buffer.from(text) : text, data);
  const good = stRender(seed).header.toString('utf8').trimEnd();
  return [
    ['offset written as a fraction', file(on(k, { offsets: `[${t.begin},${t.end}.0]` }))],
    ['offset written with an exponent', file(on(k, { offsets: `[${t.begin},${t.end}e0]` }))],
    ['negative offset', file(on(k, { offsets: `[-${t.begin},${t.end}]` }))],
    ['offset as a string', file(on(k, { offsets: `[${t.begin},"${t.end}"]` }))],
    ['three offsets', file(on(k, { offsets: `[${t.begin},${t.end},${t.end}]` }))],
    ['shape dim as a fraction', file(on(k, { shape: `[${[...t.shape, 1].join(',')}.0]` }))],
    ['negative shape dim', file(on(k, { shape: `[-1,${t.shape.join(',')}]`.replace(',]', ']') }))],
    ['shape that does not match the bytes', file(on(k, { shape: `[${[...t.shape, 2].join(',')}]` }))],
    ['shape dim beyond 2^53', file(on(k, { shape: `[9007199254740993${t.shape.map((d) => `,${d}`).join('')}]` }))],
    ['deeply nested shape', file(on(k, { shape: '['.repeat(1000 + rng.int(50_000)) }))],
    ['unknown dtype', file(on(k, { dtype: JSON.stringify(pick(rng, ['F33', 'f32', 'FLOAT', '', 'U8 '])) }))],
    ['dtype the reader cannot hold', file(on(k, { dtype: JSON.stringify(pick(rng, ['U16', 'U32', 'U64', 'C64', 'F8_E4M3'])) }))],
    ['dtype not a string', file(on(k, { dtype: '4' }))],
    ['extra field', file(on(k, { extra: ',"extra":1' }))],
    ['field repeated', file(on(k, { extra: `,"dtype":${JSON.stringify(t.dtype)}` }))],
    ['missing field', raw(good.replace(/,"data_offsets":\[[0-9]+,[0-9]+\]/, ''))],
    ['tensor repeated', raw(`${good.slice(0, -1)},${JSON.stringify(t.name)}:{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}`)],
    ['hole between tensors', stFile(
      stRender(seed, (x, i) => (i >= k ? { offsets: `[${x.begin + 1},${x.end + 1}]` } : {})).header,
      Buffer.concat([seed.data.subarray(0, t.begin), Buffer.alloc(1), seed.data.subarray(t.begin)]),
    )],
    ['overlapping tensors', last > 0 ? file((x, i) => (i === last ? { offsets: `[${x.begin - 1},${x.end - 1}]` } : {})) : raw(`${good.slice(0, -1)},"overlap":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`)],
    ['bytes after the last tensor', raw(good, Buffer.concat([seed.data, Buffer.from([rng.int(256)])]))],
    ['__metadata__ value not a string', file(() => ({}), `{"epoch":${pick(rng, ['3', 'true', 'null', '{}', '["a"]'])}}`)],
    ['__metadata__ not a map', file(() => ({}), pick(rng, ['null', '[]', '"x"', '3']))],
    ['__metadata__ key repeated', file(() => ({}), '{"a":"1","a":"2"}')],
    ['whitespace before {', raw(pick(rng, [' ', '\n', '\t', '\r', '\ufeff']) + good)],
    ['something other than spaces after }', raw(good + pick(rng, ['\n', '\t', '\0', 'x', '}', ',']))],
    ['invalid UTF-8 in a name', raw(Buffer.concat([Buffer.from('{"'), Buffer.from([pick(rng, [0x80, 0xc3, 0xed, 0xf8, 0xff])]), Buffer.from(good.slice(1).replace(/^"/, ''))]))],
    ['lone surrogate escape in a name', file(on(k, { name: `"${pick(rng, ['\\ud800', '\\udfff', '\\ud83dx'])}"` }))],
    ['raw control character in a name', file(on(k, { name: `"a${String.fromCharCode(rng.int(32))}b"` }))],
    ['invalid escape in a name', file(on(k, { name: `"a\\${pick(rng, ['x41', 'a', "'", 'U0041', 'u12'])}"` }))],
    ['header not an object', raw(pick(rng, ['[]', '"x"', 'null', '3', '{']))],
    ['trailing comma', raw(`${good.slice(0, -1)},}`)],
    ['header length over 100 MB', stFile(stRender(seed).header, seed.data, pick(rng, [100_000_001n, 2n ** 63n, 2n ** 64n - 1n]))],
    ['header length past the end of the file', stFile(stRender(seed).header, seed.data, BigInt(8 + stRender(seed).header.length + seed.data.length + rng.int(1000)))],
  ];
}

export function safetensorsCases(seed: number, count: number): FuzzCase[] {
  const rng = new Rng(`safetensors-${seed}`);
  const cases: FuzzCase[] = [];
  const add = (kind: string, expect: Expect, bytes: Buffer, expected?: unknown): void => {
    cases.push({ id: `safetensors-${cases.length}`, kind, expect, bytes, expected });
  };
  while (cases.length < count) {
    const s = stSeed(rng);
    const { header, free } = stRender(s);
    const file = stFile(header, s.data);
    const dataStart = 8 + header.length;
    const layout = { layout: stLayout(s.tensors), metadata: s.metadata };
    const roll = rng.int(100);
    if (roll < 10) add('truncate', 'refuse', file.subarray(0, rng.int(file.length)));
    else if (roll < 14) add('append bytes', 'refuse', Buffer.concat([file, Buffer.from(Array.from({ length: 1 + rng.int(16) }, () => rng.int(256)))]));
    else if (roll < 24) add('insert a byte after the length', 'refuse', insertByte(file, 8 + rng.int(file.length - 7), rng.int(256)));
    else if (roll < 34) add('delete a byte after the length', 'refuse', deleteByte(file, 8 + rng.int(file.length - 8)));
    else if (roll < 38) add('flip a bit of the header length', 'refuse', flipBit(file, rng.int(8), rng.int(8)));
    else if (roll < 56) add('flip a bit of the data', 'accept', flipBit(file, dataStart + rng.int(s.data.length), rng.int(8)), layout);
    else if (roll < 80) {
      const pos = rng.int(header.length);
      const inFree = free.some(([a, b]) => pos >= a && pos < b);
      add(inFree ? 'flip a bit of a name or metadata' : 'flip a bit of the header structure', inFree ? 'oracle' : 'refuse', flipBit(file, 8 + pos, rng.int(8)), layout);
    } else {
      const [kind, bytes] = pick(rng, stEdits(s, rng));
      add(`edit: ${kind}`, 'refuse', bytes);
    }
  }
  return cases;
}

// ---------------------------------------------------------------- pickle

const PICKLE_DIR = path.join(repoRoot, 'test', 'fixtures', 'pickle');

/** The fixture pickles written by scripts/pickle_fixtures.py, with their opcode offsets. */
function pickleSeeds(): { name: string; bytes: Buffer; ops: number[] }[] {
  const ops = JSON.parse(fs.readFileSync(path.join(PICKLE_DIR, 'ops.json'), 'utf8')) as Record<string, number[]>;
  return Object.keys(ops).sort().map((name) => ({ name, bytes: fs.readFileSync(path.join(PICKLE_DIR, `${name}.pickle`)), ops: ops[name]! }));
}

/** Opcodes followed by a 4- or 8-byte little-endian length. */
const LENGTH4 = new Set([0x58, 0x42, 0x54, 0x8b]);  // BINUNICODE, BINBYTES, BINSTRING, LONG4
const LENGTH8 = new Set([0x8d, 0x8e, 0x95]);  // BINUNICODE8, BINBYTES8, FRAME
/** Opcodes this reader refuses by design or does not know (Python refuses them too, without our globals). */
const REFUSED_OPS = [0x50, 0x51, 0x69, 0x6f, 0x81, 0x82, 0x83, 0x84, 0x92, 0x96, 0x97, 0x98, 0x99, 0xa0, 0xf0, 0xff, 0x00, 0x0a, 0x21, 0x3a];

/**
 * A random value of the types a metadata pickle holds and its protocol 0 text, written the
 * way Python 2's pickle does (PUT after each container and string, APPEND per item). With
 * `poison`, one value or dict key somewhere is one that Python refuses to read.
 */
class Protocol0Writer {
  private memo = 0;
  /** Finished lists that later values may refer to again (GET), with their memo index. */
  private readonly shared: { list: PickleValue[]; memo: number }[] = [];
  private poisoned = false;
  constructor(private readonly rng: Rng, private readonly poison: boolean) {}

  private put(): string {
    return `p${this.memo++}\n`;
  }

  private poisonHere(): boolean {
    if (!this.poison || this.poisoned || this.rng.int(4) !== 0) return false;
    this.poisoned = true;
    return true;
  }

  private str(): [PickleValue, string] {
    const palette = ['a', 'Z', ' ', '\\', '\n', '\r', '\t', "'", '"', '\u00e9', '\u00ff', '\u0000', '\u007f', '\u2603', '\u{1f600}', 'u', 'U', '.', '(', 'x'];
    let s = '';
    for (let i = this.rng.int(8); i > 0; i--) s += pick(this.rng, palette);
    if (this.rng.int(3) === 0) {
      // Python 2 str: latin-1 bytes, written as a quoted repr
      const latin = [...s].filter((c) => c.charCodeAt(0) < 0x100).join('');
      const named: Record<string, string> = { '\\': '\\\\', "'": "\\'", '\n': '\\n', '\r': '\\r', '\t': '\\t' };
      const esc = [...latin].map((c) => {
        const code = c.charCodeAt(0);
        return named[c] ?? (code >= 0x20 && code < 0x7f ? c : `\\x${code.toString(16).padStart(2, '0')}`);
      }).join('');
      return [latin, `S'${esc}'\n${this.put()}`];
    }
    // unicode: raw-unicode-escape, with \ and newline escaped as Python 2.7 does
    let text = '';
    for (const c of s) {
      const cp = c.codePointAt(0)!;
      if (c === '\\' || c === '\n' || (cp >= 0x100 && cp < 0x10000)) text += `\\u${cp.toString(16).padStart(4, '0')}`;
      else if (cp >= 0x10000) text += `\\U${cp.toString(16).padStart(8, '0')}`;
      else text += c;
    }
    return [s, `V${text}\n${this.put()}`];
  }

  private scalar(): [PickleValue, string] {
    switch (this.rng.int(6)) {
      case 0: return [null, 'N'];
      case 1: {
        const b = this.rng.int(2) === 1;
        return [b, b ? 'I01\n' : 'I00\n'];
      }
      case 2: {
        const v = this.rng.int(2) ? this.rng.int(2000) - 1000 : Math.floor((this.rng.next() - 0.5) * 2 ** 40);
        return [v, `I${v}\n`];
      }
      case 3: {
        const v = (BigInt(this.rng.nextUint32()) << 40n) * BigInt(this.rng.nextUint32() + 1) * (this.rng.int(2) ? 1n : -1n);
        const exact = v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER);
        return [exact ? Number(v) : v, `L${v}L\n`];
      }
      case 4: {
        const v = pick(this.rng, [0.5, -2.25, 1e300, -1.5e-7, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, this.rng.next() * 1e6]);
        const text = Number.isFinite(v) ? (Object.is(v, -0) ? '-0.0' : String(v)) : v > 0 ? 'inf' : '-inf';
        return [v, `F${text}\n`];
      }
      default: return this.str();
    }
  }

  /** A dict key and an identity for de-duplication (Python keeps one of equal keys). */
  private key(): [PickleValue, string, string] {
    if (this.poisonHere()) return [[], `(lp${this.memo++}\n`, 'poison'];  // a list as a key: unhashable
    const [k, text] = this.rng.int(5) === 0
      ? ((a, b): [PickleValue, string] => [[a[0], b[0]], `(${a[1]}${b[1]}t${this.put()}`])(this.scalar(), this.scalar())
      : this.rng.int(2) ? this.str() : ((v): [PickleValue, string] => [v, `I${v}\n`])(this.rng.int(100));
    return [k, text, JSON.stringify(k, (_, x) => (typeof x === 'bigint' ? `${x}n` : Object.is(x, -0) ? 0 : x))];
  }

  value(depth: number): [PickleValue, string] {
    if (this.poisonHere()) {
      return [null, pick(this.rng, ['Iabc\n', 'I1.5\n', 'F1_0\n', "S'open\n", 'V\\u12\n', `g${900_000 + this.rng.int(1000)}\n`, 'Lxyz\n', 'S"mixed\'\n'])];
    }
    if (this.shared.length && this.rng.int(8) === 0) {
      const { list, memo } = pick(this.rng, this.shared);
      return [list, `g${memo}\n`];
    }
    if (depth >= 4 || this.rng.int(3) === 0) return this.scalar();
    const n = this.rng.int(5);
    switch (this.rng.int(3)) {
      case 0: {
        const list: PickleValue[] = [];
        const memo = this.memo;
        let text = `(lp${this.memo++}\n`;
        for (let i = 0; i < n; i++) {
          const [v, t] = this.value(depth + 1);
          list.push(v);
          text += `${t}a`;
        }
        this.shared.push({ list, memo });
        return [list, text];
      }
      case 1: {
        const items = Array.from({ length: n }, () => this.value(depth + 1));
        return [items.map((x) => x[0]), `(${items.map((x) => x[1]).join('')}t${this.put()}`];
      }
      default: {
        const dict = new Map<PickleValue, PickleValue>();
        const seen = new Set<string>();
        let text = `(dp${this.memo++}\n`;
        for (let i = 0; i < n; i++) {
          const [k, tk, id] = this.key();
          if (seen.has(id)) continue;
          seen.add(id);
          const [v, tv] = this.value(depth + 1);
          dict.set(k, v);
          text += `${tk}${tv}s`;
        }
        return [dict, text];
      }
    }
  }

  /** The whole pickle; with `poison`, null when the dice placed none. */
  pickle(): { value: PickleValue; bytes: Buffer } | null {
    const [value, text] = this.value(0);
    if (this.poison && !this.poisoned) return null;
    return { value, bytes: Buffer.from(`${text}.`, 'latin1') };
  }
}

export function pickleCases(seed: number, count: number): FuzzCase[] {
  const rng = new Rng(`pickle-${seed}`);
  const seeds = pickleSeeds();
  const cases: FuzzCase[] = [];
  const add = (kind: string, expect: Expect, bytes: Buffer, expected?: unknown): void => {
    cases.push({ id: `pickle-${cases.length}`, kind, expect, bytes, expected });
  };
  while (cases.length < count) {
    const s = pick(rng, seeds);
    const b = s.bytes;
    const op = (): number => s.ops[rng.int(s.ops.length - 1)] as number;  // any opcode but the final STOP
    const roll = rng.int(100);
    if (roll < 8) add('truncate', 'refuse', b.subarray(0, rng.int(b.length)));
    else if (roll < 33) add('flip a bit', 'oracle', flipBit(b, rng.int(b.length), rng.int(8)));
    else if (roll < 43) add('insert a byte', 'oracle', insertByte(b, rng.int(b.length + 1), rng.int(256)));
    else if (roll < 53) add('delete a byte', 'oracle', deleteByte(b, rng.int(b.length)));
    else if (roll < 58) {
      const at = rng.int(b.length);
      const len = 1 + rng.int(Math.min(16, b.length - at));
      add('repeat a byte range', 'oracle', Buffer.concat([b.subarray(0, at + len), b.subarray(at)]));
    } else if (roll < 63) {
      const withLength = s.ops.filter((p) => LENGTH4.has(b[p]!) || LENGTH8.has(b[p]!));
      const p = withLength.length ? pick(rng, withLength) : -1;
      if (p < 0) continue;
      const out = Buffer.from(b);
      if (LENGTH4.has(b[p]!)) out.writeUInt32LE(0x7fffff00 + rng.int(0xff), p + 1);
      else out.writeBigUInt64LE((1n << BigInt(32 + rng.int(32))) - 1n, p + 1);
      add('huge length', 'refuse', out);
    } else if (roll < 68) add('insert a refused opcode', 'refuse', insertByte(b, op(), pick(rng, REFUSED_OPS)));
    else if (roll < 70) {
      if (b[0] !== 0x80) continue;
      const out = Buffer.from(b);
      out[1] = 6 + rng.int(250);
      add('PROTO above 5', 'refuse', out);
    } else if (roll < 85) {
      const made = new Protocol0Writer(rng, false).pickle()!;
      add('generated protocol 0', 'accept', made.bytes, made.value);
    } else if (roll < 95) {
      const made = new Protocol0Writer(rng, true).pickle();
      if (made) add('generated protocol 0 with a forbidden value', 'refuse', made.bytes);
    } else {
      const depth = 1000 + rng.int(9_000);
      const text = rng.int(2) ? `${'('.repeat(depth)}${'l'.repeat(depth)}.` : `${']'.repeat(depth)}${'a'.repeat(depth - 1)}.`;
      add('deep nesting', 'accept', Buffer.from(text), { depth });
    }
  }
  return cases;
}

// ---------------------------------------------------------------- YAML config

const TRAIN_BIRD = fs.readFileSync(path.join(repoRoot, 'test', 'fixtures', 'config', 'train_bird.yml'), 'utf8');
const OURS = `preset: cpu
dataset:
  name: openmoji
  limit: 40
train:
  batchSize: 8
  generatorLr: 0.0002
  emaWarmup: true
  sampleCaptions: 'a red circle | a blue heart'
gan:
  sentenceAttention: official
`;

/** A valid value for a field, and how YAML may spell it. */
function validValue(rng: Rng, f: (typeof FIELDS)[number]): [unknown, string] {
  if (f.kind === 'int') {
    let v = f.min! + rng.int(Math.min(f.max! - f.min! + 1, 1000));
    if (f.key === 'text.embeddingDim') v += v % 2;  // validate(): split over the encoder's two directions
    return [v, String(v)];
  }
  if (f.kind === 'number') {
    const v = f.min! + (f.max! - f.min!) * rng.next();
    return [v, pick(rng, [String(v), v.toExponential()])];
  }
  if (f.kind === 'bool') {
    const v = rng.int(2) === 1;
    return [v, String(v)];
  }
  if (f.kind === 'enum') {
    const v = pick(rng, f.values!);
    return [f.key === 'dataset.name' && v === 'birds' ? 'cub' : v, pick(rng, [v, `'${v}'`, `"${v}"`])];
  }
  const v = pick(rng, ['', 'path/to/file', 'caf\u00e9 \u2603', 'a: b', '# not a comment']);
  return [v, JSON.stringify(v)];
}

/** A one-field YAML (plus a dataset root so every dataset validates), nested or dotted, ours or official. */
function oneField(rng: Rng, f: (typeof FIELDS)[number], text: string): string {
  const key = f.official && rng.int(2) ? f.official : f.key;
  const root = f.key === 'dataset.root' || f.official === 'DATA_DIR' ? '' : 'DATA_DIR: /data/root\n';
  const parts = key.split('.');
  if (rng.int(3) === 0 || parts.length === 1) return `${root}${key}: ${text}\n`;
  return `${root}${parts.slice(0, -1).map((p, i) => `${'  '.repeat(i)}${p}:\n`).join('')}${'  '.repeat(parts.length - 1)}${parts.at(-1)}: ${text}\n`;
}

function yamlRefusals(rng: Rng): [string, string | Buffer][] {
  const f = pick(rng, FIELDS.filter((x) => x.kind === 'int' || x.kind === 'number'));
  const officialOne = pick(rng, FIELDS.filter((x) => x.official && x.official.includes('.')));
  const [, good] = validValue(rng, f);
  return [
    ['number field given text', oneField(rng, f, pick(rng, ['abc', "'12'x", 'ten']))],
    ['number field given a list', oneField(rng, f, `[${good}, ${good}]`)],
    ['number field given a mapping', oneField(rng, f, `{a: ${good}}`)],
    ['number field given null, NaN or infinity', oneField(rng, f, pick(rng, ['null', '~', '.nan', '.inf', '-.inf', '']))],
    ['number out of range', oneField(rng, f, String(pick(rng, [f.max! + 1, f.min! - 1, f.max! * 10 + 7])))],
    ['integer field given a fraction', oneField(rng, pick(rng, FIELDS.filter((x) => x.kind === 'int')), '2.5')],
    ['bool field given yes/no', oneField(rng, pick(rng, FIELDS.filter((x) => x.kind === 'bool')), pick(rng, ['yes', 'no', 'on', '1', 'True!']))],
    ['enum field given another word', oneField(rng, pick(rng, FIELDS.filter((x) => x.kind === 'enum')), pick(rng, ['maybe', 'OFFICIAL', '3', '__proto__']))],
    ['unknown key', `${pick(rng, ['train', 'TRAIN', 'dataset', 'GAN'])}:\n  ${pick(rng, ['batchsize', 'hasOwnProperty', '__proto__', 'constructor', 'toString', 'nope'])}: 1\n`],
    ['unknown top-level key', `${pick(rng, ['__proto__', 'constructor', 'valueOf', 'extra', 'TRAINING'])}: ${pick(rng, ['1', '{}', '{a: 1}', 'x'])}\n`],
    ['key twice in one mapping', `${OURS}  batchSize: 4\n`.replace('gan:\n  sentenceAttention: official\n', '')],
    ['field set twice by its two spellings', `${officialOne.key}: ${validValue(rng, officialOne)[1]}\n${officialOne.official}: ${validValue(rng, officialOne)[1]}\n`],
    ['preset not a preset name', `preset: ${pick(rng, ['__proto__', 'hasOwnProperty', 'valueOf', 'toString', 'constructor', '3', '[cpu]', '{a: 1}', 'null', 'huge', 'CPU'])}\n`],
    ['recursive alias', pick(rng, ['TRAIN: &t\n  SMOOTH: *t\n', 'TRAIN: &t\n  BATCH_SIZE: 4\n  SMOOTH:\n    LAMBDA1: *t\n', 'train: &t\n  batchSize: *t\n'])],
    ['alias to no anchor', 'train:\n  batchSize: *missing\n'],
    ['key that is not a string', pick(rng, ['3: x\n', 'true: 1\n', 'null: 1\n', '? [a]\n: 1\n', '? {a: 1}\n: 1\n', '1.5: x\n'])],
    ['unknown tag', `train:\n  netG: !${pick(rng, ['custom', 'python/object', 'js/function'])} x\n`],
    ['several documents', `${OURS}---\n${OURS}`],
    ['invalid UTF-8', Buffer.concat([Buffer.from('train:\n  netG: "'), Buffer.from([pick(rng, [0x80, 0xc3, 0xff, 0xed])]), Buffer.from('"\n')])],
    ['deep nesting', `train:\n  netG: ${'['.repeat(100 + rng.int(5_000))}\n`],
    ['not a mapping', pick(rng, ['- a\n- b\n', 'just text\n', '42\n', '', '# only a comment\n', 'null\n'])],
    ['list where a value goes', 'train:\n  - batchSize: 4\n'],
  ];
}

export function yamlCases(seed: number, count: number, json: string): FuzzCase[] {
  const rng = new Rng(`yaml-${seed}`);
  const seeds = [TRAIN_BIRD, OURS, json].map((t) => Buffer.from(t, 'utf8'));
  const cases: FuzzCase[] = [];
  const add = (kind: string, expect: Expect, bytes: Buffer | string, expected?: unknown): void => {
    cases.push({ id: `yaml-${cases.length}`, kind, expect, bytes: typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes, expected });
  };
  while (cases.length < count) {
    const b = pick(rng, seeds);
    const roll = rng.int(100);
    if (roll < 22) add('flip a bit', 'oracle', flipBit(b, rng.int(b.length), rng.int(8)));
    else if (roll < 32) add('truncate', 'oracle', b.subarray(0, rng.int(b.length)));
    else if (roll < 42) add('insert a byte', 'oracle', insertByte(b, rng.int(b.length + 1), pick(rng, [rng.int(256), 0x3a, 0x20, 0x0a, 0x2d, 0x26, 0x2a, 0x21, 0x7b, 0x5b, 0x23, 0x27])));
    else if (roll < 52) add('delete a byte', 'oracle', deleteByte(b, rng.int(b.length)));
    else if (roll < 75) {
      const [kind, text] = pick(rng, yamlRefusals(rng));
      add(`edit: ${kind}`, 'refuse', text);
    } else {
      const f = pick(rng, FIELDS.filter((x) => x.key !== 'dataset.root'));
      const [value, text] = validValue(rng, f);
      add('edit: a valid value', 'accept', oneField(rng, f, text), { [f.key]: value });
    }
  }
  return cases;
}
