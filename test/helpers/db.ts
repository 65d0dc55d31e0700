/**
 * Databases for tests: the embedded store in a temp dir (always), and a fresh database on
 * the PostgreSQL server named by DATABASE_URL (when set). Tests that need PostgreSQL call
 * `pgOrSkip()` and are skipped with a visible message only when DATABASE_URL is unset.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const PG_URL = process.env.DATABASE_URL;

/**
 * Every database a test run creates carries the run's id (set once by global-setup.ts and
 * inherited by the workers), so the run's teardown — and .ci/run after it — can drop whatever a
 * crashed or timed-out test left behind.
 */
export const RUN_ID = (process.env.POSTURE_TEST_RUN_ID || `r${process.pid.toString(36)}`).toLowerCase().replace(/[^a-z0-9]/g, '');

/** SQL LIKE pattern matching every database of one run. */
export const runDatabasePattern = (runId = RUN_ID) => `posture\\_%\\_${runId}\\_%`;

/** Drop every database of this run still on the server; returns their names. */
export async function dropRunDatabases(runId = RUN_ID): Promise<string[]> {
  if (!PG_URL) return [];
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    const r = await c.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [runDatabasePattern(runId)]);
    for (const { datname } of r.rows) await c.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    return r.rows.map((x) => x.datname);
  } finally {
    await c.end();
  }
}

export function tempDir(prefix = 'posture-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Create a new, empty database on the DATABASE_URL server and return its URL. */
export async function freshPgDatabase(label = 't'): Promise<{ url: string; drop(): Promise<void> }> {
  if (!PG_URL) throw new Error('DATABASE_URL is not set');
  const name = `posture_${label}_${RUN_ID}_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`.toLowerCase();
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(PG_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      // Not swallowed: a database left behind is a failure someone must see.
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Backends to run a suite against: PGlite always, PostgreSQL when DATABASE_URL is set. */
export function backends(): ('pglite' | 'pg')[] {
  if (!PG_URL) {
    // Visible in the test output, not silent.
    console.warn('[posture tests] DATABASE_URL not set: PostgreSQL-server variants are SKIPPED (PGlite variants still run).');
    return ['pglite'];
  }
  return ['pglite', 'pg'];
}

/** A TCP port that is free right now on 127.0.0.1 (for a collector that must restart on the same port). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}
