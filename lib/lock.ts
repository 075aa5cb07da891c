// SPDX-License-Identifier: MIT
import { MirrorganError } from './errors.js';

/**
 * JobLock: one native job at a time on a group of weights. A module and the optimizer over
 * its parameters share the lock, so an async forward can never race an optimizer step.
 */
export class JobLock {
  #job: string | null = null;

  get busy(): boolean {
    return this.#job !== null;
  }

  /** Throws ERR_BUSY while a job runs. */
  assertIdle(what: string): void {
    if (this.#job !== null) {
      throw new MirrorganError('ERR_BUSY', `${what}: busy with '${this.#job}'; await the previous call first`);
    }
  }

  /** Runs `fn` holding every lock in `locks`; refuses (ERR_BUSY) if any is held. */
  static async runAll<T>(locks: JobLock[], job: string, fn: () => Promise<T>): Promise<T> {
    const unique = [...new Set(locks)];
    for (const l of unique) l.assertIdle(job);
    for (const l of unique) l.#job = job;
    try {
      return await fn();
    } finally {
      for (const l of unique) l.#job = null;
    }
  }

  run<T>(job: string, fn: () => Promise<T>): Promise<T> {
    return JobLock.runAll([this], job, fn);
  }
}
