/**
 * Socket authentication: every way in without a valid, fresh, unique device token is refused
 * with its own close code, and nothing the refused socket sends is stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../helpers/db.js';
import { startTestCollector, type TestCollector } from '../helpers/collector.js';
import { connectDevice, customToken, enrollDevice, nextMessage, openSocket, signedReport, type TestDevice } from '../helpers/device.js';
import { generateDeviceKey } from '../../agent/src/identity/keys.js';
import { CLOSE } from '../../shared/src/protocol/messages.js';

describe.each(backends())('socket authentication on %s', (backend) => {
  let c: TestCollector;
  let d: TestDevice;

  beforeAll(async () => {
    c = await startTestCollector(backend);
    d = await enrollDevice(c.url);
  });
  afterAll(async () => c?.cleanup());

  const reportCount = async () => Number((await c.db.query<{ n: string }>('SELECT count(*) AS n FROM reports')).rows[0].n);

  /** Open with `token`, immediately send a valid report, expect `code` and no stored row. */
  async function refused(token: string | null, code: number) {
    const before = await reportCount();
    const s = await openSocket(c.url, token);
    const r = await signedReport(d);
    // Sent before the refusal can arrive: must not be processed.
    if (s.ws.readyState === s.ws.OPEN) s.ws.send(JSON.stringify({ type: 'report', id: r.id, jws: r.jws }));
    const closed = await s.closed;
    expect(closed.code).toBe(code);
    expect(s.messages.filter((m) => m.type === 'ack')).toEqual([]);
    await new Promise((res) => setTimeout(res, 100));
    expect(await reportCount()).toBe(before);
  }

  it('accepts a valid token and acks a report after storing it', async () => {
    const s = await connectDevice(d);
    await nextMessage(s.messages, (m) => m.type === 'welcome');
    const r = await signedReport(d);
    s.ws.send(JSON.stringify({ type: 'report', id: r.id, jws: r.jws }));
    await nextMessage(s.messages, (m) => m.type === 'ack' && m.id === r.id);
    const row = await c.db.query<{ jws: string }>('SELECT jws FROM reports WHERE report_id = $1', [r.id]);
    expect(row.rows[0].jws).toBe(r.jws); // stored verbatim
    s.ws.close();
  });

  it('refuses a socket without a token', async () => refused(null, CLOSE.noToken));

  it('refuses a token signed by another key', async () => {
    const other = (await generateDeviceKey()).key;
    // Claim our device's key id so the collector picks the right key and the signature fails.
    const forged = await customToken({ ...other, kid: d.key.kid }, { sub: d.deviceId, aud: d.audience });
    await refused(forged, CLOSE.badSignature);
  });

  it('refuses an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    await refused(await customToken(d.key, { sub: d.deviceId, aud: d.audience, iat: now - 600, exp: now - 300 }), CLOSE.expired);
  });

  it('refuses a replayed jti', async () => {
    const t = await customToken(d.key, { sub: d.deviceId, aud: d.audience });
    const first = await openSocket(c.url, t);
    await nextMessage(first.messages, (m) => m.type === 'welcome');
    first.ws.close();
    await refused(t, CLOSE.replayed);
  });

  it('refuses an unknown device', async () => {
    await refused(await customToken(d.key, { sub: 'dev_doesnotexist', aud: d.audience }), CLOSE.unknownDevice);
  });

  it('refuses a token for another collector (audience) and one living longer than 5 minutes', async () => {
    await refused(await customToken(d.key, { sub: d.deviceId, aud: 'posture-collector:someone-else' }), CLOSE.badToken);
    const now = Math.floor(Date.now() / 1000);
    await refused(await customToken(d.key, { sub: d.deviceId, aud: d.audience, iat: now, exp: now + 3600 }), CLOSE.badToken);
  });

  it('refuses a token without a jti and garbage tokens', async () => {
    await refused(await customToken(d.key, { sub: d.deviceId, aud: d.audience, jti: null }), CLOSE.badToken);
    await refused('not.a.jwt', CLOSE.badToken);
  });
});

describe('a device whose clock runs ahead', () => {
  it('is told to retry a future-dated report later (not stored now, not thrown away)', async () => {
    const c = await startTestCollector('pglite');
    try {
      const d = await enrollDevice(c.url);
      const s = await connectDevice(d);
      const r = await signedReport(d, { collectedAt: new Date(Date.now() + 3_600_000) });
      s.ws.send(JSON.stringify({ type: 'report', id: r.id, jws: r.jws }));
      const m = await nextMessage(s.messages, (x) => x.id === r.id);
      expect(m.type).toBe('retry');
      expect(m.retryAfterMs).toBeGreaterThan(3_000_000);
      expect((await c.db.query('SELECT 1 FROM reports WHERE report_id = $1', [r.id])).rows).toEqual([]);
      s.ws.close();
    } finally {
      await c.cleanup();
    }
  });
});
