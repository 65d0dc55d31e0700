/**
 * Vitest global setup: one run id for every database this run creates (see db.ts), and a
 * teardown that drops any of them a failed or timed-out test left on the PostgreSQL server.
 */
import { randomBytes } from 'node:crypto';

export async function setup(): Promise<void> {
  process.env.POSTURE_TEST_RUN_ID ||= `r${randomBytes(4).toString('hex')}`;
}

export async function teardown(): Promise<void> {
  const { dropRunDatabases } = await import('./db.js');
  const left = await dropRunDatabases(process.env.POSTURE_TEST_RUN_ID);
  if (left.length) console.warn(`[posture tests] dropped ${left.length} database(s) a test left behind: ${left.join(', ')}`);
}
