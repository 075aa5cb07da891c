// SPDX-License-Identifier: MIT
/**
 * The CLI as a user runs it: `node bin/mirrorgan.js ...` in a child process (exit codes, signals,
 * what reaches the terminal). bin/ runs the compiled dist/, so dist/ is rebuilt first when a
 * source is newer (a test of stale JavaScript would pass or fail for the wrong reason).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../helpers/parity.js';

export const BIN = path.join(repoRoot, 'bin', 'mirrorgan.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** Compiles src/ and lib/ into dist/ when dist/ is missing or older than a source file. */
export function ensureBuilt(): void {
  const built = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');
  const builtAt = fs.existsSync(built) ? fs.statSync(built).mtimeMs : 0;
  if (builtAt >= Math.max(newestSource(path.join(repoRoot, 'src')), newestSource(path.join(repoRoot, 'lib')))) return;
  execFileSync(process.execPath, [path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: repoRoot, stdio: 'inherit' });
  // tsc leaves an unchanged file's old timestamp: mark the build as current.
  const now = new Date();
  fs.utimesSync(built, now, now);
}

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Kill the child (SIGKILL) after this many ms: a hang fails the test instead of stalling it. */
  killAfterMs?: number;
  /** Called with the running child, e.g. to send it SIGINT when its output shows a phase began. */
  whileRunning?: (child: ChildProcess, output: { stdout: () => string; stderr: () => string }) => void;
}

/** Runs `node bin/mirrorgan.js ...args` and collects its exit status and output. */
export function cli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? repoRoot,
      env: { ...process.env, MIRRORGAN_NUM_THREADS: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = options.killAfterMs ? setTimeout(() => child.kill('SIGKILL'), options.killAfterMs) : null;
    options.whileRunning?.(child, { stdout: () => stdout, stderr: () => stderr });
    child.on('error', reject);
    child.on('close', (status, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

/** Resolves once `check()` is true (polled every 50 ms); rejects after `ms`. */
export async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A temp folder for one test file. */
export function tempFolder(prefix: string): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * `--set` flags of a run that trains every phase in seconds: 24 emoji, one 64 px stage, one
 * DAMSM and one STREAM epoch, tiny networks. `cache` keeps the decoded images between runs.
 */
export function tinySet(cache: string, extra: string[] = []): string[] {
  const keys = [
    `dataset.cacheDir=${cache}`, 'dataset.limit=24', 'text.embeddingDim=16', 'text.wordsNum=8',
    'damsm.epochs=1', 'damsm.batchSize=8', 'stream.epochs=1', 'stream.batchSize=8', 'stream.hiddenSize=8', 'stream.embedSize=16',
    'tree.branchNum=1', 'gan.gfDim=4', 'gan.dfDim=4', 'gan.rNum=1', 'gan.zDim=8', 'gan.conditionDim=8',
    'train.batchSize=4', 'train.maxIterations=2', 'train.sampleInterval=2', 'train.snapshotInterval=2', 'train.seed=3',
    ...extra,
  ];
  return keys.flatMap((k) => ['--set', k]);
}

/** No raw terminal control character (other than newline) in `text`. */
export function hasRawControl(text: string): boolean {
  return /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(text);
}
