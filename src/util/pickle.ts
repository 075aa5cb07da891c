// SPDX-License-Identifier: MIT
/**
 * A Python pickle reader for the metadata files of the AttnGAN/MirrorGAN layouts (reference
 * §8.3): `filenames.pickle` (list of str), `class_info.pickle` (list of ints or numpy int
 * scalars) and `captions.pickle` (lists, dicts, ints, str), written by Python 2 (protocol 0,
 * its default, 1 or 2) or Python 3 (protocols 0–5).
 *
 * Every opcode that pickles of None, bools, ints, floats, str/unicode, bytes, lists, tuples,
 * dicts and sets use is read with the semantics of CPython's `Lib/pickle.py` `_Unpickler`:
 * the same refusals (a protocol above 5, a frame that ends inside an argument, an unhashable
 * dict key, a missing MARK or memo entry, malformed text arguments, ...). Opcodes that build
 * arbitrary objects, persistent ids and extension codes are refused, and only a short list of
 * globals (numpy scalars and dtypes, `set`, `frozenset`, `bytes`, `_codecs.encode`) can be
 * called, so reading a pickle never executes code. The reader is iterative: neither deep
 * nesting nor a 300,000-item APPENDS grows the JS call stack.
 *
 * Mapping: list/tuple/set → Array, dict → Map (keys compare as Map keys: by value for str, int
 * and float, by identity for tuples and bytes), str/unicode → string, Python 2 str → string
 * (latin-1), bytes → Uint8Array, int → number (bigint beyond 2^53), numpy scalar → number
 * (bool for numpy.bool_).
 */
import { readFile } from 'node:fs/promises';

import { DataError } from '../../lib/errors.js';
import { buildDtype, isDtype, NUMPY_SCALAR, numpyDtype, numpyScalar, type NumpyDtype } from './pickle_numpy.js';
import {
  decodeUtf8SurrogatePass, intValue, latin1Bytes, parseDecimal, parseFloatText, parseQuotedString, parseRawUnicodeEscape,
} from './pickle_text.js';

/** A value read from a pickle. */
export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | Map<PickleValue, PickleValue>
  | NumpyDtype;

type Global = { kind: 'global'; module: string; name: string };
type StackItem = PickleValue | Global;

/** Python's HIGHEST_PROTOCOL; Python refuses a PROTO above it. */
const HIGHEST_PROTOCOL = 5;

/** The Python type an Array stands for; lists are the arrays not recorded. */
type ArrayKind = 'tuple' | 'unhashable tuple' | 'set' | 'frozenset';

/** The globals a pickle may name (Python 2 and 3 spellings); any other GLOBAL is refused. */
const GLOBALS = new Set([
  'numpy.dtype', ...NUMPY_SCALAR, '_codecs.encode', '__builtin__.bytes', 'builtins.bytes',
  '__builtin__.set', 'builtins.set', '__builtin__.frozenset', 'builtins.frozenset',
]);

/** Opcode names (pickletools), for messages. */
const NAMES: Record<number, string> = Object.fromEntries(
  (
    '28MARK 2eSTOP 30POP 31POP_MARK 32DUP 46FLOAT 49INT 4aBININT 4bBININT1 4cLONG 4dBININT2 4eNONE 50PERSID ' +
    '51BINPERSID 52REDUCE 53STRING 54BINSTRING 55SHORT_BINSTRING 56UNICODE 58BINUNICODE 61APPEND 62BUILD 63GLOBAL ' +
    '64DICT 7dEMPTY_DICT 65APPENDS 67GET 68BINGET 69INST 6aLONG_BINGET 6cLIST 5dEMPTY_LIST 6fOBJ 70PUT 71BINPUT ' +
    '72LONG_BINPUT 73SETITEM 74TUPLE 29EMPTY_TUPLE 75SETITEMS 47BINFLOAT 80PROTO 81NEWOBJ 82EXT1 83EXT2 84EXT4 ' +
    '85TUPLE1 86TUPLE2 87TUPLE3 88NEWTRUE 89NEWFALSE 8aLONG1 8bLONG4 42BINBYTES 43SHORT_BINBYTES ' +
    '8cSHORT_BINUNICODE 8dBINUNICODE8 8eBINBYTES8 8fEMPTY_SET 90ADDITEMS 91FROZENSET 92NEWOBJ_EX 93STACK_GLOBAL ' +
    '94MEMOIZE 95FRAME 96BYTEARRAY8 97NEXT_BUFFER 98READONLY_BUFFER'
  ).split(' ').map((e) => [Number.parseInt(e.slice(0, 2), 16), e.slice(2)]),
);

function fail(message: string): never {
  throw new DataError('ERR_DATA_BAD_FORMAT', `Pickle: ${message}`);
}

function isGlobal(v: unknown): v is Global {
  return typeof v === 'object' && v !== null && (v as Global).kind === 'global';
}

/** Parses pickle bytes into plain JS values (see the module doc for the mapping). */
export function readPickle(bytes: Uint8Array): PickleValue {
  return new Unpickler(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).load();
}

/** Reads a pickle file; errors name the file. */
export async function readPickleFile(path: string): Promise<PickleValue> {
  try {
    return readPickle(await readFile(path));
  } catch (e) {
    if (e instanceof DataError) throw new DataError(e.code, `${path}: ${e.message}`, { cause: e });
    throw e;
  }
}

class Unpickler {
  private pos = 0;
  /** End of the current protocol-4 frame, or -1 outside frames. */
  private frameEnd = -1;
  private stack: StackItem[] = [];
  /** The stacks below each MARK, as pickle.py keeps them. */
  private readonly metastack: StackItem[][] = [];
  private readonly memo = new Map<number, StackItem>();
  private readonly kinds = new WeakMap<object, ArrayKind>();
  /** Members of each set, for Python's de-duplication. */
  private readonly members = new WeakMap<PickleValue[], Set<PickleValue>>();
  private opPos = 0;

  constructor(private readonly buf: Buffer) {}

  private fail(message: string): never {
    const op = this.buf[this.opPos] ?? 0;
    return fail(`${message} (${NAMES[op] ?? `opcode 0x${op.toString(16)}`} at byte ${this.opPos})`);
  }

  /** `n` bytes; with pickle.py's frame rule, an argument may not run past the end of its frame. */
  private read(n: number): Buffer {
    if (this.frameEnd >= 0) {
      if (this.pos === this.frameEnd && n > 0) this.frameEnd = -1;
      else if (this.pos + n > this.frameEnd) this.fail('pickle exhausted before end of frame');
    }
    if (n > this.buf.length - this.pos) this.fail(`truncated: needs ${n} bytes, ${this.buf.length - this.pos} left`);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /** A text argument up to its newline (which is dropped). */
  private line(): Buffer {
    if (this.frameEnd >= 0 && this.pos === this.frameEnd) this.frameEnd = -1;
    const limit = this.frameEnd >= 0 ? this.frameEnd : this.buf.length;
    const end = this.buf.subarray(this.pos, limit).indexOf(0x0a);
    if (end < 0) this.fail(this.frameEnd >= 0 ? 'pickle exhausted before end of frame' : 'truncated text argument');
    const b = this.buf.subarray(this.pos, this.pos + end);
    this.pos += end + 1;
    return b;
  }

  /** A decoded text argument. */
  private text<T>(decode: (line: Buffer) => T): T {
    const line = this.line();
    return this.guard(() => decode(line));
  }

  private u8(): number {
    return this.read(1)[0] as number;
  }

  /** A little-endian u64 length; Python refuses one above sys.maxsize, every file here is smaller. */
  private u64(): number {
    const v = this.read(8).readBigUInt64LE(0);
    if (v > BigInt(this.buf.length)) this.fail(`truncated: a length of ${v} bytes, ${this.buf.length - this.pos} left`);
    return Number(v);
  }

  private push(v: StackItem): void {
    this.stack.push(v);
  }

  private pop(): StackItem {
    if (this.stack.length === 0) this.fail(this.metastack.length ? 'stack underflow (nothing after the MARK)' : 'stack underflow');
    return this.stack.pop() as StackItem;
  }

  private top(): StackItem {
    if (this.stack.length === 0) this.fail('stack underflow');
    return this.stack[this.stack.length - 1] as StackItem;
  }

  /** The items pushed since the last MARK, which is removed. */
  private popMark(): StackItem[] {
    const items = this.stack;
    const below = this.metastack.pop();
    if (!below) this.fail('no MARK on the stack');
    this.stack = below;
    return items;
  }

  /** A value going into a container or out as the result: never a bare global. */
  private value(v: StackItem): PickleValue {
    if (isGlobal(v)) this.fail(`refusing the global ${v.module}.${v.name} as a value`);
    return v;
  }

  private values(items: StackItem[]): PickleValue[] {
    for (const v of items) this.value(v);
    return items as PickleValue[];
  }

  private typeName(v: StackItem): string {
    if (v === null) return 'None';
    if (Array.isArray(v)) return this.kinds.get(v)?.replace('unhashable ', '') ?? 'list';
    if (v instanceof Map) return 'dict';
    if (v instanceof Uint8Array) return 'bytes';
    if (isGlobal(v)) return `global ${v.module}.${v.name}`;
    if (isDtype(v)) return 'numpy.dtype';
    return typeof v === 'string' ? 'str' : typeof v;
  }

  private hashable(v: PickleValue): boolean {
    if (Array.isArray(v)) {
      const kind = this.kinds.get(v);
      return kind === 'tuple' || kind === 'frozenset';
    }
    return !(v instanceof Map);
  }

  private tuple(items: StackItem[]): PickleValue[] {
    const t = this.values(items);
    this.kinds.set(t, t.every((x) => this.hashable(x)) ? 'tuple' : 'unhashable tuple');
    return t;
  }

  /** Adds hashable `items` to a set (de-duplicated as JS Set keys). */
  private addToSet(set: PickleValue[], items: StackItem[]): void {
    const seen = this.members.get(set) as Set<PickleValue>;
    for (const item of items) {
      const v = this.value(item);
      if (!this.hashable(v)) this.fail(`unhashable set element of type ${this.typeName(v)}`);
      if (!seen.has(v)) {
        seen.add(v);
        set.push(v);
      }
    }
  }

  private newSet(kind: 'set' | 'frozenset', items: StackItem[]): PickleValue[] {
    const set: PickleValue[] = [];
    this.kinds.set(set, kind);
    this.members.set(set, new Set());
    this.addToSet(set, items);
    return set;
  }

  private global(module: string, name: string): Global {
    if (!GLOBALS.has(`${module}.${name}`)) this.fail(`refusing the global ${module}.${name} (only numpy scalars, set, frozenset, bytes and _codecs.encode are read)`);
    return { kind: 'global', module, name };
  }

  private list(target: StackItem, op: string): PickleValue[] {
    if (!Array.isArray(target) || this.kinds.has(target)) this.fail(`${op} on a ${this.typeName(target)}, not a list`);
    return target;
  }

  private setItems(target: StackItem, items: StackItem[], op: string): void {
    if (!(target instanceof Map)) this.fail(`${op} on a ${this.typeName(target)}, not a dict`);
    if (items.length % 2 !== 0) this.fail(`${op} with an odd number of items (${items.length})`);
    for (let i = 0; i < items.length; i += 2) {
      const key = this.value(items[i] as StackItem);
      if (!this.hashable(key)) this.fail(`unhashable dict key of type ${this.typeName(key)}`);
      target.set(key, this.value(items[i + 1] as StackItem));
    }
  }

  /**
   * A memo index to store at. Picklers number the memo from 0, so an index beyond the size of
   * the pickle is never written; CPython's C unpickler would allocate that many slots (a
   * MemoryError for 2^31), its pure-Python one would not: refused.
   */
  private memoKey(k: number | bigint, op: string): number {
    if (k < 0) this.fail(`negative ${op} argument`);
    if (k > this.buf.length) this.fail(`${op} index ${k} is beyond the size of the pickle (${this.buf.length} bytes)`);
    return Number(k);
  }

  private get(k: number | bigint): void {
    const v = typeof k === 'number' ? this.memo.get(k) : undefined;
    if (v === undefined) this.fail(`memo value not found at index ${k}`);
    this.push(v);
  }

  load(): PickleValue {
    for (;;) {
      this.opPos = this.pos;
      if (this.pos >= this.buf.length) fail(`truncated: the data ends at byte ${this.pos} before STOP`);
      const op = this.u8();
      switch (op) {
        case 0x2e: return this.value(this.pop()); // STOP
        case 0x80: { // PROTO
          const p = this.u8();
          if (p > HIGHEST_PROTOCOL) this.fail(`unsupported pickle protocol ${p}`);
          break;
        }
        case 0x95: { // FRAME
          const size = this.u64();
          if (this.frameEnd >= 0 && this.pos < this.frameEnd) this.fail('beginning of a new frame before end of current frame');
          if (size > this.buf.length - this.pos) this.fail(`truncated: a frame of ${size} bytes, ${this.buf.length - this.pos} left`);
          this.frameEnd = this.pos + size;
          break;
        }
        case 0x28: this.metastack.push(this.stack); this.stack = []; break; // MARK
        case 0x30: if (this.stack.length) this.stack.pop(); else this.popMark(); break; // POP
        case 0x31: this.popMark(); break; // POP_MARK
        case 0x32: this.push(this.top()); break; // DUP
        case 0x4e: this.push(null); break; // NONE
        case 0x88: this.push(true); break; // NEWTRUE
        case 0x89: this.push(false); break; // NEWFALSE
        case 0x49: { // INT: decimal text; 00 and 01 are Python 2's False and True
          this.push(this.text((l) => {
            const s = l.toString('latin1');
            return s === '00' ? false : s === '01' ? true : parseDecimal(s);
          }));
          break;
        }
        case 0x4c: this.push(this.text((l) => parseDecimal(l.toString('latin1').replace(/L$/, '')))); break; // LONG
        case 0x4a: this.push(this.read(4).readInt32LE(0)); break; // BININT
        case 0x4b: this.push(this.u8()); break; // BININT1
        case 0x4d: this.push(this.read(2).readUInt16LE(0)); break; // BININT2
        case 0x8a: this.push(this.long(this.read(this.u8()))); break; // LONG1
        case 0x8b: { // LONG4
          const n = this.read(4).readInt32LE(0);
          if (n < 0) this.fail('LONG4 with a negative byte count');
          this.push(this.long(this.read(n)));
          break;
        }
        case 0x46: this.push(this.text((l) => parseFloatText(l.toString('latin1')))); break; // FLOAT
        case 0x47: this.push(this.read(8).readDoubleBE(0)); break; // BINFLOAT
        case 0x53: this.push(this.text(parseQuotedString)); break; // STRING (Python 2 str, quoted)
        case 0x54: { // BINSTRING (Python 2 str)
          const n = this.read(4).readInt32LE(0);
          if (n < 0) this.fail('BINSTRING with a negative byte count');
          this.push(this.read(n).toString('latin1'));
          break;
        }
        case 0x55: this.push(this.read(this.u8()).toString('latin1')); break; // SHORT_BINSTRING
        case 0x56: this.push(this.text(parseRawUnicodeEscape)); break; // UNICODE
        case 0x58: this.push(this.utf8(this.read(this.read(4).readUInt32LE(0)))); break; // BINUNICODE
        case 0x8c: this.push(this.utf8(this.read(this.u8()))); break; // SHORT_BINUNICODE
        case 0x8d: this.push(this.utf8(this.read(this.u64()))); break; // BINUNICODE8
        case 0x42: this.push(new Uint8Array(this.read(this.read(4).readUInt32LE(0)))); break; // BINBYTES
        case 0x43: this.push(new Uint8Array(this.read(this.u8()))); break; // SHORT_BINBYTES
        case 0x8e: this.push(new Uint8Array(this.read(this.u64()))); break; // BINBYTES8
        case 0x5d: this.push([]); break; // EMPTY_LIST
        case 0x7d: this.push(new Map()); break; // EMPTY_DICT
        case 0x29: this.push(this.tuple([])); break; // EMPTY_TUPLE
        case 0x6c: this.push(this.values(this.popMark())); break; // LIST
        case 0x74: this.push(this.tuple(this.popMark())); break; // TUPLE
        case 0x85: this.push(this.tuple([this.pop()])); break; // TUPLE1
        case 0x86: { const b = this.pop(); this.push(this.tuple([this.pop(), b])); break; } // TUPLE2
        case 0x87: { const c = this.pop(); const b = this.pop(); this.push(this.tuple([this.pop(), b, c])); break; } // TUPLE3
        case 0x64: { const d = new Map(); this.setItems(d, this.popMark(), 'DICT'); this.push(d); break; } // DICT
        case 0x8f: this.push(this.newSet('set', [])); break; // EMPTY_SET
        case 0x91: this.push(this.newSet('frozenset', this.popMark())); break; // FROZENSET
        case 0x90: { // ADDITEMS
          const items = this.popMark();
          const set = this.top();
          if (!Array.isArray(set) || this.kinds.get(set) !== 'set') this.fail(`ADDITEMS on a ${this.typeName(set)}, not a set`);
          this.addToSet(set, items);
          break;
        }
        case 0x61: { const v = this.value(this.pop()); this.list(this.top(), 'APPEND').push(v); break; } // APPEND
        case 0x65: { // APPENDS: a loop, not push(...items), which overflows the stack for large lists
          const items = this.values(this.popMark());
          const list = this.list(this.top(), 'APPENDS');
          for (const v of items) list.push(v);
          break;
        }
        case 0x73: { const v = this.pop(); const k = this.pop(); this.setItems(this.top(), [k, v], 'SETITEM'); break; } // SETITEM
        case 0x75: { const items = this.popMark(); this.setItems(this.top(), items, 'SETITEMS'); break; } // SETITEMS
        case 0x70: { // PUT
          const k = this.memoKey(this.text((l) => parseDecimal(l.toString('latin1'))), 'PUT');
          this.memo.set(k, this.top());
          break;
        }
        case 0x71: this.memo.set(this.memoKey(this.u8(), 'BINPUT'), this.top()); break; // BINPUT
        case 0x72: this.memo.set(this.memoKey(this.read(4).readUInt32LE(0), 'LONG_BINPUT'), this.top()); break; // LONG_BINPUT
        case 0x94: this.memo.set(this.memo.size, this.top()); break; // MEMOIZE
        case 0x67: this.get(this.text((l) => parseDecimal(l.toString('latin1')))); break; // GET
        case 0x68: this.get(this.u8()); break; // BINGET
        case 0x6a: this.get(this.read(4).readUInt32LE(0)); break; // LONG_BINGET
        case 0x63: { // GLOBAL
          const module = this.text((l) => l.toString('latin1'));
          const name = this.text((l) => l.toString('latin1'));
          this.push(this.global(module, name));
          break;
        }
        case 0x93: { // STACK_GLOBAL
          const name = this.pop();
          const module = this.pop();
          if (typeof name !== 'string' || typeof module !== 'string') this.fail('STACK_GLOBAL requires str');
          this.push(this.global(module, name));
          break;
        }
        case 0x52: { // REDUCE
          const args = this.pop();
          const fn = this.pop();
          if (!isGlobal(fn)) this.fail(`REDUCE on a ${this.typeName(fn)}, not a callable`);
          if (!Array.isArray(args)) this.fail(`REDUCE with ${this.typeName(args)} arguments, not a tuple`);
          this.push(this.call(fn, args));
          break;
        }
        case 0x62: this.build(); break; // BUILD
        default: // object construction, persistent ids, extension codes, out-of-band buffers
          this.fail(NAMES[op] ? `${NAMES[op]} is not supported (it builds objects this reader does not read)` : `unknown opcode 0x${op.toString(16)}`);
      }
    }
  }

  /** LONG1/LONG4: two's complement, little-endian (pickle.py decode_long). */
  private long(b: Buffer): number | bigint {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i] as number);
    if ((b[b.length - 1] as number) & 0x80) v -= 1n << BigInt(8 * b.length);
    return intValue(v);
  }

  private utf8(b: Buffer): string {
    return this.guard(() => decodeUtf8SurrogatePass(b));
  }

  /** Runs a decoder from pickle_text / pickle_numpy; its Error becomes this reader's error. */
  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      return this.fail((e as Error).message);
    }
  }

  /** The few globals a metadata pickle may call (see module doc). */
  private call(fn: Global, args: PickleValue[]): PickleValue {
    const name = `${fn.module}.${fn.name}`;
    if (name === 'numpy.dtype') return this.guard(() => numpyDtype(args));
    if (NUMPY_SCALAR.has(name)) return this.guard(() => numpyScalar(args));
    if (name === '_codecs.encode') {
      // Python 3 writes bytes at protocols 0-2 as _codecs.encode(str, 'latin1').
      if (typeof args[0] !== 'string' || args[1] !== 'latin1' || args.length !== 2) this.fail("_codecs.encode other than (str, 'latin1')");
      return this.guard(() => latin1Bytes(args[0] as string, '_codecs.encode data'));
    }
    if ((name === '__builtin__.bytes' || name === 'builtins.bytes') && args.length === 0) return new Uint8Array(0);
    if (name === '__builtin__.set' || name === 'builtins.set' || name === '__builtin__.frozenset' || name === 'builtins.frozenset') {
      const items = args.length === 0 ? [] : args[0];
      if (!Array.isArray(items) || args.length > 1) this.fail(`${name} of a ${this.typeName(items ?? null)}`);
      return this.newSet(fn.name === 'set' ? 'set' : 'frozenset', items);
    }
    return this.fail(`refusing to call ${name}`);
  }

  /** BUILD: only numpy's dtype state is understood (see pickle_numpy.ts). */
  private build(): void {
    const state = this.pop();
    const obj = this.top();
    if (!isDtype(obj)) this.fail(`BUILD on a ${this.typeName(obj)}`);
    this.guard(() => buildDtype(obj, this.value(state)));
  }
}
