import { defineConfig } from 'vitest/config';

/**
 * Two phases (see package.json "test"): the main suite runs files in parallel; the fault
 * phase (test/fault: kill -9, PostgreSQL restart, fuzz) runs alone and one file at a time,
 * because it restarts shared services and measures recovery.
 */
const fault = process.env.POSTURE_TEST_PHASE === 'fault';
/** Third phase: the attack suite and the route fuzz (test/attack), alone, after the fault phase. */
const attack = process.env.POSTURE_TEST_PHASE === 'attack';

export default defineConfig({
  test: {
    include: attack ? ['test/attack/**/*.test.ts'] : fault ? ['test/fault/**/*.test.ts'] : ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', 'data/**', ...(fault || attack ? [] : ['test/fault/**', 'test/attack/**'])],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    fileParallelism: !fault && !attack,
    maxWorkers: 2,
    pool: 'forks',
    // One run id for the databases tests create; teardown drops any a failed test left behind.
    globalSetup: ['test/helpers/global-setup.ts'],
  },
});
