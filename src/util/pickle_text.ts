// SPDX-License-Identifier: MIT
/**
 * Decoders for the text arguments of pickle protocols 0 and 1 (what Python 2's `pickle.dump`
 * writes by default) and for the UTF-8 of the binary string opcodes, each as strict as
 * CPython's `Lib/pickle.py` `_Unpickler` and `_pickle.c` agree on. Each returns the value or
 * throws an Error whose message is the reason; the unpickler adds the opcode and position.
 * @private
 */

/** CPython 3.11+ refuses to convert integer strings longer than this (sys.int_info). */
export const MAX_INT_DIGITS = 4300;

/** An int as JS sees it: a number when exact, a bigint beyond 2^53 (Python ints are unbounded). */
export function intValue(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/**
 * The decimal argument of INT / LONG / GET / PUT. Python's `int()` also takes spaces, `+` and
 * `_`, and `_pickle.c` reads INT with strtol base 0 (`010` is 8 there, 10 in pickle.py; `-0`
 * is False there, 0 in pickle.py); no pickler writes those forms, so they are refused rather
 * than guessed.
 */
export function parseDecimal(text: string): number | bigint {
  if (!/^(0|-?[1-9][0-9]*)$/.test(text)) throw new Error(`'${shorten(text)}' is not a decimal integer`);
  const digits = text.length - (text.startsWith('-') ? 1 : 0);
  if (digits > MAX_INT_DIGITS) throw new Error(`an integer of ${digits} digits exceeds Python's limit of ${MAX_INT_DIGITS}`);
  return intValue(BigInt(text));
}

const FLOAT = /^[+-]?(([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?|inf|infinity|nan)$/i;

/** The argument of FLOAT: Python's `repr(float)` forms, including nan and inf. */
export function parseFloatText(text: string): number {
  if (!FLOAT.test(text)) throw new Error(`'${shorten(text)}' is not a float`);
  const t = text.toLowerCase().replace(/^\+/, '');
  if (t === 'nan' || t === '-nan') return Number.NaN;
  if (t === 'inf' || t === 'infinity') return Number.POSITIVE_INFINITY;
  if (t === '-inf' || t === '-infinity') return Number.NEGATIVE_INFINITY;
  return Number(t);
}

const SIMPLE_ESCAPES: Record<string, number> = {
  '\\': 0x5c, "'": 0x27, '"': 0x22, a: 0x07, b: 0x08, f: 0x0c, n: 0x0a, r: 0x0d, t: 0x09, v: 0x0b,
};

/**
 * The argument of STRING (Python 2 `str`): a quoted `repr`, unescaped as `codecs.escape_decode`
 * does. The bytes become a latin-1 string, as for BINSTRING.
 */
export function parseQuotedString(line: Uint8Array): string {
  const n = line.length;
  const q = line[0];
  if (n < 2 || line[n - 1] !== q || (q !== 0x27 && q !== 0x22)) throw new Error('the STRING opcode argument must be quoted');
  const out: number[] = [];
  for (let i = 1; i < n - 1; i++) {
    const c = line[i] as number;
    if (c !== 0x5c) {
      out.push(c);
      continue;
    }
    if (i + 1 >= n - 1) throw new Error('a trailing \\ in a STRING argument');
    const e = String.fromCharCode(line[++i] as number);
    if (e === '\n') continue;  // line continuation
    if (e in SIMPLE_ESCAPES) {
      out.push(SIMPLE_ESCAPES[e] as number);
    } else if (e >= '0' && e <= '7') {
      let v = Number(e);
      for (let k = 0; k < 2 && i + 1 < n - 1 && line[i + 1]! >= 0x30 && line[i + 1]! <= 0x37; k++) v = v * 8 + (line[++i]! - 0x30);
      if (v > 0xff) throw new Error(`an octal escape \\${v.toString(8)} above \\377 in a STRING argument`);
      out.push(v);
    } else if (e === 'x') {
      const h = String.fromCharCode(line[i + 1] ?? 0, line[i + 2] ?? 0);
      if (i + 2 >= n - 1 || !/^[0-9a-fA-F]{2}$/.test(h)) throw new Error('an invalid \\x escape in a STRING argument');
      out.push(Number.parseInt(h, 16));
      i += 2;
    } else {
      out.push(0x5c, e.charCodeAt(0));  // unknown escapes stay as written, as in Python
    }
  }
  return Buffer.from(out).toString('latin1');
}

/**
 * The argument of UNICODE: `raw-unicode-escape`, i.e. latin-1 bytes in which `\uXXXX` and
 * `\UXXXXXXXX` (after an odd number of backslashes) are code points.
 */
export function parseRawUnicodeEscape(line: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < line.length) {
    const c = line[i] as number;
    if (c !== 0x5c) {
      out += String.fromCharCode(c);
      i++;
      continue;
    }
    let run = 0;
    while (i < line.length && line[i] === 0x5c) {
      run++;
      i++;
    }
    const u = line[i];
    if (run % 2 === 0 || (u !== 0x75 && u !== 0x55)) {
      out += '\\'.repeat(run);
      continue;
    }
    out += '\\'.repeat(run - 1);
    const digits = u === 0x75 ? 4 : 8;
    const hex = Buffer.from(line.subarray(i + 1, i + 1 + digits)).toString('latin1');
    if (hex.length !== digits || !/^[0-9a-fA-F]+$/.test(hex)) {
      throw new Error(`a truncated \\${u === 0x75 ? 'uXXXX' : 'UXXXXXXXX'} escape in a UNICODE argument`);
    }
    const cp = Number.parseInt(hex, 16);
    if (cp > 0x10ffff) throw new Error(`\\U${hex} is out of the Unicode range`);
    out += String.fromCodePoint(cp);
    i += 1 + digits;
  }
  return out;
}

/** Bytes carried as a Python 2 `str` (a latin-1 string here) or as Python 3 bytes. */
export function latin1Bytes(v: unknown, what: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v !== 'string') throw new Error(`${what} is not bytes`);
  const out = new Uint8Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c > 0xff) throw new Error(`${what} has a character beyond latin-1`);  // Python: UnicodeEncodeError
    out[i] = c;
  }
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * UTF-8 with Python's 'surrogatepass' (BINUNICODE and friends): encoded surrogates
 * (ED A0 80..ED BF BF) are code units, everything else must be valid UTF-8.
 */
export function decodeUtf8SurrogatePass(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    // Fall through: either encoded surrogates (allowed) or invalid UTF-8 (refused below).
  }
  let out = '';
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0xed && i + 2 < bytes.length && (bytes[i + 1]! & 0xe0) === 0xa0 && (bytes[i + 2]! & 0xc0) === 0x80) {
      out += decodeStrict(bytes.subarray(start, i));
      out += String.fromCharCode(0xd000 | ((bytes[i + 1]! & 0x3f) << 6) | (bytes[i + 2]! & 0x3f));
      i += 2;
      start = i + 1;
    }
  }
  return out + decodeStrict(bytes.subarray(start));
}

function decodeStrict(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new Error('a string that is not valid UTF-8');
  }
}

function shorten(text: string): string {
  const t = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  return JSON.stringify(t).slice(1, -1);
}
