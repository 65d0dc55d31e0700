/**
 * Input limits (rate, size, HTTP bodies) and graceful shutdown: agents are told when to come
 * back (with jitter) and nothing in flight is lost.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { backends, freePort } from '../helpers/db.js';
import { startTestCollector, type TestCollector } from '../helpers/collector.js';
import { connectDevice, enrollDevice, nextMessage, signedReport } from '../helpers/device.js';
import { pendingTotal, produce, startFleet, stopFleet, type FleetAgent } from '../helpers/fleet.js';
import { waitFor } from '../helpers/agent.js';
import { CLOSE } from '../../shared/src/protocol/messages.js';
import { DEFAULT_POLICY } from '../../shared/src/policy/default-policy.js';

describe.each(backends())('limits and shutdown on %s', (backend) => {
  let c: TestCollector | null = null;
  let fleet: FleetAgent[] = [];
  afterAll(async () => {
    stopFleet(fleet);
    await c?.cleanup();
  });

  it('closes a socket that floods messages (4009) and one that sends an oversize frame (1009)', async () => {
    c = await startTestCollector(backend);
    const d = await enrollDevice(c.url);
    const s = await connectDevice(d);
    for (let i = 0; i < 400; i++) s.ws.send(JSON.stringify({ type: 'hello', agentVersion: 'x', spoolPending: 0 }));
    expect((await s.closed).code).toBe(CLOSE.rateLimited);
    // The budget is per device: reconnecting does not reset it.
    const again = await connectDevice(d);
    again.ws.send(JSON.stringify({ type: 'hello', agentVersion: 'x', spoolPending: 0 }));
    expect((await again.closed).code).toBe(CLOSE.rateLimited);
    const d2 = await enrollDevice(c.url);
    const s2 = await connectDevice(d2);
    s2.ws.send('x'.repeat(600 * 1024));
    expect((await s2.closed).code).toBe(1009);
    // Other devices are unaffected, and an oversize frame does not lock a device out.
    const s3 = await connectDevice(d2);
    const r = await signedReport(d2);
    s3.ws.send(JSON.stringify({ type: 'report', id: r.id, jws: r.jws }));
    await nextMessage(s3.messages, (m) => m.type === 'ack' && m.id === r.id);
    s3.ws.close();
  });

  it('rejects oversize and malformed HTTP bodies with clear errors', async () => {
    const big = await fetch(`${c!.url}/agent/v1/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ x: 'y'.repeat(600 * 1024) }) });
    expect(big.status).toBe(413);
    expect((await big.json()).error.code).toBe('POSTURE_ERR_BODY_TOO_LARGE');
    const bad = await fetch(`${c!.url}/agent/v1/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"secret": 12' });
    expect(bad.status).toBe(400);
    const wrong = await fetch(`${c!.url}/agent/v1/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ secret: 'x'.repeat(20), publicJwk: { kty: 'RSA' } }) });
    expect(wrong.status).toBe(400);
    expect((await wrong.json()).error.code).toBe('POSTURE_ERR_VALIDATION');
    expect((await c!.api('/api/v1/devices?limit=100000')).status).toBe(400);
  });

  it('pushes a policy update to connected agents', async () => {
    const d = await enrollDevice(c!.url);
    const s = await connectDevice(d);
    await nextMessage(s.messages, (m) => m.type === 'welcome');
    await c!.ctx.policy.record({ ...DEFAULT_POLICY, intervalSec: 600 }, 'test', 'test');
    const upd = await nextMessage(s.messages, (m) => m.type === 'command' && m.command === 'policy-update');
    expect(upd.policy.intervalSec).toBe(600);
    s.ws.close();
  });

  it('shuts down gracefully: agents get a jittered retry-later, in-flight reports are committed, none lost', async () => {
    await c!.cleanup();
    const port = await freePort();
    c = await startTestCollector(backend, { PORT: String(port) });
    const dataDir = c.dataDir;
    const dbUrl = c.databaseUrl;
    fleet = await startFleet(c.url, 20);
    await waitFor(async () => fleet.every((a) => a.link.connected), 30_000);
    const codes: { code: number; reason: string }[] = [];
    // Watch the close frames the agents receive.
    for (const a of fleet) {
      const ws = (a.link as unknown as { ws: import('ws').WebSocket }).ws;
      ws.once('close', (code, reason) => codes.push({ code, reason: reason.toString() }));
    }
    for (const a of fleet) for (let i = 0; i < 5; i++) await produce(a);
    const closing = c.close();
    await closing;
    await waitFor(async () => codes.length === 20, 10_000, 50);
    const delays = codes.filter((x) => x.code === CLOSE.retryLater).map((x) => JSON.parse(x.reason).retryAfterMs as number);
    expect(delays.length).toBe(20);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(1000);
    expect(new Set(delays).size).toBeGreaterThan(10); // jittered, not all the same
    c = await startTestCollector(backend, { PORT: String(port), POSTURE_DATA_DIR: dataDir, ...(dbUrl ? { DATABASE_URL: dbUrl } : {}) });
    await waitFor(async () => pendingTotal(fleet) === 0, 60_000);
    const produced = fleet.flatMap((a) => a.produced);
    const rows = await c.db.query<{ n: string }>('SELECT count(*) AS n FROM reports WHERE report_id IN (SELECT jsonb_array_elements_text($1::jsonb))', [JSON.stringify(produced)]);
    expect(Number(rows.rows[0].n)).toBe(produced.length);
  }, 120_000);
});
