// SPDX-License-Identifier: MIT
/**
 * The numpy objects a metadata pickle may hold: int, float and bool scalars (AttnGAN-era
 * `class_info.pickle` files store numpy ints), rebuilt from numpy's own reduce format,
 * `scalar(dtype(descr, align, copy), data)` with the dtype's state set by BUILD. Only what
 * numpy writes for a plain numeric dtype is read; each function throws an Error naming what
 * else it met, which the unpickler reports with the opcode and position.
 * @private
 */
import type { PickleValue } from './pickle.js';
import { intValue, latin1Bytes } from './pickle_text.js';

/** Reconstructed `numpy.dtype` (only what scalar decoding needs). */
export interface NumpyDtype {
  kind: 'numpy.dtype';
  descr: string;
  littleEndian: boolean;
}

/** numpy's scalar constructor, as numpy 1 and numpy 2 name it. */
export const NUMPY_SCALAR = new Set(['numpy.core.multiarray.scalar', 'numpy._core.multiarray.scalar']);

/** dtype codes a scalar can be decoded from, with their item sizes. */
const ITEM_SIZE: Readonly<Record<string, number>> = { i1: 1, u1: 1, b1: 1, i2: 2, u2: 2, i4: 4, u4: 4, f4: 4, f8: 8, i8: 8, u8: 8 };

/** Python bools as numpy's reduce writes them (0/1 from Python 2, False/True from Python 3). */
const FLAGS = new Set<unknown>([0, 1, false, true]);

export function isDtype(v: unknown): v is NumpyDtype {
  return typeof v === 'object' && v !== null && (v as NumpyDtype).kind === 'numpy.dtype';
}

/** `numpy.dtype(descr, align, copy)`. */
export function numpyDtype(args: PickleValue[]): NumpyDtype {
  const [descr, align, copy] = args;
  if (typeof descr !== 'string' || !Object.hasOwn(ITEM_SIZE, descr)) throw new Error(`unsupported numpy dtype ${String(descr).slice(0, 20)}`);
  if (args.length !== 3 || !FLAGS.has(align) || !FLAGS.has(copy)) throw new Error('numpy.dtype arguments other than (descr, align, copy)');
  return { kind: 'numpy.dtype', descr, littleEndian: true };
}

/**
 * BUILD on a dtype: numpy writes (3, byte order, None, None, None, -1, -1, 0) for a plain
 * numeric dtype; it refuses other versions and reads other fields as structured or object dtypes.
 */
export function buildDtype(dtype: NumpyDtype, state: PickleValue): void {
  const plain = Array.isArray(state) && state.length === 8 && state[0] === 3 && (state[1] === '<' || state[1] === '>' || state[1] === '|') &&
    state[2] === null && state[3] === null && state[4] === null && state[5] === -1 && state[6] === -1 && state[7] === 0;
  if (!plain) throw new Error('numpy.dtype state other than (3, byte order, None, None, None, -1, -1, 0)');
  dtype.littleEndian = state[1] !== '>';
}

/** `numpy...scalar(dtype, data)`: the value as a number (bigint beyond 2^53, bool for b1). */
export function numpyScalar(args: PickleValue[]): number | bigint | boolean {
  const [dtype, raw] = args;
  if (!isDtype(dtype) || args.length !== 2) throw new Error('numpy scalar without (dtype, data)');
  const bytes = latin1Bytes(raw, 'numpy scalar data');
  if (bytes.length !== ITEM_SIZE[dtype.descr]) throw new Error(`numpy ${dtype.descr} scalar with ${bytes.length} data bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = dtype.littleEndian;
  switch (dtype.descr) {
    case 'i1': return view.getInt8(0);
    case 'u1': return view.getUint8(0);
    case 'b1': return view.getUint8(0) !== 0;
    case 'i2': return view.getInt16(0, le);
    case 'u2': return view.getUint16(0, le);
    case 'i4': return view.getInt32(0, le);
    case 'u4': return view.getUint32(0, le);
    case 'f4': return view.getFloat32(0, le);
    case 'f8': return view.getFloat64(0, le);
    case 'i8': return intValue(view.getBigInt64(0, le));
    default: return intValue(view.getBigUint64(0, le));  // u8: the only code left in ITEM_SIZE
  }
}
