/**
 * My-device link tokens and the cookie session they buy: only a fresh, unused token signed
 * by this device's current key for the my-device audience opens the page, the page shows
 * that device only, and socket and page tokens are not interchangeable.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../helpers/db.js';
import { startTestCollector, type TestCollector } from '../helpers/collector.js';
import { connectDevice, customToken, deviceToken, enrollDevice, nextMessage, openSocket, signedReport, sampleChecks, type TestDevice } from '../helpers/device.js';
import { CLOSE, MY_DEVICE_AUDIENCE_SUFFIX } from '../../shared/src/protocol/messages.js';
import { waitFor } from '../helpers/agent.js';

describe.each(backends())('My-device link tokens on %s', (backend) => {
  let c: TestCollector;
  let a: TestDevice;
  let b: TestDevice;
  const aud = () => a.audience + MY_DEVICE_AUDIENCE_SUFFIX;

  beforeAll(async () => {
    c = await startTestCollector(backend);
    a = await enrollDevice(c.url, { hostname: 'alice-laptop' });
    b = await enrollDevice(c.url, { hostname: 'bob-laptop' });
    // Give each device a stored report so the page has checks to show.
    for (const [d, fw] of [[a, 'fail'], [b, 'pass']] as const) {
      const s = await connectDevice(d);
      await nextMessage(s.messages, (m) => m.type === 'welcome');
      const r = await signedReport(d, { hostname: d === a ? 'alice-laptop' : 'bob-laptop', checks: sampleChecks({ firewall: { status: fw, summary: `firewall ${fw} on ${d === a ? 'alice' : 'bob'}`, remediation: { steps: ['Run `sudo ufw enable`.'] } } }) });
      s.ws.send(JSON.stringify({ type: 'report', id: r.id, jws: r.jws }));
      await nextMessage(s.messages, (m) => m.type === 'ack' && m.id === r.id);
      await c.projector.catchUp();
      s.ws.close();
    }
  });
  afterAll(async () => c?.cleanup());

  /** GET /my-device?t=… without following the refresh; returns status, cookie and body. */
  async function exchange(token: string, cookie?: string) {
    const res = await fetch(`${c.url}/my-device?t=${encodeURIComponent(token)}`, { redirect: 'manual', headers: cookie ? { cookie } : {} });
    const setCookie = res.headers.get('set-cookie');
    return { status: res.status, setCookie, cookie: setCookie?.split(';')[0], body: await res.text(), headers: res.headers };
  }
  const page = (cookie: string) => fetch(`${c.url}/my-device`, { headers: { cookie } }).then(async (r) => ({ status: r.status, body: await r.text(), headers: r.headers }));

  it('a valid token sets a scoped HttpOnly SameSite=Strict cookie and the page shows this device only', async () => {
    const x = await exchange(await deviceToken(a.key, a.deviceId, aud(), 600));
    expect(x.status).toBe(200);
    expect(x.setCookie).toMatch(/^posture_my_device=[A-Za-z0-9_-]{40,}; Path=\/my-device; Max-Age=1800; HttpOnly; SameSite=Strict$/);
    expect(x.body).toContain('url=/my-device"'); // token leaves the address bar
    expect(x.headers.get('referrer-policy')).toBe('no-referrer');
    const p = await page(x.cookie!);
    expect(p.status).toBe(200);
    expect(p.body).toContain('alice-laptop');
    expect(p.body).toContain('firewall fail on alice');
    expect(p.body).toContain('Run <code>sudo ufw enable</code>.');
    expect(p.body).not.toContain('bob-laptop');
    expect(p.body).not.toContain(b.deviceId);
    expect(p.headers.get('content-security-policy')).toContain("script-src 'self'");
    const api = await fetch(`${c.url}/my-device/api/state`, { headers: { cookie: x.cookie! } }).then((r) => r.json());
    expect(api.device.id).toBe(a.deviceId);
    expect(api.checks.find((k: { id: string }) => k.id === 'firewall').state).toMatch(/failing|noncompliant/);
  });

  it('a link works once; a second use is refused', async () => {
    const t = await deviceToken(a.key, a.deviceId, aud(), 600);
    expect((await exchange(t)).status).toBe(200);
    const again = await exchange(t);
    expect(again.status).toBe(401);
    expect(again.setCookie).toBeNull();
    expect(again.body).toContain('already been used');
  });

  it('refuses an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const x = await exchange(await customToken(a.key, { sub: a.deviceId, aud: aud(), iat: now - 900, exp: now - 120 }));
    expect(x.status).toBe(401);
    expect(x.setCookie).toBeNull();
    expect(x.body).toContain('expired');
  });

  it('refuses a token living longer than 15 minutes', async () => {
    const now = Math.floor(Date.now() / 1000);
    const x = await exchange(await customToken(a.key, { sub: a.deviceId, aud: aud(), iat: now, exp: now + 3600 }));
    expect(x.status).toBe(401);
    expect(x.setCookie).toBeNull();
  });

  it('refuses a tampered token (other device id in the claims, original signature)', async () => {
    const t = await deviceToken(a.key, a.deviceId, aud(), 600);
    const [h, p, s] = t.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: b.deviceId })).toString('base64url')}.${s}`;
    const x = await exchange(forged);
    expect(x.status).toBe(401);
    expect(x.setCookie).toBeNull();
    // And a flipped signature byte on an otherwise valid token.
    const t2 = await deviceToken(a.key, a.deviceId, aud(), 600);
    const bad = t2.slice(0, -4) + (t2.slice(-4, -3) === 'A' ? 'B' : 'A') + t2.slice(-3);
    expect((await exchange(bad)).status).toBe(401);
  });

  it("refuses a token for device A signed by device B's key", async () => {
    const x = await exchange(await customToken(b.key, { sub: a.deviceId, aud: aud() }));
    expect(x.status).toBe(401);
    expect(x.setCookie).toBeNull();
  });

  it('a device id in the URL changes nothing: the session sees only its own device and commands', async () => {
    const x = await exchange(await deviceToken(a.key, a.deviceId, aud(), 600));
    const p = await fetch(`${c.url}/my-device?device=${b.deviceId}&id=${b.deviceId}`, { headers: { cookie: x.cookie! } }).then((r) => r.text());
    expect(p).toContain('alice-laptop');
    expect(p).not.toContain('bob-laptop');
    // A command of device B is not visible through A's session.
    const cmd = await c.api(`/api/v1/devices/${b.deviceId}/check-now`, { method: 'POST', body: '{}' });
    expect(cmd.status).toBe(202);
    const peek = await fetch(`${c.url}/my-device/api/commands/${cmd.body.commandId}`, { headers: { cookie: x.cookie! } });
    expect(peek.status).toBe(404);
    // And the admin API does not accept the my-device cookie.
    const admin = await fetch(`${c.url}/api/v1/devices/${a.deviceId}`, { headers: { cookie: x.cookie! } });
    expect(admin.status).toBe(401);
  });

  it('re-check needs the CSRF token and a same-origin request', async () => {
    const x = await exchange(await deviceToken(a.key, a.deviceId, aud(), 600));
    const p = await page(x.cookie!);
    const csrf = /data-csrf="([^"]+)"/.exec(p.body)![1];
    const post = (headers: Record<string, string>) => fetch(`${c.url}/my-device/api/check-now`, { method: 'POST', headers: { cookie: x.cookie!, 'content-type': 'application/json', ...headers }, body: '{}' });
    expect((await post({})).status).toBe(403);
    expect((await post({ 'x-csrf-token': 'wrong' })).status).toBe(403);
    expect((await post({ 'x-csrf-token': csrf, origin: 'https://evil.example' })).status).toBe(403);
    const ok = await post({ 'x-csrf-token': csrf, origin: c.url });
    expect(ok.status).toBe(202);
    const { commandId } = await ok.json();
    const row = await c.db.query<{ device_id: string; created_by: string }>('SELECT device_id, created_by FROM commands WHERE id = $1', [commandId]);
    expect(row.rows[0]).toEqual({ device_id: a.deviceId, created_by: `device-link:${a.deviceId}` });
    // Immediately again: rate-limited, not another command.
    expect((await post({ 'x-csrf-token': csrf })).status).toBe(429);
  });

  it('the socket refuses a my-device token, and the page refuses a socket token', async () => {
    const s = await openSocket(c.url, await deviceToken(a.key, a.deviceId, aud(), 120));
    expect((await s.closed).code).toBe(CLOSE.badToken);
    const x = await exchange(await deviceToken(a.key, a.deviceId, a.audience, 120));
    expect(x.status).toBe(401);
    expect(x.setCookie).toBeNull();
  });

  it('the JSON endpoint accepts "Authorization: DeviceLink <token>" for the agent CLI', async () => {
    const r = await fetch(`${c.url}/my-device/api/state`, { headers: { authorization: `DeviceLink ${await deviceToken(a.key, a.deviceId, aud(), 60)}` } });
    expect(r.status).toBe(200);
    expect((await r.json()).device.hostname).toBe('alice-laptop');
    const bad = await fetch(`${c.url}/my-device/api/state`, { headers: { authorization: `DeviceLink ${await deviceToken(a.key, a.deviceId, a.audience, 60)}` } });
    expect(bad.status).toBe(401);
  });

  it('a revoked device: links are refused and open sessions stop working', async () => {
    const x = await exchange(await deviceToken(b.key, b.deviceId, b.audience + MY_DEVICE_AUDIENCE_SUFFIX, 600));
    expect((await page(x.cookie!)).status).toBe(200);
    expect((await c.api(`/api/v1/devices/${b.deviceId}/revoke`, { method: 'POST', body: '{}' })).status).toBe(200);
    await waitFor(async () => (await page(x.cookie!)).status === 403);
    const y = await exchange(await deviceToken(b.key, b.deviceId, b.audience + MY_DEVICE_AUDIENCE_SUFFIX, 600));
    expect(y.status).toBe(403);
    expect(y.setCookie).toBeNull();
  });

  it('a key retired by rotation no longer signs links', async () => {
    const d = await enrollDevice(c.url, { hostname: 'rotated-laptop' });
    const t = await deviceToken(d.key, d.deviceId, d.audience + MY_DEVICE_AUDIENCE_SUFFIX, 600);
    await c.db.query('UPDATE device_keys SET retired_at = now() WHERE kid = $1', [d.key.kid]);
    c.ctx.keys.invalidate(d.deviceId);
    const x = await exchange(t);
    expect(x.status).toBe(401);
    expect(x.body).toContain('current key');
  });

  it('an expired session cookie shows the "run posture-agent open" page', async () => {
    const x = await exchange(await deviceToken(a.key, a.deviceId, aud(), 600));
    await c.db.query("UPDATE my_device_sessions SET expires_at = now() - interval '1 second'");
    const p = await page(x.cookie!);
    expect(p.status).toBe(401);
    expect(p.body).toContain('posture-agent open');
  });
});
