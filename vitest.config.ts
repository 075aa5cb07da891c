import { defineConfig } from 'vitest/config';

// Native work is CPU-bound on 2 cores: run test files one after another so
// suites do not fight over LibTorch's intra-op threads. --expose-gc lets test/setup.ts collect
// earlier tests' garbage so memory() leak checks are exact.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    pool: 'forks',
    poolOptions: { forks: { singleFork: true, execArgv: ['--expose-gc'] } },
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
