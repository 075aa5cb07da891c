// SPDX-License-Identifier: MIT
/**
 * A concurrency limit with a bounded queue: at most `concurrency` jobs run, at most `queue` wait;
 * one more is refused at once (the server answers 503), so memory stays bounded however many
 * requests arrive. A job that has not started within its deadline leaves the queue and fails
 * with `timeout`; one already running cannot be stopped mid-forward, so its caller gets
 * `timeout` at the deadline and its slot frees when the forward ends.
 */
import { checkInt } from '../../lib/errors.js';

/** Why a job was not done. */
export class QueueError extends Error {
  constructor(readonly reason: 'full' | 'timeout' | 'closed', message: string) {
    super(message);
    this.name = 'QueueError';
  }
}

interface Waiting {
  started: boolean;
  start: () => void;
  fail: (e: QueueError) => void;
}

export class WorkQueue {
  #running = 0;
  #closed = false;
  readonly #waiting: Waiting[] = [];
  #idle: (() => void)[] = [];

  constructor(readonly concurrency: number, readonly queue: number) {
    checkInt('concurrency', concurrency, 1, 1024);
    checkInt('queue', queue, 0, 1e6);
  }

  /** Jobs running and waiting now. */
  get load(): { running: number; waiting: number } {
    return { running: this.#running, waiting: this.#waiting.length };
  }

  /** Runs `job` when a slot is free; QueueError when the queue is full, closed, or `timeoutMs` passes first. */
  async run<T>(job: () => Promise<T>, timeoutMs: number): Promise<T> {
    if (this.#closed) throw new QueueError('closed', 'The server is shutting down');
    if (this.#running >= this.concurrency && this.#waiting.length >= this.queue) {
      throw new QueueError('full', `The server is busy (${this.#running} running, ${this.#waiting.length} waiting); try again in a moment`);
    }
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new QueueError('timeout', `No result within ${timeoutMs < 10_000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`}; try fewer samples or try again later`)), timeoutMs);
    });
    try {
      if (this.#running < this.concurrency) {
        this.#running++;
      } else {
        // #release hands its slot over (the count stays), so no newcomer can take it in between.
        const entry: Waiting = { started: false, start: () => undefined, fail: () => undefined };
        const started = new Promise<void>((resolve, reject) => {
          entry.start = () => { entry.started = true; resolve(); };
          entry.fail = reject;
        });
        this.#waiting.push(entry);
        await Promise.race([started, deadline]).catch((e) => {
          const i = this.#waiting.indexOf(entry);
          if (i >= 0) this.#waiting.splice(i, 1);
          else if (entry.started) this.#release();  // handed a slot just as the deadline passed
          throw e;
        });
      }
      const work = job().finally(() => this.#release());
      return await Promise.race([work, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next) {
      next.start();
      return;
    }
    this.#running--;
    if (this.#running === 0) for (const done of this.#idle.splice(0)) done();
  }

  /** Refuses new jobs, fails the waiting ones, and resolves once the running ones have ended. */
  close(): Promise<void> {
    this.#closed = true;
    for (const w of this.#waiting.splice(0)) w.fail(new QueueError('closed', 'The server is shutting down'));
    if (this.#running === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }
}
