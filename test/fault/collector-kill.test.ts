/**
 * Fault: 200 agents (real spool + link code, in-process) keep reporting while the collector
 * process is killed with SIGKILL and restarted, and — on PostgreSQL — while the database
 * server itself restarts. Afterwards every report id produced is stored exactly once, and
 * applied by the projector exactly once (a kill during a projection pass rolls it back whole).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import pg from 'pg';
import { PG_URL, backends, freePort, freshPgDatabase, tempDir } from '../helpers/db.js';
import { spawnCollectorProcess } from '../helpers/collector.js';
import { pendingTotal, produce, startFleet, stopFleet, type FleetAgent } from '../helpers/fleet.js';
import { waitFor } from '../helpers/agent.js';
import { Projector } from '../../server/src/projector/projector.js';
import { DEFAULT_POLICY } from '../../shared/src/policy/default-policy.js';

const N = Number(process.env.POSTURE_FAULT_AGENTS ?? 200);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function storedIds(query: (sql: string) => Promise<string[]>): Promise<string[]> {
  return query('SELECT report_id FROM reports');
}

function producer(fleet: FleetAgent[], everyMs: number) {
  let on = true;
  const loop = (async () => {
    while (on) {
      const t0 = Date.now();
      for (const a of fleet) await produce(a);
      await sleep(Math.max(0, everyMs - (Date.now() - t0)));
    }
  })();
  return async () => {
    on = false;
    await loop;
  };
}

/** Projection is exactly-once too: each device's applied count equals its stored reports, and positions add up. */
async function assertProjectedOnce(query: (sql: string) => Promise<Record<string, unknown>[]>) {
  const rows = await query('SELECT d.id, d.reports_projected::int AS applied, (SELECT count(*)::int FROM reports r WHERE r.device_id = d.id) AS stored FROM devices d');
  const wrong = rows.filter((r) => r.applied !== r.stored);
  expect(wrong).toEqual([]);
  const [pos] = await query('SELECT (SELECT coalesce(sum(projected), 0)::int FROM projector_positions) AS projected, (SELECT count(*)::int FROM reports) AS stored');
  expect(pos.projected).toBe(pos.stored);
  expect(await query('SELECT report_id FROM projector_failures')).toEqual([]);
}

async function projectedTotal(query: (sql: string) => Promise<Record<string, unknown>[]>) {
  const [r] = await query('SELECT (SELECT coalesce(sum(projected), 0)::int FROM projector_positions) AS p, (SELECT count(*)::int FROM reports) AS s');
  return r.p === r.s;
}

async function assertExactlyOnce(fleet: FleetAgent[], ids: string[]) {
  const produced = fleet.flatMap((a) => a.produced);
  const stored = new Set(ids);
  expect(ids.length).toBe(stored.size); // primary key, but say it
  const missing = produced.filter((id) => !stored.has(id));
  expect(missing).toEqual([]);
  expect(stored.size).toBe(produced.length);
}

describe.each(backends())('collector SIGKILL under load on %s', (backend) => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const f of cleanups.reverse()) await f();
  });

  it(`${N} agents lose nothing across a collector kill -9 and restart`, async () => {
    const port = await freePort();
    const dataDir = tempDir('posture-kill-');
    const db = backend === 'pg' ? await freshPgDatabase('kill') : null;
    if (db) cleanups.push(() => db.drop());
    const env = { PORT: String(port), POSTURE_DATA_DIR: dataDir, ...(db ? { DATABASE_URL: db.url } : {}) };
    let proc = spawnCollectorProcess(env);
    cleanups.push(() => void proc.child.kill('SIGKILL'));
    const url = await proc.ready;
    const fleet = await startFleet(url, N);
    cleanups.push(() => stopFleet(fleet));
    await waitFor(async () => fleet.every((a) => a.link.connected), 60_000);
    const stop = producer(fleet, 1500);
    await sleep(4000);
    proc.child.kill('SIGKILL');
    await new Promise((r) => proc.child.once('exit', r));
    await sleep(2000); // agents keep producing into their spools while it is down
    proc = spawnCollectorProcess(env);
    await proc.ready;
    await sleep(4000);
    await stop();
    await waitFor(async () => pendingTotal(fleet) === 0, 120_000, 500);
    // Read through a fresh collector-independent connection.
    let ids: string[];
    if (db) {
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      ids = (await client.query('SELECT report_id FROM reports')).rows.map((r) => r.report_id);
      const query = async (sql: string) => (await client.query(sql)).rows;
      await waitFor(() => projectedTotal(query), 60_000, 250);
      await assertProjectedOnce(query);
      await client.end();
    } else {
      proc.child.kill('SIGTERM');
      await new Promise((r) => proc.child.once('exit', r));
      const { PGlite } = await import('@electric-sql/pglite');
      const lite = await PGlite.create(dataDir);
      ids = (await lite.query<{ report_id: string }>('SELECT report_id FROM reports')).rows.map((r) => r.report_id);
      // What the stopped collector had not applied yet stays in the log: a projector resumes it.
      const { openPglite } = await import('../../server/src/db/pglite.js');
      await lite.close();
      const store = await openPglite(dataDir);
      await new Projector(store, { policy: DEFAULT_POLICY }).catchUp();
      await assertProjectedOnce(async (sql) => (await store.query<Record<string, unknown>>(sql)).rows);
      await store.close();
    }
    expect(fleet.flatMap((a) => a.produced).length).toBeGreaterThanOrEqual(N * 3);
    await assertExactlyOnce(fleet, ids);
    void storedIds;
  }, 300_000);
});

describe.skipIf(!PG_URL)('PostgreSQL server restart under load', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const f of cleanups.reverse()) await f();
  });

  it(`${N} agents lose nothing while PostgreSQL restarts`, async () => {
    const cluster = readdirSync('/etc/postgresql')[0];
    const port = await freePort();
    const db = await freshPgDatabase('pgrestart');
    cleanups.push(() => db.drop());
    const proc = spawnCollectorProcess({ PORT: String(port), POSTURE_DATA_DIR: tempDir(), DATABASE_URL: db.url });
    cleanups.push(() => void proc.child.kill('SIGKILL'));
    const url = await proc.ready;
    const fleet = await startFleet(url, N);
    cleanups.push(() => stopFleet(fleet));
    await waitFor(async () => fleet.every((a) => a.link.connected), 60_000);
    const stop = producer(fleet, 1500);
    await sleep(3000);
    execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', cluster, 'main', 'restart'], { stdio: 'ignore' });
    await sleep(5000);
    await stop();
    await waitFor(async () => pendingTotal(fleet) === 0, 120_000, 500);
    expect(proc.child.exitCode).toBeNull(); // the collector survived and recovered by itself
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const ids = (await client.query('SELECT report_id FROM reports')).rows.map((r) => r.report_id);
    const query = async (sql: string) => (await client.query(sql)).rows;
    await waitFor(() => projectedTotal(query), 60_000, 250);
    await assertProjectedOnce(query);
    await client.end();
    await assertExactlyOnce(fleet, ids);
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
  }, 300_000);
});
