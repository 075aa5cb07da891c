// SPDX-License-Identifier: MIT
/**
 * Ctrl-C for the commands that train. The first SIGINT (or SIGTERM) asks the work to stop at
 * the next safe point (after the current step; the phase writes its checkpoint or keeps its
 * last complete one), and the command then ends with the shell's code for that signal:
 * 130 for SIGINT, 143 for SIGTERM. A second signal quits at once with the same code.
 */
import { MirrorganError } from '../../lib/errors.js';
import { printErr } from './output.js';

const EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;
type StopSignal = keyof typeof EXIT_CODES;

/** The error a command ends with after a signal stopped it; `exitCode` is what the process returns. */
export class Interrupted extends MirrorganError {
  readonly exitCode: number;
  constructor(signal: StopSignal, message: string) {
    super('ERR_ABORTED', message);
    this.name = 'Interrupted';
    this.exitCode = EXIT_CODES[signal];
  }
}

/** The exit code for a stopped run: the signal's when one was received, else 130 (Ctrl-C). */
export function abortedExitCode(e: unknown): number {
  return e instanceof Interrupted ? e.exitCode : EXIT_CODES.SIGINT;
}

export interface UntilInterruptedOptions<T> {
  /** What stops, for the line printed when the signal arrives ("training"). */
  what: string;
  /** Prints what the stopped work produced (a summary) before the command ends. */
  report?: (result: T) => void;
  /** The closing error line when the work returned normally after the signal. */
  stoppedMessage: (result: T) => string;
  /** The closing error line when the work ended with ERR_ABORTED (stopped between phases); default its message. */
  stoppedBeforeEnd?: (message: string) => string;
}

/**
 * Runs `work` with an AbortSignal that the first SIGINT/SIGTERM aborts. When a signal arrived,
 * the work's result goes to `report` (so a summary still prints) and the command then throws
 * Interrupted (exit 130/143); otherwise the result is returned.
 */
export async function untilInterrupted<T>(work: (signal: AbortSignal) => Promise<T>, options: UntilInterruptedOptions<T>): Promise<T> {
  const controller = new AbortController();
  // An object, not a `let`: the handlers assign it, and TypeScript does not see assignments in closures.
  const state: { received: StopSignal | null } = { received: null };
  const handlers = (Object.keys(EXIT_CODES) as StopSignal[]).map((signal) => {
    const handler = (): void => {
      if (state.received) process.exit(EXIT_CODES[signal]);
      state.received = signal;
      printErr(`\nmirrorgan: ${signal} received, stopping ${options.what} after this step (again to quit at once) ...`);
      controller.abort();
    };
    process.on(signal, handler);
    return () => process.off(signal, handler);
  });
  let result: T;
  try {
    result = await work(controller.signal);
  } catch (e) {
    // The work stopped as asked between two phases: end with the signal's code.
    if (state.received && (e as MirrorganError)?.code === 'ERR_ABORTED') {
      const message = (e as Error).message;
      throw new Interrupted(state.received, options.stoppedBeforeEnd ? options.stoppedBeforeEnd(message) : message);
    }
    throw e;
  } finally {
    for (const off of handlers) off();
  }
  if (state.received) {
    options.report?.(result);
    throw new Interrupted(state.received, options.stoppedMessage(result));
  }
  return result;
}
