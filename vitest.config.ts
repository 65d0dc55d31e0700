import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', 'data/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests start real processes and databases; two cores only.
    fileParallelism: true,
    maxWorkers: 2,
    pool: 'forks',
  },
});
