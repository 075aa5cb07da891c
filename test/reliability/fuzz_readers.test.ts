// SPDX-License-Identifier: MIT
/**
 * Fuzz test of the three readers (safetensors, pickle, YAML config): DEFAULT_COUNT mutated
 * files per format from a fixed seed (fuzz_cases.ts), run in a child process (fuzz_worker.ts)
 * so that a hang is caught: the child names each case before running it, and a case that
 * takes longer than CASE_LIMIT_MS kills the child and fails the test naming that case.
 * Numbers and method: docs/reliability.md.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';

import { repoRoot } from '../helpers/parity.js';
import { DEFAULT_COUNT, DEFAULT_SEED, type FormatSummary } from './fuzz_worker.js';

/** Far above any single case (the slowest, a 50,000-deep nesting, takes milliseconds). */
const CASE_LIMIT_MS = 20_000;

interface Outcome {
  result?: { seed: number; count: number; ms: number; formats: Record<string, FormatSummary> };
  hung?: string;
  code: number | null;
  stderr: string;
}

function runWorker(): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'test', 'reliability', 'fuzz_worker.ts'), String(DEFAULT_SEED), String(DEFAULT_COUNT)], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Outcome = { code: null, stderr: '' };
    let current = 'start-up';
    let buffered = '';
    let timer = setTimeout(() => hang(), CASE_LIMIT_MS);
    const hang = (): void => {
      out.hung = current;
      child.kill('SIGKILL');
    };
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith('case ')) {
          current = line.slice(5);
          clearTimeout(timer);
          timer = setTimeout(() => hang(), CASE_LIMIT_MS);
        } else if (line.startsWith('RESULT ')) {
          out.result = JSON.parse(line.slice(7));
        }
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      out.stderr += chunk.toString('utf8');
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      out.code = code;
      resolve(out);
    });
  });
}

it(`${DEFAULT_COUNT} mutated files per format: no crash, no hang, nothing the format forbids accepted`, async () => {
  const out = await runWorker();
  expect(out.hung, `case ${out.hung} ran longer than ${CASE_LIMIT_MS} ms`).toBeUndefined();
  expect({ code: out.code, stderr: out.stderr.slice(-2000) }).toEqual({ code: 0, stderr: '' });
  const formats = out.result!.formats;
  expect(Object.keys(formats)).toEqual(['safetensors', 'pickle', 'yaml']);
  for (const [name, s] of Object.entries(formats)) {
    expect({ name, crashes: s.crashes, violations: s.violations }).toEqual({ name, crashes: [], violations: [] });
    expect(s.files).toBe(DEFAULT_COUNT);
    // Both outcomes occur: the mutations reach past the first check of each reader.
    expect(s.accepted).toBeGreaterThan(DEFAULT_COUNT / 20);
    expect(s.refused).toBeGreaterThan(DEFAULT_COUNT / 2);
  }
}, 300_000);
