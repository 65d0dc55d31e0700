/**
 * Attack pass (session 4, S4-A2): one device key floods the update history. `update-status`
 * is bounded only by the socket's rate limit (200 messages per 10 s per device), and every
 * `refused` with a new `at` was one more `update_attempts` row, kept for ever; the fleet's
 * failure list (GET /api/v1/updates `failures`, the Updates page) showed the 50 newest rows.
 * So one enrolled device sending 60 refusals hid another device's real rollback from the help
 * desk, and could grow the table without bound. Required: at most HISTORY_PER_DEVICE rows per
 * device, and the failure list names each device once (its newest failure).
 * Real collector (PGlite and PostgreSQL), real WebSockets, devices enrolled through the real API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, type TestCollector } from '../helpers/collector.js';
import { connectDevice, enrollDevice, makePayload, nextMessage, signJson, type TestDevice } from '../helpers/device.js';
import { HISTORY_PER_DEVICE } from '../../server/src/updates/status.js';
import { PG_URL } from '../helpers/db.js';

type Sock = Awaited<ReturnType<typeof connectDevice>>;
const STORES: ('pglite' | 'pg')[] = ['pglite', ...(PG_URL ? (['pg'] as const) : [])];

describe.each(STORES)('update-status flood from one device (%s)', (store) => {
  let c: TestCollector;
  const socks: Sock[] = [];

  async function device(name: string): Promise<{ d: TestDevice; s: Sock }> {
    const d = await enrollDevice(c.url, { hostname: name });
    const s = await connectDevice(d);
    socks.push(s);
    await nextMessage(s.messages, (m) => m.type === 'features');
    const payload = { ...makePayload(d, { hostname: name }), agentVersion: '1.0.0' };
    s.ws.send(JSON.stringify({ type: 'report', id: payload.reportId, jws: await signJson(d.key, payload) }));
    await nextMessage(s.messages, (m) => m.type === 'ack' && m.id === payload.reportId);
    return { d, s };
  }

  beforeAll(async () => {
    c = await startTestCollector(store);
  }, 60_000);
  afterAll(async () => {
    for (const s of socks) s.ws.close();
    await c?.cleanup();
  });

  it("one device's refusals neither hide another's rollback nor grow without bound", async () => {
    const victim = await device('flood-victim');
    const attacker = await device('flood-attacker');
    const now = Date.now();
    victim.s.ws.send(JSON.stringify({ type: 'update-status', state: 'rolled-back', from: '1.0.0', to: '1.1.0', reason: 'version 1.1.0 exited (code 1)', at: new Date(now - 60_000).toISOString() }));
    // 60 distinct refusals, all newer than the victim's rollback (within the socket's rate limit).
    for (let i = 0; i < 60; i++)
      attacker.s.ws.send(JSON.stringify({ type: 'update-status', state: 'refused', from: '1.0.0', to: '1.1.0', reason: `noise ${i}`, at: new Date(now - 30_000 + i * 10).toISOString() }));
    // The attacker's last refusal has been stored once its newest `at` shows as its last attempt.
    let f: any;
    for (let i = 0; i < 200; i++) {
      f = (await c.api('/api/v1/updates')).body;
      const a = f.devices.find((x: any) => x.hostname === 'flood-attacker');
      if (a?.lastAttempt?.at === new Date(now - 30_000 + 59 * 10).toISOString()) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(f.devices.find((x: any) => x.hostname === 'flood-attacker').lastAttempt.reason).toBe('noise 59');
    // The help desk still sees the real rollback; the flooder is one line.
    expect(f.failures.map((x: any) => x.hostname)).toEqual(['flood-attacker', 'flood-victim']);
    expect(f.failures[0].reason).toBe('noise 59');
    expect(f.failures[1]).toMatchObject({ state: 'rolled-back', reason: 'version 1.1.0 exited (code 1)' });

    // The store keeps at most HISTORY_PER_DEVICE rows for the flooder, the newest.
    const rows = (await c.db.query<{ reason: string }>(`SELECT a.reason FROM update_attempts a JOIN devices d ON d.id = a.device_id WHERE d.hostname = 'flood-attacker' ORDER BY a.attempted_at`)).rows;
    expect(rows).toHaveLength(HISTORY_PER_DEVICE);
    expect(rows[0].reason).toBe(`noise ${60 - HISTORY_PER_DEVICE}`);
    expect(rows.at(-1)!.reason).toBe('noise 59');
  });
});
