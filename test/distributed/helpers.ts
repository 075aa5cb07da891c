// SPDX-License-Identifier: MIT
/** Starting the test worker (test/distributed/worker.ts) as separate processes, and cleaning up after them. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { repoRoot } from '../helpers/parity.js';

export const WORKER_ARGS = ['--import', 'tsx', path.join(repoRoot, 'test', 'distributed', 'worker.ts')];

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

const started = new Set<ChildProcess>();

/** Starts one worker with `env` added to this process's; resolves when it exits. */
export function startWorker(env: Record<string, string>): { child: ChildProcess; done: Promise<Finished> } {
  const child = spawn(process.execPath, WORKER_ARGS, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  started.add(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Finished>((resolve) => child.once('exit', (code, signal) => {
    started.delete(child);
    resolve({ code, signal, stderr });
  }));
  return { child, done };
}

/** SIGKILLs every worker a test left running (a stopped one included). */
export function killLeftovers(): void {
  for (const c of started) c.kill('SIGKILL');
  started.clear();
}

type Params = Record<string, number[]>;

/** What a worker wrote: parameters after the broadcast, after training, and its counters. */
export interface WorkerResult {
  initial: Params;
  params: Params;
  counters: Record<string, number> | null;
}

/** A scratch folder for worker outputs (`out`), the reader of rank r's, and its removal. */
export function scratch(): { out: string; result: (rank: number) => WorkerResult; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'mg-dist-'));
  const out = path.join(dir, 'run');
  return {
    out,
    result: (rank) => JSON.parse(readFileSync(`${out}.${rank}.json`, 'utf8')) as WorkerResult,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Largest absolute difference between two parameter sets with the same keys. */
export function maxDiff(a: Params, b: Params): number {
  let m = 0;
  for (const [k, xs] of Object.entries(a)) {
    const ys = b[k];
    if (!ys || ys.length !== xs.length) throw new Error(`parameter ${k} differs in presence or size`);
    xs.forEach((x, i) => (m = Math.max(m, Math.abs(x - (ys[i] as number)))));
  }
  return m;
}
