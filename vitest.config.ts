import { defineConfig } from 'vitest/config';

// Each test worker loads the ~160 MB native addon and the CI machine has 2 cores,
// so at most 2 forked workers run at once.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
