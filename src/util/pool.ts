// SPDX-License-Identifier: MIT
/** Bounded concurrency for I/O-bound jobs (stat, decode, read) over a list. */

/** Runs `fn` over `items` with at most `concurrency` in flight; resolves when all settle. */
export async function runPool<T>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i] as T, i);
    }
  });
  await Promise.all(workers);
}
