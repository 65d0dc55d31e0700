/**
 * Acceptance QA: a database that refuses new connections (`ALTER DATABASE … ALLOW_CONNECTIONS false`
 * during maintenance or a failover, SQLSTATE 55000) is "database unavailable": 503 with Retry-After
 * and a retry for agents, not a 500 "internal error"; the collector recovers when it returns.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { isDbUnavailable } from '../../server/src/db/types.js';
import { ADMIN_TOKEN, startTestCollector, type TestCollector } from '../helpers/collector.js';
import { PG_URL } from '../helpers/db.js';
import { waitFor } from '../helpers/agent.js';

describe('database refusing connections', () => {
  it('classifies SQLSTATE 55000 "not currently accepting connections" as unavailable', () => {
    expect(isDbUnavailable({ code: '55000', message: 'database "x" is not currently accepting connections' })).toBe(true);
    expect(isDbUnavailable({ code: '23505', message: 'duplicate key value violates unique constraint' })).toBe(false);
  });
});

describe.skipIf(!PG_URL)('collector on a database that stops accepting connections (pg)', () => {
  let c: TestCollector;
  let dbName: string;
  const admin = async (sql: string) => {
    const a = new pg.Client({ connectionString: PG_URL });
    await a.connect();
    try {
      await a.query(sql);
    } finally {
      await a.end();
    }
  };
  beforeAll(async () => {
    c = await startTestCollector('pg');
    dbName = new URL(c.databaseUrl!).pathname.slice(1);
  }, 60_000);
  afterAll(async () => {
    await admin(`ALTER DATABASE ${dbName} ALLOW_CONNECTIONS true`).catch(() => {});
    await c?.cleanup();
  });

  it('answers 503 with Retry-After while refused, and recovers by itself', async () => {
    expect((await c.api('/api/v1/devices')).status).toBe(200);
    await admin(`ALTER DATABASE ${dbName} ALLOW_CONNECTIONS false`);
    await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${dbName}'`);
    // Several requests: the first ones may meet pooled clients that were just terminated (57P01);
    // later ones open new connections and meet the refusal itself (55000).
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${c.url}/api/v1/devices`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      const body = await res.json();
      expect(res.status, JSON.stringify(body)).toBe(503);
      expect(body.error.code).toBe('POSTURE_ERR_DB_UNAVAILABLE');
      expect(res.headers.get('retry-after')).toBeTruthy();
    }
    await admin(`ALTER DATABASE ${dbName} ALLOW_CONNECTIONS true`);
    await waitFor(async () => (await c.api('/api/v1/devices')).status === 200, 30_000);
  }, 60_000);
});
