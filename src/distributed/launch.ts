// SPDX-License-Identifier: MIT
/**
 * `mirrorgan train --nproc N`: a small torchrun for one machine. It spawns N workers with the
 * launcher contract (RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT
 * on a free port), forwards SIGINT/SIGTERM to them, and when one fails ends the others: SIGTERM
 * at once, SIGKILL after a grace period. The job fails with the first failure's exit code.
 * Workers run in their own process group, so a terminal's Ctrl-C reaches them once, through
 * the launcher (as torchrun's start_new_session).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import { invalidArg, MirrorganError } from '../../lib/errors.js';

/** Time a worker gets to exit after SIGTERM before SIGKILL, ms. */
export const STOP_GRACE_MS = 30_000;

export interface LaunchOptions {
  /** Workers to start, 1–1024. */
  nproc: number;
  /** Program and arguments each worker runs. */
  command: string;
  args: string[];
  /** Environment to start from (default process.env). */
  env?: Record<string, string | undefined>;
  /** Rendezvous port (default: a free one). */
  port?: number;
  /** Time a worker has to exit after SIGTERM, ms (default STOP_GRACE_MS). */
  graceMs?: number;
  /** Where the launcher's own lines go (default stderr). */
  log?: (line: string) => void;
}

/** A TCP port nobody listens on right now (the OS picks it). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The worker's argv: the launcher's own, without `--nproc N` / `--nproc=N`. */
export function workerArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--nproc') i++;
    else if (!a.startsWith('--nproc=')) out.push(a);
  }
  return out;
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal ? (os.constants.signals[signal] ?? 1) : 1);
}

/**
 * Runs `nproc` workers to completion; resolves to the job's exit code (0 when all succeed,
 * else the first failure's code, 128 + signal number for a signal).
 */
export async function launchLocal(options: LaunchOptions): Promise<number> {
  const { nproc, command, args } = options;
  if (!Number.isInteger(nproc) || nproc < 1 || nproc > 1024) throw invalidArg('nproc', 'integer between 1 and 1024', nproc);
  const base = options.env ?? process.env;
  if ((base.RANK ?? '') !== '') {
    throw new MirrorganError('ERR_INVALID_ARG', `--nproc inside a launched worker (RANK=${base.RANK}): use either torchrun or --nproc, not both`);
  }
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const graceMs = options.graceMs ?? STOP_GRACE_MS;
  const port = options.port ?? (await freePort());
  const workers: (ChildProcess | null)[] = [];
  let failure: number | null = null;
  let killTimer: NodeJS.Timeout | undefined;

  const alive = () => workers.flatMap((w, rank) => (w && w.exitCode === null && w.signalCode === null ? [{ w, rank }] : []));
  const stopOthers = () => {
    for (const { w } of alive()) w.kill('SIGTERM');
    killTimer = setTimeout(() => {
      for (const { w, rank } of alive()) {
        log(`mirrorgan: rank ${rank} (pid ${w.pid}) did not stop within ${graceMs / 1000} s; killing it`);
        w.kill('SIGKILL');
      }
    }, graceMs);
    killTimer.unref();
  };
  const forward = (signal: NodeJS.Signals) => () => {
    for (const { w } of alive()) w.kill(signal);
  };
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);

  try {
    const exits = Array.from({ length: nproc }, (_, rank) => {
      const env = {
        ...base,
        RANK: String(rank),
        LOCAL_RANK: String(rank),
        GROUP_RANK: '0',
        WORLD_SIZE: String(nproc),
        LOCAL_WORLD_SIZE: String(nproc),
        MASTER_ADDR: '127.0.0.1',
        MASTER_PORT: String(port),
      };
      const w = spawn(command, args, { env, stdio: 'inherit', detached: true });
      workers.push(w);
      return new Promise<void>((resolve) => {
        const done = (code: number | null, signal: NodeJS.Signals | null) => {
          const status = exitCodeOf(code, signal);
          if (status !== 0 && failure === null) {
            failure = status;
            const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
            const rest = alive().length;
            log(`mirrorgan: rank ${rank} (pid ${w.pid}) ${how}; stopping the other ${rest} worker${rest === 1 ? '' : 's'}`);
            stopOthers();
          }
          resolve();
        };
        w.once('exit', done);
        w.once('error', (err) => {
          log(`mirrorgan: rank ${rank} could not start: ${err.message}`);
          done(127, null);
        });
      });
    });
    await Promise.all(exits);
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    if (killTimer) clearTimeout(killTimer);
  }
  return failure ?? 0;
}
