// SPDX-License-Identifier: MIT
/**
 * Reads one configuration file (YAML 1.2, which includes JSON: the official cfg/*.yml and a
 * run's config.json) into `key = value` entries, strictly and in one linear pass over the
 * YAML syntax tree:
 *
 * - UTF-8 text, one document, no YAML error or warning (an unknown `!tag` is one);
 * - keys are strings and appear once per mapping, and each field is set once per file,
 *   whichever spelling (`train.batchSize` / `TRAIN.BATCH_SIZE`) sets it;
 * - a mapping is a known section (`train`, `TRAIN.SMOOTH`), every other value a single
 *   scalar; `preset` names a preset;
 * - aliases resolve to anchors met earlier in the walk; an alias inside the mapping it names
 *   is refused as recursive. As sections nest at most three deep and each appears once per
 *   mapping, aliases cannot multiply the work (no "billion laughs").
 *
 * The `yaml` package's own duplicate-key check compares each key with every earlier one
 * (50,000 keys took 17 s) and `toJS` follows recursive aliases into circular objects, so
 * neither is used: keys are checked with a Set here and values come from the tree.
 */
import fs from 'node:fs';
import YAML, { isAlias, isMap, isScalar, isSeq, LineCounter, type Node, type YAMLMap } from 'yaml';
import { MirrorganError, type ErrorCode } from '../../lib/errors.js';
import { fieldKey, isSection, presetNamed } from './schema.js';

/** Config files are a few KB; this keeps a mistaken path (a checkpoint, an image) from being parsed. */
const MAX_BYTES = 4 * 1024 * 1024;

export interface ConfigEntry {
  /** The key as written, dotted (`TRAIN.SMOOTH.LAMBDA1`). */
  key: string;
  /** Our name of the field it sets (`train.streamWeight`); null for keys read but not set (ignored, retired, extra). */
  field: string | null;
  value: unknown;
  /** 1-based line of the key, for messages. */
  line: number;
}

export interface ConfigFile {
  /** Entries in document order. */
  entries: ConfigEntry[];
  /** The file's `preset`, when it names one. */
  preset?: string;
  /** The top-level keys with their scalar values (true for a section), prototype-free. */
  top: Record<string, unknown>;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function fileError(file: string, message: string, code: ErrorCode = 'ERR_INVALID_ARG'): MirrorganError {
  return new MirrorganError(code, `${file}: ${message}`);
}

function readText(file: string): string {
  let bytes: Buffer;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw fileError(file, 'is not a file', 'ERR_FILE');
    if (st.size > MAX_BYTES) throw fileError(file, `is ${st.size} bytes; a config file is at most ${MAX_BYTES}`, 'ERR_FILE');
    bytes = fs.readFileSync(file);
  } catch (e) {
    if (e instanceof MirrorganError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw fileError(file, code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? (e as Error).message})`, 'ERR_FILE');
  }
  try {
    return utf8.decode(bytes);
  } catch {
    throw fileError(file, 'is not UTF-8 text');
  }
}

/**
 * Reads and checks one config file (see the module doc). `extraKeys` are keys that are no field
 * but mean something to the caller (official.ts CAP_PATH_KEYS); they come back with field null.
 */
export function readConfigFile(file: string, extraKeys: readonly string[] = []): ConfigFile {
  const lines = new LineCounter();
  const doc = YAML.parseDocument(readText(file), { uniqueKeys: false, lineCounter: lines, prettyErrors: false });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) throw fileError(file, `line ${lines.linePos(problem.pos[0]).line}: ${problem.message.split('\n')[0]}`);
  if (!isMap(doc.contents)) throw fileError(file, 'expected a mapping of config fields');
  return new Walk(file, lines, new Set(extraKeys)).run(doc.contents);
}

/** One pass over the mappings of a document, depth first in document order. */
class Walk {
  private readonly out: ConfigFile = { entries: [], top: Object.create(null) as Record<string, unknown> };
  private readonly anchors = new Map<string, Node>();
  private readonly setBy = new Map<string, ConfigEntry>();

  constructor(private readonly file: string, private readonly lines: LineCounter, private readonly extra: ReadonlySet<string>) {}

  private line(node: Node | null): number {
    return node?.range ? this.lines.linePos(node.range[0]).line : 0;
  }

  private error(node: Node, message: string): MirrorganError {
    return fileError(this.file, `line ${this.line(node)}: ${message}`);
  }

  /** Runs `fn`, adding this file and line to a MirrorganError it throws. */
  private locate<T>(node: Node, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof MirrorganError) throw new MirrorganError(e.code, `${this.file}: line ${this.line(node)}: ${e.message}`);
      throw e;
    }
  }

  private deref(node: Node | null): Node | null {
    if (!isAlias(node)) return node;
    const target = this.anchors.get(node.source);
    if (!target) throw this.error(node, `alias *${node.source} names no anchor set before it at a config field`);
    return target;
  }

  private emit(key: string, node: Node | null, keyNode: Node): void {
    const field = this.extra.has(key) ? null : this.locate(keyNode, () => fieldKey(key));
    if (isMap(node) || isSeq(node)) {
      throw this.error(keyNode, `Expected a single value for ${field ?? key} but received ${isSeq(node) ? `a list of ${node.items.length}` : 'a mapping'}`);
    }
    const id = field ?? key;
    const before = this.setBy.get(id);
    if (before) throw this.error(keyNode, `${key} sets ${id}, which line ${before.line} already set as ${before.key}`);
    const entry: ConfigEntry = { key, field, value: isScalar(node) ? node.value : null, line: this.line(keyNode) };
    this.setBy.set(id, entry);
    this.out.entries.push(entry);
  }

  private preset(node: Node | null, keyNode: Node): void {
    if (!isScalar(node)) throw this.error(keyNode, `Expected a preset name for preset but received ${isSeq(node) ? `a list of ${node.items.length}` : 'a mapping'}`);
    this.locate(keyNode, () => presetNamed(node.value));  // refuses 'toString', '__proto__', 3, ...
    this.out.preset = node.value as string;
  }

  run(root: YAMLMap): ConfigFile {
    const frames: { map: YAMLMap; prefix: string; next: number; seen: Set<string> }[] = [{ map: root, prefix: '', next: 0, seen: new Set() }];
    while (frames.length) {
      const frame = frames[frames.length - 1]!;
      const pair = frame.map.items[frame.next++];
      if (!pair) {
        frames.pop();
        continue;
      }
      const keyNode = pair.key as Node;
      if (!isScalar(keyNode) || typeof keyNode.value !== 'string') {
        throw this.error(keyNode, `a key must be a string, not ${isScalar(keyNode) ? String(keyNode.value) : 'a collection'}`);
      }
      const name = keyNode.value;
      if (frame.seen.has(name)) throw this.error(keyNode, `the key '${name}' appears twice in one mapping`);
      frame.seen.add(name);
      const raw = (pair.value ?? null) as Node | null;
      if (raw && !isAlias(raw) && raw.anchor) this.anchors.set(raw.anchor, raw);
      const value = this.deref(raw);
      const key = frame.prefix ? `${frame.prefix}.${name}` : name;
      if (!frame.prefix) this.out.top[name] = isScalar(value) ? value.value : true;
      if (!frame.prefix && name === 'preset') {
        this.preset(value, keyNode);
      } else if (isSection(key) && (isMap(value) || (isScalar(value) && value.value === null))) {
        if (frames.some((f) => f.map === value)) throw this.error(keyNode, `${key} refers to a mapping that contains it (a recursive alias)`);
        if (isMap(value)) frames.push({ map: value, prefix: key, next: 0, seen: new Set() });
      } else {
        this.emit(key, value, keyNode);
      }
    }
    return this.out;
  }
}
