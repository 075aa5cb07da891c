// SPDX-License-Identifier: MIT
// Every test starts with the garbage of earlier tests collected (their GC finalizers release
// native tensors), so memory() baselines taken inside a test are exact.
import { beforeEach } from 'vitest';

beforeEach(async () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return;
  gc();
  await new Promise((resolve) => setImmediate(resolve));
});
