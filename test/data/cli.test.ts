// SPDX-License-Identifier: MIT
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { dataCommand } from '../../src/cli/data.js';
import { tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterAll(async () => cleanup());

async function runCli(args: string[]): Promise<{ stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    await dataCommand().exitOverride().parseAsync(args, { from: 'user' });
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  return { stdout, stderr };
}

describe('mirrorgan data', () => {
  it('info before build says the cache is missing, build fills it, info then reports it', async () => {
    const common = ['--cache', dir, '--size', '64', '--limit', '6', '--no-progress'];
    const before = await runCli(['info', ...common]);
    expect(before.stdout).toMatch(/cache +not built yet/);
    const built = await runCli(['build', ...common, '--json']);
    const summary = JSON.parse(built.stdout) as { splits: { train: { images: number }; test: { images: number } }; cache: { bytes: number }; vocabulary: number };
    expect(summary.splits.train.images + summary.splits.test.images).toBe(6);
    expect(summary.cache.bytes).toBe(6 * 76 * 76 * 3);
    expect(built.stderr).toContain('decoding 6 images at 76 px');
    const after = await runCli(['info', ...common]);
    expect(after.stdout).toMatch(/vocabulary +\d+ words/);
    expect(after.stdout).toMatch(/cache +.*openmoji \(76 px for 64 px training, 10[0-9.]+ KiB\)/);
    expect(after.stdout).toContain('CC BY-SA 4.0');
  });

  it('raises data errors with their code (the CLI runner prints them and exits non-zero: test/cli/errors.test.ts)', async () => {
    await expect(runCli(['info', '--dataset', 'cub', '--cache', dir])).rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: 'Expected a dataset root directory for root but received undefined of type undefined' });
  });
});
