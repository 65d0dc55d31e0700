/**
 * Scale-out: two collector PROCESSES on one PostgreSQL database. Any process takes any
 * agent; a check-now or a revoke issued through A reaches an agent connected to B
 * (LISTEN/NOTIFY); background jobs run once across both (advisory locks).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import pg from 'pg';
import { CLOSE, WS_PATH, type ServerMessage } from '#shared/protocol/messages.js';
import { deviceToken, generateDeviceKey, signJson, type DeviceKey } from '../../agent/src/identity/keys.js';
import { uuidv7 } from '../../agent/src/identity/uuid7.js';
import { checksOf, inventoryOf } from '../../scripts/simulate/templates.js';
import { ADMIN_TOKEN, ENROLL_SECRET, spawnCollectorProcess } from '../helpers/collector.js';
import { freshPgDatabase, PG_URL, tempDir } from '../helpers/db.js';
import { waitFor } from '../helpers/agent.js';

if (!PG_URL) console.warn('[posture tests] DATABASE_URL not set: test/scale/two-collectors.test.ts is SKIPPED (it needs a PostgreSQL server).');

interface Agent {
  deviceId: string;
  key: DeviceKey;
  ws: WebSocket;
  messages: ServerMessage[];
  closed: Promise<number>;
}

async function api(base: string, path: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(base + path, { ...init, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(init.body ? { 'content-type': 'application/json' } : {}) } });
  return { status: res.status, body: await res.json().catch(() => null) };
}

describe.skipIf(!PG_URL)('two collector processes, one PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof freshPgDatabase>>;
  let procs: ReturnType<typeof spawnCollectorProcess>[] = [];
  let A: string;
  let B: string;
  let audience: string;
  let sql: pg.Client;
  const agents: Agent[] = [];

  async function enroll(base: string, i: number): Promise<{ deviceId: string; key: DeviceKey }> {
    const { key } = await generateDeviceKey();
    const r = await fetch(`${base}/agent/v1/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ secret: ENROLL_SECRET, publicJwk: key.publicJwk, fingerprint: randomBytes(32).toString('hex'), agentVersion: 'test', inventory: inventoryOf(i) }),
    });
    expect(r.status).toBe(201);
    return { deviceId: ((await r.json()) as { deviceId: string }).deviceId, key };
  }

  async function connect(base: string, dev: { deviceId: string; key: DeviceKey }): Promise<Agent> {
    const ws = new WebSocket(base.replace(/^http/, 'ws') + WS_PATH, { headers: { authorization: `Bearer ${await deviceToken(dev.key, dev.deviceId, audience)}` } });
    const messages: ServerMessage[] = [];
    ws.on('message', (d) => messages.push(JSON.parse(d.toString())));
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    await waitFor(async () => messages.some((m) => m.type === 'welcome'), 15_000, 50);
    const a = { ...dev, ws, messages, closed };
    agents.push(a);
    return a;
  }

  async function sendReport(a: Agent, trigger: string): Promise<string> {
    const reportId = uuidv7();
    const payload = { v: 1, reportId, deviceId: a.deviceId, seq: a.messages.length, collectedAt: new Date().toISOString(), agentVersion: 'test', trigger, inventory: inventoryOf(1), checks: checksOf(1, 0) };
    a.ws.send(JSON.stringify({ type: 'report', id: reportId, jws: await signJson(a.key, payload) }));
    return reportId;
  }

  beforeAll(async () => {
    db = await freshPgDatabase('scale');
    const env = { DATABASE_URL: db.url, PORT: '0', POSTURE_JOB_INTERVAL_MS: '300' };
    procs = [spawnCollectorProcess({ ...env, POSTURE_DATA_DIR: tempDir() }), spawnCollectorProcess({ ...env, POSTURE_DATA_DIR: tempDir() })];
    [A, B] = await Promise.all(procs.map((p) => p.ready));
    audience = ((await (await fetch(`${A}/agent/v1/info`)).json()) as { collectorId: string }).collectorId;
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
  }, 120_000);

  afterAll(async () => {
    for (const a of agents) a.ws.terminate();
    await sql?.end();
    await Promise.all(procs.map((p) => new Promise((r) => (p.child.exitCode !== null ? r(null) : (p.child.once('exit', r), p.child.kill('SIGTERM'))))));
    await db?.drop();
  });

  it('both processes share one identity and either accepts any agent', async () => {
    const infoB = (await (await fetch(`${B}/agent/v1/info`)).json()) as { collectorId: string };
    expect(infoB.collectorId).toBe(audience);
    const dev = await enroll(A, 1);
    const onB = await connect(B, dev);
    const id = await sendReport(onB, 'interval');
    await waitFor(async () => onB.messages.some((m) => m.type === 'ack' && m.id === id), 15_000, 50);
    onB.ws.close();
    await onB.closed;
    const dev2 = await enroll(B, 2);
    const onA = await connect(A, dev2);
    expect(onA.messages[0].type).toBe('welcome');
  });

  it('a check-now issued through A reaches the agent on B, and A sees it completed', async () => {
    const a = await connect(B, await enroll(A, 3));
    const r = await api(A, `/api/v1/devices/${a.deviceId}/check-now`, { method: 'POST', body: '{}' });
    expect(r.status).toBe(202);
    const cmd = await waitFor(async () => a.messages.find((m) => m.type === 'command' && m.commandId === r.body.commandId), 15_000, 50);
    expect(cmd).toMatchObject({ command: 'check-now' });
    await sendReport(a, `check-now:${r.body.commandId}`);
    const done = await waitFor(async () => {
      const s = await api(A, `/api/v1/devices/${a.deviceId}/commands/${r.body.commandId}`);
      return s.body?.completed_at ? s.body : null;
    }, 15_000, 100);
    expect(done.command).toBe('check-now');
  });

  it('a revoke through A closes the agent’s socket on B with the revoked code', async () => {
    const a = await connect(B, await enroll(A, 4));
    const r = await api(A, `/api/v1/devices/${a.deviceId}/revoke`, { method: 'POST', body: JSON.stringify({ reason: 'lost laptop' }) });
    expect(r.status).toBe(200);
    const code = await Promise.race([a.closed, new Promise((r) => setTimeout(() => r('timeout'), 15_000))]);
    expect(code).toBe(CLOSE.revoked);
  });

  it('stale marking runs once across both processes: one stale event per device', async () => {
    const ids = Array.from({ length: 300 }, (_, k) => `dev_stale_${k}`);
    await sql.query(
      `INSERT INTO devices (id, fingerprint, hostname, platform, inventory, state, last_report_at, enrolled_at)
       SELECT id, md5(id), id, 'linux', '{}'::jsonb, 'compliant', now() - interval '100 days', now() - interval '200 days' FROM unnest($1::text[]) AS id`,
      [ids],
    );
    await waitFor(async () => {
      const r = await sql.query(`SELECT count(*)::int AS n FROM devices WHERE id = ANY($1) AND state = 'stale'`, [ids]);
      return r.rows[0].n === ids.length;
    }, 30_000, 200);
    // Several more job periods on both processes: nothing may be marked twice.
    await new Promise((r) => setTimeout(r, 2_000));
    const ev = await sql.query(
      `SELECT device_id, count(*)::int AS n FROM state_events WHERE device_id = ANY($1) AND check_id = '*' AND to_state = 'stale' GROUP BY device_id`,
      [ids],
    );
    expect(ev.rows.length).toBe(ids.length);
    expect(ev.rows.filter((r) => r.n !== 1)).toEqual([]);
  });
});
