// SPDX-License-Identifier: MIT
/**
 * A small Python pickle reader for the metadata files of the AttnGAN/MirrorGAN layouts
 * (reference §8.3): `filenames.pickle` (list of str), `class_info.pickle` (list of numpy int
 * scalars or ints) and `captions.pickle` (lists, dicts, ints, str). Protocols 0–5 opcodes that
 * such files use are supported; anything else (arbitrary classes) is rejected, so reading a
 * pickle never executes code.
 *
 * Mapping: list/tuple → Array, dict → Map, str/unicode → string, Python 2 str (BINSTRING) →
 * string (latin-1), bytes → Uint8Array, int → number (bigint beyond 2^53), numpy scalar → number.
 */
import { DataError } from '../../lib/errors.js';

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

/** Reconstructed `numpy.dtype` (only what scalar decoding needs). @private */
interface NumpyDtype {
  kind: 'numpy.dtype';
  descr: string;
  littleEndian: boolean;
}

type Global = { kind: 'global'; module: string; name: string };
type StackItem = PickleValue | Global | typeof MARK;
const MARK = Symbol('mark');

const NUMPY_SCALAR = new Set(['numpy.core.multiarray.scalar', 'numpy._core.multiarray.scalar']);

function isDtype(v: unknown): v is NumpyDtype {
  return typeof v === 'object' && v !== null && (v as NumpyDtype).kind === 'numpy.dtype';
}

function isGlobal(v: unknown): v is Global {
  return typeof v === 'object' && v !== null && (v as Global).kind === 'global';
}

function fail(message: string): never {
  throw new DataError('ERR_DATA_BAD_FORMAT', `Pickle: ${message}`);
}

function numpyScalar(dtype: NumpyDtype, raw: Uint8Array): number | bigint {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const le = dtype.littleEndian;
  switch (dtype.descr) {
    case 'i1': return view.getInt8(0);
    case 'u1': case 'b1': return view.getUint8(0);
    case 'i2': return view.getInt16(0, le);
    case 'u2': return view.getUint16(0, le);
    case 'i4': return view.getInt32(0, le);
    case 'u4': return view.getUint32(0, le);
    case 'f4': return view.getFloat32(0, le);
    case 'f8': return view.getFloat64(0, le);
    case 'i8': case 'u8': {
      const v = dtype.descr === 'i8' ? view.getBigInt64(0, le) : view.getBigUint64(0, le);
      return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
    }
    default: return fail(`unsupported numpy dtype ${dtype.descr}`);
  }
}

function callGlobal(fn: Global, args: PickleValue[]): PickleValue {
  const name = `${fn.module}.${fn.name}`;
  if (name === 'numpy.dtype') {
    const descr = String(args[0]);
    return { kind: 'numpy.dtype', descr, littleEndian: true };
  }
  if (NUMPY_SCALAR.has(name)) {
    const [dtype, raw] = args;
    if (!isDtype(dtype)) return fail('numpy scalar without dtype');
    const bytes = typeof raw === 'string' ? Uint8Array.from(raw, (c) => c.charCodeAt(0)) : raw;
    if (!(bytes instanceof Uint8Array)) return fail('numpy scalar without data');
    return numpyScalar(dtype, bytes);
  }
  if (name === '_codecs.encode') {
    // Python 3 writes bytes at protocol 2 as _codecs.encode(str, 'latin1').
    const text = String(args[0]);
    return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
  }
  if (name === '__builtin__.set' || name === 'builtins.set') return Array.isArray(args[0]) ? args[0] : [];
  return fail(`refusing to call ${name}`);
}

/** Parses pickle bytes into plain JS values (see module doc for the mapping). */
export function readPickle(bytes: Uint8Array): PickleValue {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  const stack: StackItem[] = [];
  const memo = new Map<number, StackItem>();

  const need = (n: number): void => {
    if (pos + n > buf.length) fail('truncated data');
  };
  const u8 = (): number => { need(1); return buf[pos++] as number; };
  const u16 = (): number => { need(2); const v = buf.readUInt16LE(pos); pos += 2; return v; };
  const u32 = (): number => { need(4); const v = buf.readUInt32LE(pos); pos += 4; return v; };
  const i32 = (): number => { need(4); const v = buf.readInt32LE(pos); pos += 4; return v; };
  const u64 = (): number => { need(8); const v = Number(buf.readBigUInt64LE(pos)); pos += 8; return v; };
  const take = (n: number): Buffer => { need(n); const b = buf.subarray(pos, pos + n); pos += n; return b; };
  const line = (): string => {
    const end = buf.indexOf(0x0a, pos);
    if (end < 0) fail('truncated text line');
    const s = buf.toString('latin1', pos, end);
    pos = end + 1;
    return s;
  };
  const pop = (): StackItem => {
    if (stack.length === 0) fail('stack underflow');
    return stack.pop() as StackItem;
  };
  const top = (): StackItem => {
    if (stack.length === 0) fail('stack underflow');
    return stack[stack.length - 1] as StackItem;
  };
  const popMark = (): PickleValue[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) fail('no MARK on stack');
    const items = stack.splice(i);
    items.shift();
    return items as PickleValue[];
  };
  const longLE = (b: Buffer): number | bigint => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i] as number);
    if ((b[b.length - 1] as number) & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const setItems = (dict: StackItem, items: PickleValue[]): void => {
    if (!(dict instanceof Map)) fail('SETITEM on a non-dict');
    for (let i = 0; i + 1 < items.length; i += 2) dict.set(items[i] as PickleValue, items[i + 1] as PickleValue);
  };
  const appendTo = (list: StackItem, items: PickleValue[]): void => {
    if (!Array.isArray(list)) fail('APPEND on a non-list');
    list.push(...items);
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: u8(); break; // PROTO
      case 0x95: u64(); break; // FRAME
      case 0x2e: { // STOP
        const v = pop();
        if (v === MARK || isGlobal(v)) fail('bad final value');
        return v as PickleValue;
      }
      case 0x28: stack.push(MARK); break; // MARK
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x29: stack.push([]); break; // EMPTY_TUPLE
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x74: stack.push(popMark()); break; // TUPLE
      case 0x64: { const m = new Map(); setItems(m, popMark()); stack.push(m); break; } // DICT
      case 0x85: stack.push([pop() as PickleValue]); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push([a, b] as PickleValue[]); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push([a, b, c] as PickleValue[]); break; } // TUPLE3
      case 0x61: { const v = pop() as PickleValue; appendTo(top(), [v]); break; } // APPEND
      case 0x65: { const items = popMark(); appendTo(top(), items); break; } // APPENDS
      case 0x73: { const v = pop() as PickleValue; const k = pop() as PickleValue; setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(top(), items); break; } // SETITEMS
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x8a: stack.push(longLE(take(u8()))); break; // LONG1
      case 0x8b: stack.push(longLE(take(u32()))); break; // LONG4
      case 0x49: { // INT (protocol 0)
        const s = line();
        stack.push(s === '01' ? true : s === '00' ? false : Number.parseInt(s, 10));
        break;
      }
      case 0x4c: stack.push(Number.parseInt(line().replace(/L$/, ''), 10)); break; // LONG (protocol 0)
      case 0x47: { need(8); stack.push(buf.readDoubleBE(pos)); pos += 8; break; } // BINFLOAT
      case 0x58: stack.push(take(u32()).toString('utf8')); break; // BINUNICODE
      case 0x8c: stack.push(take(u8()).toString('utf8')); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(take(u64()).toString('utf8')); break; // BINUNICODE8
      case 0x54: stack.push(take(u32()).toString('latin1')); break; // BINSTRING (Python 2 str)
      case 0x55: stack.push(take(u8()).toString('latin1')); break; // SHORT_BINSTRING
      case 0x42: stack.push(new Uint8Array(take(u32()))); break; // BINBYTES
      case 0x43: stack.push(new Uint8Array(take(u8()))); break; // SHORT_BINBYTES
      case 0x8e: stack.push(new Uint8Array(take(u64()))); break; // BINBYTES8
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: case 0x6a: { // BINGET, LONG_BINGET
        const k = op === 0x68 ? u8() : u32();
        if (!memo.has(k)) fail(`memo key ${k} missing`);
        stack.push(memo.get(k) as StackItem);
        break;
      }
      case 0x63: { const module = line(); const name = line(); stack.push({ kind: 'global', module, name }); break; } // GLOBAL
      case 0x93: { const name = pop(); const module = pop(); stack.push({ kind: 'global', module: String(module), name: String(name) }); break; } // STACK_GLOBAL
      case 0x52: { // REDUCE
        const args = pop();
        const fn = pop();
        if (!isGlobal(fn) || !Array.isArray(args)) fail('REDUCE needs a global and a tuple');
        stack.push(callGlobal(fn, args));
        break;
      }
      case 0x62: { // BUILD: only numpy.dtype state (byte order) is understood
        const state = pop();
        const obj = top();
        if (!isDtype(obj)) fail('BUILD on an unsupported object');
        if (Array.isArray(state) && typeof state[1] === 'string') obj.littleEndian = state[1] !== '>';
        break;
      }
      default:
        fail(`unsupported opcode 0x${op.toString(16)} at byte ${pos - 1}`);
    }
  }
}
