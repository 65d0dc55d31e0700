/**
 * Issue 11 #4 (iat in the future), #6 (token sessions end with the token), #12 (revoked
 * bootstrap token + restart: see bootstrap-restart.test.ts) and the Low item "a device can
 * rotate its key with a command id it invented". Real collector, real sockets, PGlite and PG.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../helpers/db.js';
import { startTestCollector, type TestCollector } from '../helpers/collector.js';
import { connectDevice, customToken, enrollDevice, nextMessage, openSocket, signJson } from '../helpers/device.js';
import { generateDeviceKey } from '../../agent/src/identity/keys.js';
import { CLOSE, MY_DEVICE_AUDIENCE_SUFFIX } from '../../shared/src/protocol/messages.js';

describe.each(backends())('tokens, sessions and rotations on %s', (backend) => {
  let c: TestCollector;
  beforeAll(async () => {
    c = await startTestCollector(backend);
  }, 120_000);
  afterAll(async () => {
    await c?.cleanup();
  });

  it('refuses a socket token and a My-device link issued in the future, even with a short exp − iat', async () => {
    const d = await enrollDevice(c.url);
    const now = Math.floor(Date.now() / 1000);
    const future = await customToken(d.key, { sub: d.deviceId, aud: d.audience, iat: now + 3600, exp: now + 3700 });
    const s = await openSocket(c.url, future);
    expect((await s.closed).code).toBe(CLOSE.badToken);
    const link = await customToken(d.key, { sub: d.deviceId, aud: d.audience + MY_DEVICE_AUDIENCE_SUFFIX, iat: now + 3600, exp: now + 3700 });
    const res = await fetch(`${c.url}/my-device/api/state`, { headers: { authorization: `DeviceLink ${link}` } });
    expect(res.status).toBeGreaterThanOrEqual(400);
    // Within the skew it still works.
    const ok = await customToken(d.key, { sub: d.deviceId, aud: d.audience + MY_DEVICE_AUDIENCE_SUFFIX, iat: now + 10, exp: now + 300 });
    expect((await fetch(`${c.url}/my-device/api/state`, { headers: { authorization: `DeviceLink ${ok}` } })).status).toBe(200);
  });

  it('a dashboard session opened with an API token ends when the token is revoked', async () => {
    const t = await c.api('/api/v1/tokens', { method: 'POST', body: JSON.stringify({ role: 'helpdesk', label: 'wall screen', expiresInDays: 1 }) });
    expect(t.status).toBe(201);
    const login = await fetch(`${c.url}/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: t.body.token }) });
    expect(login.status).toBe(303);
    const cookie = login.headers.get('set-cookie')!.split(';')[0];
    const page = () => fetch(`${c.url}/api/v1/devices`, { headers: { cookie } }).then((r) => r.status);
    expect(await page()).toBe(200);
    expect((await c.api(`/api/v1/tokens/${t.body.id}`, { method: 'DELETE' })).status).toBe(200);
    expect(await page()).toBe(401);
  });

  it('a device cannot rotate its key with a command id it invented', async () => {
    const d = await enrollDevice(c.url);
    const s = await connectDevice(d);
    await nextMessage(s.messages, (m) => m.type === 'welcome');
    const { key: next } = await generateDeviceKey();
    const commandId = 'cmd_made-up-by-the-device';
    s.ws.send(JSON.stringify({
      type: 'command-result', commandId, ok: true,
      oldKeyProof: await signJson(d.key, { deviceId: d.deviceId, commandId, newJwk: next.publicJwk }),
      newKeyProof: await signJson(next, { deviceId: d.deviceId, commandId }),
    }));
    const rej = await nextMessage(s.messages, (m) => m.type === 'reject' && m.id === commandId);
    expect(rej.message).toMatch(/no open rotate-key command/);
    const keys = await c.db.query('SELECT kid FROM device_keys WHERE device_id = $1', [d.deviceId]);
    expect(keys.rows).toHaveLength(1);
    s.ws.close();
  });
});
