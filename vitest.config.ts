import { defineConfig } from 'vitest/config';

// Native work is CPU-bound on 2 cores: run test files one after another so
// suites do not fight over LibTorch's intra-op threads.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    poolOptions: { forks: { singleFork: true } },
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
