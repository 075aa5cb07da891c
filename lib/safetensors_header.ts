// SPDX-License-Identifier: MIT
/**
 * The safetensors JSON header, read as strictly as the format is specified
 * (https://github.com/huggingface/safetensors#format) and enforced by the reference Rust reader
 * (safetensors/src/tensor.rs: `read_metadata`, `Metadata::validate`):
 *
 * - valid UTF-8 that starts with `{`; only spaces (0x20) may follow the closing `}`;
 * - no duplicate keys; `__metadata__` maps strings to strings;
 * - each tensor has exactly `dtype`, `shape` and `data_offsets`; sizes and offsets are JSON
 *   integers (`400.0`, `4e2` and `-0` are refused, as serde_json refuses them for `usize`);
 * - shape x dtype size = byte length, and the tensors cover the data section exactly,
 *   without holes or overlaps.
 *
 * A hand-written parser instead of JSON.parse: JSON.parse keeps the last of duplicate keys,
 * hides how numbers were written and builds a 200,000-key object in seconds; this one reads
 * the fixed schema in one linear pass and never nests deeper than the schema does.
 */

/** Item sizes of the dtypes this reader loads. */
export const ITEM_SIZE: ReadonlyMap<string, number> = new Map([
  ['F64', 8], ['I64', 8], ['F32', 4], ['I32', 4], ['F16', 2], ['BF16', 2], ['I16', 2], ['I8', 1], ['U8', 1], ['BOOL', 1],
]);

/** Dtypes the reference implementation knows but LibTorch 1.13 (or this reader) cannot hold. */
const OTHER_DTYPES = new Set([
  'F4', 'F6_E2M3', 'F6_E3M2', 'F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'F8_E4M3FNUZ', 'F8_E5M2FNUZ', 'U16', 'U32', 'U64', 'C64',
]);

export interface SafetensorsEntry {
  name: string;
  dtype: string;
  shape: number[];
  /** Offsets into the data section (end exclusive). */
  begin: number;
  end: number;
}

export interface ParsedHeader {
  /** Tensors in data order. */
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
}

/** Field names and dtypes as they appear in the text, matched without building strings. */
const QUOTED_FIELDS = ['dtype', 'shape', 'data_offsets'].map((w) => [`"${w}"`, w] as const);
const QUOTED_DTYPES = [...ITEM_SIZE.keys()].map((w) => [`"${w}"`, w] as const);

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Stands for the subject in message labels (a control character: never part of a quoted name). */
const SUBJECT = '\u0000';

/** A name as it appears in messages: quoted, escaped (no raw control characters), shortened. */
function quote(s: string): string {
  const q = JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);
  return q.replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A cursor over the header text; `fail` raises the caller's error with a reason. Messages name
 * what was being read with a constant label in which SUBJECT stands for the subject at hand (a
 * tensor or metadata key, quoted only when a message is built), so a 200,000-tensor header
 * builds no message strings or closures.
 */
class Reader {
  pos = 0;
  private kind = '';
  private name = '';
  constructor(private readonly s: string, private readonly onFail: (why: string) => never) {}

  /** What `$` stands for in the labels that follow: `tensor "w"`, `__metadata__ "k"`. */
  about(kind: string, name: string): void {
    this.kind = kind;
    this.name = name;
  }

  fail(why: string): never {
    return this.onFail(why.replace(SUBJECT, () => `${this.kind}${quote(this.name)}`));
  }

  /** A failure of the JSON syntax itself (as opposed to the safetensors schema). */
  syntax(why: string): never {
    return this.fail(`the header is not valid JSON: ${why}`);
  }

  private at(): string {
    return this.pos < this.s.length ? `character ${this.pos}` : 'the end of the header';
  }

  private shown(): string {
    return this.pos < this.s.length ? JSON.stringify(this.s[this.pos]) : 'nothing';
  }

  peek(): number {
    return this.s.charCodeAt(this.pos);
  }

  ws(): void {
    for (let c = this.peek(); c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = this.peek()) this.pos++;
  }

  expect(code: number, what: string): void {
    if (this.peek() !== code) this.syntax(`expected ${what} at ${this.at()} but found ${this.shown()}`);
    this.pos++;
  }

  /** After a member or element: true when another follows (`,`), false at the closing bracket. */
  more(close: number, what: string): boolean {
    this.ws();
    const c = this.peek();
    if (c === 0x2c) {
      this.pos++;
      this.ws();
      return true;
    }
    if (c === close) {
      this.pos++;
      return false;
    }
    return this.syntax(`expected ',' or '${String.fromCharCode(close)}' after ${what} at ${this.at()} but found ${this.shown()}`);
  }

  /** One of `words` ([as written, value]) without building a string, else the string as read. */
  word(words: readonly (readonly [string, string])[], what: string): string {
    for (const [quoted, value] of words) {
      if (this.s.startsWith(quoted, this.pos)) {
        this.pos += quoted.length;
        return value;
      }
    }
    return this.string(what);
  }

  string(what: string): string {
    if (this.peek() !== 0x22) this.syntax(`expected a string for ${what} at ${this.at()} but found ${this.shown()}`);
    const s = this.s;
    let start = ++this.pos;
    let out = '';
    for (;;) {
      if (this.pos >= s.length) this.syntax(`unterminated string in ${what}`);
      const c = s.charCodeAt(this.pos);
      if (c === 0x22) {
        out += s.slice(start, this.pos++);
        return out;
      }
      if (c < 0x20) this.syntax(`a raw control character (0x${c.toString(16)}) in ${what}; JSON requires it escaped`);
      if (c === 0x5c) {
        out += s.slice(start, this.pos) + this.escape(what);
        start = this.pos;
      } else {
        this.pos++;
      }
    }
  }

  private escape(what: string): string {
    const e = this.s[++this.pos];
    this.pos++;
    switch (e) {
      case '"': case '\\': case '/': return e;
      case 'b': return '\b';
      case 'f': return '\f';
      case 'n': return '\n';
      case 'r': return '\r';
      case 't': return '\t';
      case 'u': {
        const hi = this.hex4(what);
        if (hi >= 0xdc00 && hi <= 0xdfff) this.fail(`a lone surrogate \\u${hi.toString(16)} in ${what}`);
        if (hi < 0xd800 || hi > 0xdbff) return String.fromCharCode(hi);
        if (this.s.slice(this.pos, this.pos + 2) !== '\\u') this.fail(`a lone surrogate \\u${hi.toString(16)} in ${what}`);
        this.pos += 2;
        const lo = this.hex4(what);
        if (lo < 0xdc00 || lo > 0xdfff) this.fail(`a lone surrogate \\u${hi.toString(16)} in ${what}`);
        return String.fromCharCode(hi, lo);
      }
      default:
        return this.syntax(`an invalid escape ${JSON.stringify(`\\${e ?? ''}`)} in ${what}`);
    }
  }

  private hex4(what: string): number {
    const h = this.s.slice(this.pos, this.pos + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(h)) this.syntax(`an invalid \\u escape in ${what}`);
    this.pos += 4;
    return Number.parseInt(h, 16);
  }

  /** A JSON integer >= 0 written as digits only: what serde_json accepts for `usize`. */
  uint(what: string, index: number): number {
    const s = this.s;
    const start = this.pos;
    let v = 0;
    for (let c = this.peek(); c >= 0x30 && c <= 0x39; c = this.peek()) {
      v = v * 10 + (c - 0x30);
      this.pos++;
    }
    const digits = this.pos - start;
    const c = this.peek();
    if (digits === 0 || c === 0x2e || c === 0x65 || c === 0x45 || (digits > 1 && s.charCodeAt(start) === 0x30)) {
      if (digits === 0 && c !== 0x2d && c !== 0x2b && c !== 0x2e) {
        this.fail(`expected a non-negative integer for ${what}[${index}] at ${this.at()} but found ${this.shown()}`);
      }
      // the whole number as written (sign, fraction, exponent), for the message
      for (let d = this.peek(); (d >= 0x30 && d <= 0x39) || d === 0x2d || d === 0x2b || d === 0x2e || d === 0x65 || d === 0x45; d = this.peek()) this.pos++;
      const text = s.slice(start, this.pos);
      this.fail(`${what}[${index}] is written as ${text.length > 30 ? `${text.slice(0, 30)}…` : text}; it must be a non-negative integer in plain digits`);
    }
    if (!Number.isSafeInteger(v)) this.fail(`${what}[${index}] is ${s.slice(start, this.pos)}, too large for this reader (above 2^53)`);
    return v;
  }

  uintArray(what: string): number[] {
    this.expect(0x5b, `'[' to start ${what}`);
    this.ws();
    const out: number[] = [];
    if (this.peek() === 0x5d) {
      this.pos++;
      return out;
    }
    do out.push(this.uint(what, out.length));
    while (this.more(0x5d, `${what}[]`));
    return out;
  }

  /** Only spaces may follow the closing brace (the format's padding). */
  end(): void {
    for (let i = this.pos; i < this.s.length; i++) {
      if (this.s.charCodeAt(i) !== 0x20) {
        this.fail(`the header continues after its closing '}' with ${JSON.stringify(this.s[i])} at character ${i}; only space padding may follow`);
      }
    }
  }
}

function readMetadata(r: Reader): Record<string, string> {
  const pairs = new Map<string, string>();
  r.expect(0x7b, "'{' to start __metadata__ (a map of strings)");
  r.ws();
  if (r.peek() === 0x7d) {
    r.pos++;
    return {};
  }
  do {
    const key = r.string('a __metadata__ key');
    r.about('__metadata__ ', key);
    r.ws();
    r.expect(0x3a, `':' after ${SUBJECT}`);
    r.ws();
    if (r.peek() !== 0x22) r.fail(`${SUBJECT} is not a string (the format allows only string values)`);
    if (pairs.has(key)) r.fail(`__metadata__ has the key ${quote(key)} twice`);
    pairs.set(key, r.string(SUBJECT));
  } while (r.more(0x7d, 'a __metadata__ value'));
  return Object.fromEntries(pairs);  // own data properties, even for a key named __proto__
}

function readEntry(r: Reader, name: string): SafetensorsEntry {
  r.about('tensor ', name);
  let dtype: string | undefined;
  let shape: number[] | undefined;
  let offsets: number[] | undefined;
  r.expect(0x7b, `'{' to start ${SUBJECT}`);
  r.ws();
  if (r.peek() !== 0x7d) {
    do {
      const field = r.word(QUOTED_FIELDS, `a field name of ${SUBJECT}`);
      r.ws();
      r.expect(0x3a, `':' after a field of ${SUBJECT}`);
      r.ws();
      if (field === 'dtype' && dtype === undefined) dtype = r.word(QUOTED_DTYPES, `the dtype of ${SUBJECT}`);
      else if (field === 'shape' && shape === undefined) shape = r.uintArray(`the shape of ${SUBJECT}`);
      else if (field === 'data_offsets' && offsets === undefined) offsets = r.uintArray(`the data_offsets of ${SUBJECT}`);
      else if (field === 'dtype' || field === 'shape' || field === 'data_offsets') r.fail(`${SUBJECT} has the field ${quote(field)} twice`);
      else r.fail(`${SUBJECT} has an unknown field ${quote(field)} (expected dtype, shape, data_offsets)`);
    } while (r.more(0x7d, `a field of ${SUBJECT}`));
  } else {
    r.pos++;
  }
  if (dtype === undefined || shape === undefined || offsets === undefined) {
    const missing = [dtype === undefined && 'dtype', shape === undefined && 'shape', offsets === undefined && 'data_offsets'].filter(Boolean);
    r.fail(`${SUBJECT} lacks ${missing.join(', ')}`);
  }
  const size = ITEM_SIZE.get(dtype);
  if (size === undefined) {
    r.fail(OTHER_DTYPES.has(dtype)
      ? `${SUBJECT} has the unsupported dtype ${dtype}, which LibTorch 1.13 cannot hold (supported: ${[...ITEM_SIZE.keys()].join(', ')})`
      : `${SUBJECT} has an unsupported dtype ${quote(dtype)}, which is no safetensors dtype`);
  }
  if (offsets.length !== 2) r.fail(`${SUBJECT} has ${offsets.length} data_offsets; expected [begin, end]`);
  const [begin, end] = offsets as [number, number];
  if (end < begin) r.fail(`${SUBJECT} ends (${end}) before it begins (${begin})`);
  let numel = 1;
  for (const d of shape) numel *= d;
  const bytes = numel * size;
  if (!Number.isSafeInteger(bytes)) r.fail(`${SUBJECT} has shape [${shape.join(', ')}], whose size overflows`);
  if (end - begin !== bytes) r.fail(`${SUBJECT} has ${end - begin} bytes but shape [${shape.join(', ')}] of ${dtype} needs ${bytes}`);
  return { name, dtype, shape, begin, end };
}

/**
 * Parses and validates a safetensors header. `dataLength` is the size of the data section
 * that follows it; the tensors must cover it exactly. `fail` raises the caller's error.
 */
export function parseSafetensorsHeader(bytes: Uint8Array, dataLength: number, fail: (why: string) => never): ParsedHeader {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return fail('the header is not valid UTF-8');
  }
  const r = new Reader(text, fail);
  if (r.peek() !== 0x7b) {
    r.fail(`the header is not a JSON object: it must start with '{' but starts with ${text.length ? JSON.stringify(text[0]) : 'nothing'}`);
  }
  r.pos = 1;
  r.ws();
  const names = new Set<string>();
  const entries: SafetensorsEntry[] = [];
  let metadata: Record<string, string> | undefined;
  if (r.peek() === 0x7d) {
    r.pos++;
  } else {
    do {
      const key = r.string('a tensor name');
      r.about('', key);
      r.ws();
      r.expect(0x3a, `':' after ${SUBJECT}`);
      r.ws();
      if (key === '__metadata__') {
        if (metadata) r.fail('the header has __metadata__ twice');
        metadata = readMetadata(r);
      } else {
        if (names.has(key)) r.fail(`the header has the tensor ${quote(key)} twice`);
        names.add(key);
        entries.push(readEntry(r, key));
      }
    } while (r.more(0x7d, 'a tensor'));
  }
  r.end();
  // Data order; the reference sorts by (begin, end) too, so zero-size tensors come first.
  const inOrder = (a: SafetensorsEntry, b: SafetensorsEntry): number => a.begin - b.begin || a.end - b.end;
  if (entries.some((e, i) => i > 0 && inOrder(entries[i - 1] as SafetensorsEntry, e) > 0)) entries.sort(inOrder);
  let pos = 0;
  for (const e of entries) {
    if (e.begin < pos) fail(`tensor ${quote(e.name)} starts at ${e.begin}, inside the tensor before it (overlap)`);
    if (e.begin > pos) fail(`tensor ${quote(e.name)} starts at ${e.begin}, leaving bytes ${pos}..${e.begin} unused (hole)`);
    pos = e.end;
  }
  if (pos > dataLength) fail(`truncated: the tensors need ${pos} data bytes but the file has ${dataLength}`);
  if (pos < dataLength) fail(`${dataLength - pos} unexpected bytes after the last tensor`);
  return { entries, metadata: metadata ?? {} };
}
