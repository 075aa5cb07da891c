// SPDX-License-Identifier: MIT
// The local launcher (`mirrorgan train --nproc N`) with plain node scripts as workers.
import { readFileSync } from 'node:fs';

import { afterEach, describe, expect, it } from 'vitest';

import { launchLocal, workerArgs } from '../../src/distributed/launch.js';
import { scratch } from './helpers.js';

let s: ReturnType<typeof scratch>;
afterEach(() => s?.remove());

function run(script: string, nproc: number, extra: { graceMs?: number } = {}) {
  const lines: string[] = [];
  const code = launchLocal({
    nproc, command: process.execPath, args: ['-e', script], env: { ...process.env, OUT: s.out }, log: (l) => lines.push(l), ...extra,
  });
  return { code, lines };
}

describe('launchLocal', () => {
  it("gives every worker torchrun's variables on one free port", async () => {
    s = scratch();
    const script = `require('fs').writeFileSync(process.env.OUT + '.' + process.env.RANK, JSON.stringify(process.env))`;
    const { code } = run(script, 3);
    expect(await code).toBe(0);
    const envs = [0, 1, 2].map((r) => JSON.parse(readFileSync(`${s.out}.${r}`, 'utf8')) as Record<string, string>);
    envs.forEach((e, r) => expect(e).toMatchObject({ RANK: String(r), LOCAL_RANK: String(r), WORLD_SIZE: '3', LOCAL_WORLD_SIZE: '3', MASTER_ADDR: '127.0.0.1' }));
    expect(new Set(envs.map((e) => e.MASTER_PORT)).size).toBe(1);
    expect(Number(envs[0]!.MASTER_PORT)).toBeGreaterThan(0);
  });

  it('stops the other workers when one fails and returns its exit code', async () => {
    s = scratch();
    // Rank 1 fails at once; rank 0 would run forever.
    const { code, lines } = run(`if (process.env.RANK === '1') process.exit(3); setInterval(() => {}, 1000)`, 2);
    expect(await code).toBe(3);
    expect(lines[0]).toMatch(/^mirrorgan: rank 1 \(pid \d+\) exited with code 3; stopping the other 1 worker$/);
  });

  it('kills a worker that ignores SIGTERM after the grace period', async () => {
    s = scratch();
    const script = `if (process.env.RANK === '1') setTimeout(() => process.exit(4), 500); process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)`;
    const { code, lines } = run(script, 2, { graceMs: 300 });
    expect(await code).toBe(4);
    expect(lines).toEqual([expect.stringMatching(/rank 1 .* exited with code 4/), expect.stringMatching(/^mirrorgan: rank 0 \(pid \d+\) did not stop within 0\.3 s; killing it$/)]);
  });

  it('refuses to launch from inside a launched worker, and bad counts', async () => {
    await expect(launchLocal({ nproc: 2, command: 'x', args: [], env: { RANK: '0' } })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringContaining('torchrun or --nproc, not both') });
    await expect(launchLocal({ nproc: 0, command: 'x', args: [] })).rejects.toThrow('Expected integer between 1 and 1024 for nproc but received 0 of type number');
  });

  it("passes the launcher's arguments on without --nproc", () => {
    expect(workerArgs(['bin/mirrorgan.js', 'train', '--nproc', '2', '--preset', 'cpu', '--nproc=4', '--out', 'r'])).toEqual(['bin/mirrorgan.js', 'train', '--preset', 'cpu', '--out', 'r']);
  });
});
