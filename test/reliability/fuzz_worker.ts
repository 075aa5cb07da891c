// SPDX-License-Identifier: MIT
/**
 * Runs the reader fuzz cases of fuzz_cases.ts through the real readers and prints one
 * `RESULT <json>` line. fuzz_readers.test.ts starts it in a child process and kills it when a
 * case runs too long; `case <id>` is printed before each case so a hang names its case.
 *
 *   node --import tsx test/reliability/fuzz_worker.ts [seed] [files per format]
 *
 * CPython's verdicts on the pickle cases come from test/fixtures/pickle/fuzz-oracle.json
 * (seed 18, 1,000 files); for another seed or count write them with
 * `npx tsx scripts/pickle_fuzz_oracle.ts <seed> <count> <file>` and set FUZZ_ORACLE=<file>.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import YAML, { isMap, isScalar, type Node } from 'yaml';

import { MirrorganError } from '../../lib/errors.js';
import { readSafetensorsHeader } from '../../lib/safetensors.js';
import { resolveConfig } from '../../src/config/load.js';
import { CAP_PATH_KEYS } from '../../src/config/official.js';
import { coerce, fieldKey, getField, isSection, type MirrorGANConfig } from '../../src/config/schema.js';
import { readPickle, type PickleValue } from '../../src/util/pickle.js';
import { repoRoot } from '../helpers/parity.js';
import { canon, pyJson, pySorted } from '../helpers/pickle_canon.js';
import { pickleCases, safetensorsCases, stLayout, yamlCases, type FuzzCase } from './fuzz_cases.js';

export const DEFAULT_SEED = 18;
export const DEFAULT_COUNT = 1000;
export const ORACLE_FILE = path.join(repoRoot, 'test', 'fixtures', 'pickle', 'fuzz-oracle.json');

export interface FormatSummary {
  files: number;
  accepted: number;
  refused: number;
  /** Cases per mutation class and per requirement (refuse, accept, oracle): [files, accepted]. */
  kinds: Record<string, [number, number]>;
  requirements: Record<string, [number, number]>;
  /** Cases a judge (the format's rule or the oracle) found wrongly accepted or refused. */
  violations: string[];
  /** Errors other than MirrorganError (crashes of the reader). */
  crashes: string[];
  /** Wall-clock and CPU time of the format's cases. */
  ms: number;
  cpuMs: number;
}

/** The sha256 prefix both the oracle script and this worker use to name bytes and values. */
export function digest(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

type Check = (c: FuzzCase, file: string) => Promise<string | null>;

async function run(cases: FuzzCase[], dir: string, read: (c: FuzzCase, file: string) => Promise<unknown>, check: Check): Promise<FormatSummary> {
  const s: FormatSummary = { files: 0, accepted: 0, refused: 0, kinds: {}, requirements: {}, violations: [], crashes: [], ms: 0, cpuMs: 0 };
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (const c of cases) {
    process.stdout.write(`case ${c.id}\n`);
    const file = path.join(dir, c.id);
    fs.writeFileSync(file, c.bytes);
    s.files++;
    const kind = (s.kinds[c.kind] ??= [0, 0]);
    const requirement = (s.requirements[c.expect] ??= [0, 0]);
    kind[0]++;
    requirement[0]++;
    let accepted = false;
    try {
      await read(c, file);
      accepted = true;
    } catch (e) {
      if (!(e instanceof MirrorganError)) {
        s.crashes.push(`${c.id} (${c.kind}): ${(e as Error)?.stack?.split('\n').slice(0, 4).join(' | ') ?? String(e)}`);
        continue;
      }
    }
    if (accepted) {
      s.accepted++;
      kind[1]++;
      requirement[1]++;
      if (c.expect === 'refuse') s.violations.push(`${c.id} (${c.kind}): accepted, but the format forbids it`);
      else {
        const problem = await check(c, file);
        if (problem) s.violations.push(`${c.id} (${c.kind}): ${problem}`);
      }
    } else {
      s.refused++;
      if (c.expect === 'accept') s.violations.push(`${c.id} (${c.kind}): refused, but the file is valid`);
    }
    fs.rmSync(file);
  }
  s.ms = Math.round(performance.now() - t0);
  const cpu = process.cpuUsage(cpu0);
  s.cpuMs = Math.round((cpu.user + cpu.system) / 1000);
  return s;
}

// ---------------------------------------------------------------- safetensors

/**
 * An accepted file keeps the seed's data layout. Data bytes are not compared here: the header
 * reader never looks at them (the format has no checksum, so a flipped data bit is a valid
 * file), and loading them would start LibTorch in this process; the native read path has
 * its own tests in test/lib/safetensors.test.ts.
 */
async function checkSafetensors(c: FuzzCase, file: string): Promise<string | null> {
  const want = c.expected as { layout: string; metadata: [string, string][] };
  const h = await readSafetensorsHeader(file);
  if (stLayout(h.entries) !== want.layout) return `accepted with a different data layout ${stLayout(h.entries)}`;
  if (c.expect === 'accept' && !isDeepStrictEqual(Object.entries(h.metadata), want.metadata)) return 'metadata changed';
  return null;  // after a flip in a name or metadata value, those may differ
}

// ---------------------------------------------------------------- pickle

interface Oracle {
  seed: number;
  count: number;
  /** case id -> [digest of the bytes, 'refused' | digest of CPython's canonical value] */
  verdicts: Record<string, [string, string]>;
}

function depthOf(v: PickleValue): number {
  let d = 0;
  for (let x = v; Array.isArray(x); x = x[0] as PickleValue) d++;
  return d;
}

function pickleChecker(oracle: Oracle | null): Check {
  return async (c) => {
    const value = readPickle(c.bytes);
    if (c.kind === 'deep nesting') {
      const want = (c.expected as { depth: number }).depth;
      return depthOf(value) === want ? null : `depth ${depthOf(value)}, expected ${want}`;
    }
    if (c.expect === 'accept') {
      return isDeepStrictEqual(canon(value), canon(c.expected as PickleValue)) ? null : 'read a different value than was written';
    }
    const v = oracle?.verdicts[c.id];
    if (!v || v[0] !== digest(c.bytes)) return 'no CPython verdict for these bytes: regenerate with npx tsx scripts/pickle_fuzz_oracle.ts';
    if (v[1] === 'refused') return 'accepted, but CPython refuses it';
    return digest(pyJson(pySorted(canon(value)))) === v[1] ? null : 'read a different value than CPython';
  };
}

// ---------------------------------------------------------------- YAML

/**
 * An accepted config file must be one the yaml package parses without error, warning or
 * duplicate key, whose every leaf is a known field with a valid value that the config holds.
 */
async function checkYaml(c: FuzzCase, file: string): Promise<string | null> {
  const config = resolveConfig({ files: [file] });
  if (c.expect === 'accept') {
    const [key, value] = Object.entries(c.expected as Record<string, unknown>)[0]!;
    return isDeepStrictEqual(getField(config, key), value) ? null : `${key} is ${String(getField(config, key))}, expected ${String(value)}`;
  }
  const doc = YAML.parseDocument(fs.readFileSync(file, 'utf8'), { uniqueKeys: true });
  if (doc.errors.length || doc.warnings.length) return `accepted a file the yaml package reports: ${(doc.errors[0] ?? doc.warnings[0])!.message.split('\n')[0]}`;
  if (!isMap(doc.contents)) return 'accepted a document that is not a mapping';
  const pending: { node: Node; prefix: string; depth: number }[] = [{ node: doc.contents, prefix: '', depth: 0 }];
  while (pending.length) {
    const { node, prefix, depth } = pending.pop()!;
    if (!isMap(node)) continue;
    for (const pair of node.items) {
      const k = isScalar(pair.key) ? pair.key.value : undefined;
      if (typeof k !== 'string') return 'accepted a key that is not a string';
      const key = prefix ? `${prefix}.${k}` : k;
      const v = pair.value as Node | null;
      if (!prefix && k === 'preset') {
        if (!isScalar(v) || config.preset !== v.value) return `preset ${String(isScalar(v) ? v.value : v)} not applied`;
      } else if (isMap(v) && isSection(key) && depth < 3) {
        pending.push({ node: v, prefix: key, depth: depth + 1 });
      } else if (!(v === null || (isScalar(v) && v.value === null && isSection(key)))) {
        if (!isScalar(v)) return `accepted a collection for ${key}`;
        // The captioner's two CAP paths are checked and applied together by load.ts (official.ts).
        if ((CAP_PATH_KEYS as readonly string[]).includes(key)) continue;
        let field: string | null;
        let want: unknown;
        try {
          field = fieldKey(key);
          if (field === null) continue;
          want = coerce(field, v.value);
        } catch (e) {
          return `accepted ${key}: ${(e as Error).message.slice(0, 120)}`;
        }
        const got = getField(config as MirrorGANConfig, field);
        if (!isDeepStrictEqual(got, want)) return `${key} holds ${String(got)}, the file says ${String(want)}`;
      }
    }
  }
  return null;
}

// ---------------------------------------------------------------- main

export async function fuzzReaders(seed: number, count: number): Promise<Record<string, FormatSummary>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-fuzz-'));
  try {
    const file = process.env.FUZZ_ORACLE ?? ORACLE_FILE;
    const oracle = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Oracle) : null;
    const json = JSON.stringify(resolveConfig(), null, 2);
    return {
      safetensors: await run(safetensorsCases(seed, count), dir, (_, f) => readSafetensorsHeader(f), checkSafetensors),
      pickle: await run(pickleCases(seed, count), dir, async (c) => readPickle(c.bytes), pickleChecker(oracle)),
      yaml: await run(yamlCases(seed, count, json), dir, async (_, f) => resolveConfig({ files: [f] }), checkYaml),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const seed = Number(process.argv[2] ?? DEFAULT_SEED);
  const count = Number(process.argv[3] ?? DEFAULT_COUNT);
  const t0 = performance.now();
  const result = await fuzzReaders(seed, count);
  process.stdout.write(`RESULT ${JSON.stringify({ seed, count, ms: Math.round(performance.now() - t0), formats: result })}\n`);
}
