/**
 * The database is unreachable (behind a proxy the test switches off): at collector start, the
 * collector waits for it; while running, reports are not acked but deferred, the API answers
 * 503 with Retry-After, health says degraded, and everything recovers by itself — exactly once.
 */
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { PG_URL, freePort, freshPgDatabase, tempDir } from '../helpers/db.js';
import { ADMIN_TOKEN, spawnCollectorProcess } from '../helpers/collector.js';
import { TcpProxy, viaProxy } from '../helpers/tcp-proxy.js';
import { pendingTotal, produce, startFleet, stopFleet, type FleetAgent } from '../helpers/fleet.js';
import { waitFor } from '../helpers/agent.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!PG_URL)('database unavailable', () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterAll(async () => {
    for (const f of cleanups.reverse()) await f();
  });

  it('waits for it at start, defers reports while it is down, recovers by itself', async () => {
    const db = await freshPgDatabase('dbdown');
    cleanups.push(() => db.drop());
    const target = new URL(db.url);
    const proxy = new TcpProxy(await freePort(), { host: target.hostname, port: Number(target.port || 5432) });
    cleanups.push(() => proxy.down());
    const port = await freePort();
    const proc = spawnCollectorProcess({ PORT: String(port), POSTURE_DATA_DIR: tempDir(), DATABASE_URL: viaProxy(db.url, proxy.port), POSTURE_DB_WAIT_SEC: '60' });
    cleanups.push(() => proc.child.kill('SIGKILL'));
    await sleep(3000);
    expect(proc.child.exitCode).toBeNull(); // still waiting, not crashed
    expect(proc.output()).toMatch(/database unavailable at start; waiting/);
    await proxy.up();
    const url = await proc.ready;

    const fleet: FleetAgent[] = await startFleet(url, 20);
    cleanups.push(() => stopFleet(fleet));
    await waitFor(async () => fleet.every((a) => a.link.connected), 30_000);
    for (const a of fleet) await produce(a);
    await waitFor(async () => pendingTotal(fleet) === 0, 30_000);

    await proxy.down();
    for (const a of fleet) await produce(a);
    await sleep(1500);
    // Nothing acked while the database is gone: every new report is still in its spool.
    expect(pendingTotal(fleet)).toBe(20);
    const api = await fetch(`${url}/api/v1/devices`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(api.status).toBe(503);
    expect(api.headers.get('retry-after')).toBeTruthy();
    expect((await api.json()).error.code).toBe('POSTURE_ERR_DB_UNAVAILABLE');
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(503);
    expect((await health.json()).db).toBe('unavailable');

    await sleep(2000);
    await proxy.up();
    await waitFor(async () => pendingTotal(fleet) === 0, 60_000, 250);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const ids = (await client.query('SELECT report_id FROM reports')).rows.map((r) => r.report_id);
    await client.end();
    const produced = fleet.flatMap((a) => a.produced);
    expect(ids.length).toBe(produced.length);
    expect(new Set(ids)).toEqual(new Set(produced));
    expect(proc.child.exitCode).toBeNull();
  }, 180_000);
});
