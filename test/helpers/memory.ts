// SPDX-License-Identifier: MIT
import { memory } from '../../lib/index.js';

/** Live native tensors after collecting garbage (vitest runs with --expose-gc). */
export async function settledTensorCount(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run vitest with --expose-gc (see vitest.config.ts)');
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  return memory().numTensors;
}
