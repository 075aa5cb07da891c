// SPDX-License-Identifier: MIT
/**
 * The canonical form of scripts/pickle_fixtures.py `canon`, computed from readPickle's output,
 * so values can be compared with what CPython read from the same bytes.
 */
import type { PickleValue } from '../../src/util/pickle.js';

export type Canon = null | { [kind: string]: unknown };

function floatBits(v: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  return Buffer.from(view.buffer).toString('hex');
}

/** Dict pairs (and expected ones) in one order, whatever order each side produced them in. */
export function sortPairs(c: unknown): unknown {
  if (Array.isArray(c)) return c.map(sortPairs);
  if (c === null || typeof c !== 'object') return c;
  const o = c as Record<string, unknown>;
  if ('dict' in o) {
    const pairs = (o.dict as unknown[][]).map((p) => p.map(sortPairs));
    return { dict: pairs.sort((a, b) => (JSON.stringify(a[0]) < JSON.stringify(b[0]) ? -1 : 1)) };
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, sortPairs(v)]));
}

export function canon(v: PickleValue, path: object[] = []): Canon {
  if (v === null) return null;
  if (typeof v === 'boolean') return { bool: v };
  if (typeof v === 'bigint') return { num: v.toString() };
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) <= 2 ** 53 ? { num: String(v) } : { float: floatBits(v) };
  if (typeof v === 'string') return { str: v };
  if (v instanceof Uint8Array) return { bytes: Buffer.from(v).toString('hex') };
  if (Array.isArray(v) || v instanceof Map) {
    const at = path.indexOf(v);
    if (at >= 0) return { cycle: path.length - at };
    const inner = [...path, v];
    if (Array.isArray(v)) return { list: v.map((x) => canon(x, inner)) };
    return sortPairs({ dict: [...v].map(([k, x]) => [canon(k, inner), canon(x, inner)]) }) as Canon;
  }
  throw new Error(`no canonical form for ${JSON.stringify(v)}`);
}

/** `json.dumps(c, sort_keys=True)` as Python writes it (", " and ": ", every non-ASCII character escaped). */
export function pyJson(c: unknown): string {
  if (c === null) return 'null';
  if (typeof c === 'boolean') return c ? 'true' : 'false';
  if (typeof c === 'number') return String(c);  // only the small integers of {cycle: n}
  if (typeof c === 'string') {
    let out = '"';
    for (let i = 0; i < c.length; i++) {
      const ch = c[i] as string;
      const code = c.charCodeAt(i);
      const named: Record<string, string> = { '\\': '\\\\', '"': '\\"', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
      out += named[ch] ?? (code < 0x20 || code > 0x7e ? `\\u${code.toString(16).padStart(4, '0')}` : ch);
    }
    return `${out}"`;
  }
  if (Array.isArray(c)) return `[${c.map(pyJson).join(', ')}]`;
  const o = c as Record<string, unknown>;
  return `{${Object.keys(o).sort().map((k) => `${pyJson(k)}: ${pyJson(o[k])}`).join(', ')}}`;
}

/** The canonical form with dict pairs sorted as Python sorts them (by the key's pyJson). */
export function pySorted(c: unknown): unknown {
  if (Array.isArray(c)) return c.map(pySorted);
  if (c === null || typeof c !== 'object') return c;
  const o = c as Record<string, unknown>;
  if ('dict' in o) {
    const pairs = (o.dict as unknown[][]).map((p) => p.map(pySorted));
    return { dict: pairs.sort((a, b) => (pyJson(a[0]) < pyJson(b[0]) ? -1 : pyJson(a[0]) > pyJson(b[0]) ? 1 : 0)) };
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, pySorted(v)]));
}
