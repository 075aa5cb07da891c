// SPDX-License-Identifier: MIT
/**
 * Writes test/fixtures/pickle/fuzz-oracle.json: CPython's verdict on each mutated pickle of the
 * reader fuzz test whose validity no rule decides (bit flips, inserted, deleted or repeated
 * bytes). The test then requires: whatever the reader accepts, CPython reads to the same value.
 * Run after changing the pickle cases of test/reliability/fuzz_cases.ts (needs python3):
 *
 *   npx tsx scripts/pickle_fuzz_oracle.ts [seed count file]   # default: the test's seed and count
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { pickleCases } from '../test/reliability/fuzz_cases.js';
import { DEFAULT_COUNT, DEFAULT_SEED, digest, ORACLE_FILE } from '../test/reliability/fuzz_worker.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-oracle-'));
try {
  const [seed, count] = [Number(process.argv[2] ?? DEFAULT_SEED), Number(process.argv[3] ?? DEFAULT_COUNT)];
  const target = process.argv[4] ?? ORACLE_FILE;
  const cases = pickleCases(seed, count).filter((c) => c.expect === 'oracle');
  for (const c of cases) fs.writeFileSync(path.join(dir, c.id), c.bytes);
  const script = path.join(path.dirname(new URL(import.meta.url).pathname), 'pickle_fixtures.py');
  const out = JSON.parse(execFileSync('python3', ['-W', 'ignore', script, 'oracle', dir], { encoding: 'utf8', maxBuffer: 1 << 26 })) as Record<string, string>;
  const verdicts = Object.fromEntries(cases.map((c) => [c.id, [digest(c.bytes), out[c.id]]]));
  fs.writeFileSync(target, `${JSON.stringify({ seed, count, verdicts })}\n`);
  const refused = Object.values(out).filter((v) => v === 'refused').length;
  console.log(`${cases.length} verdicts (${refused} refused by CPython) written to ${target}`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
