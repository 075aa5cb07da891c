// SPDX-License-Identifier: MIT
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { MirrorganError } from '../../lib/errors.js';
import { reportCommand } from '../../src/cli/report.js';
import { makeRun, tempDir } from './helpers.js';

let dir: string;
let run: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  run = join(dir, 'run');
  await makeRun(run, { stages: 2, iterations: 40, sampleEvery: 5 });
});
afterAll(async () => cleanup());

async function runCli(args: string[]): Promise<{ stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    await new Command('mirrorgan').exitOverride().addCommand(reportCommand().exitOverride()).parseAsync(['report', ...args], { from: 'user' });
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  return { stdout, stderr };
}

describe('mirrorgan report', () => {
  it('writes report.html and prints its path', async () => {
    const { stdout } = await runCli([run]);
    expect(stdout).toBe(`${join(run, 'report.html')}\n`);
    const html = await readFile(join(run, 'report.html'), 'utf8');
    expect((html.match(/<img /g) ?? []).length).toBe(9); // grids 0, 5, ..., 40
    expect(html).toContain('EMA 0.6');
  });

  it('honours --max-samples, --smooth, --log-y, --out and --tensorboard', async () => {
    const out = join(dir, 'page.html');
    const { stdout } = await runCli([run, '--max-samples', '3', '--smooth', '0.9', '--log-y', '--out', out, '--tensorboard']);
    const [page, events] = stdout.trim().split('\n');
    expect(page).toBe(out);
    expect(events).toMatch(/tensorboard[/\\]events\.out\.tfevents\.\d+\..+\.mirrorgan-report$/);
    expect(existsSync(events)).toBe(true);
    const html = await readFile(out, 'utf8');
    expect((html.match(/<img /g) ?? []).length).toBe(3);
    expect(html).toContain('EMA 0.9');
    expect(html).toContain('(log scale)');
    const custom = join(dir, 'tb');
    const second = await runCli([run, '--tensorboard-dir', custom]);
    expect(second.stdout.trim().split('\n')[1].startsWith(custom)).toBe(true);
  });

  it('rejects bad values with ERR_INVALID_ARG and a missing folder with ERR_FILE', async () => {
    for (const args of [['--max-samples', '-1'], ['--max-samples', 'x'], ['--max-samples', '2.5'], ['--smooth', '1'], ['--smooth', ''], ['--smooth', 'abc']]) {
      const err = await runCli([run, ...args]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MirrorganError);
      expect(err).toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringMatching(/^Expected .* for --(max-samples|smooth) but received/) });
    }
    await expect(runCli([join(dir, 'nope')])).rejects.toMatchObject({ code: 'ERR_FILE', message: expect.stringContaining('Run folder not found') });
    await mkdir(join(dir, 'plain'));
    await expect(runCli([join(dir, 'plain')])).rejects.toMatchObject({ code: 'ERR_FILE' });
    await expect(runCli([])).rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringContaining('--run') });
  });
});
