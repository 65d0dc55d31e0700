/**
 * Issue 11 #5 (forwarded headers, lockout), #7 (slow-body clients), #8 (enrollment rate limit,
 * aggregated audit), #11 (open redirect) and the Low items login CSRF, Secure cookie, query
 * token redaction, help links from the policy only, refused exports audited — against a real
 * collector over real TCP.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { ENROLL_SECRET, startTestCollector, type TestCollector } from '../helpers/collector.js';
import { buildApp } from '../../server/src/app.js';
import { redactUrl } from '../../server/src/http/log-redact.js';
import { sameOriginPath } from '../../server/src/http/origin.js';
import { presentRemediation } from '../../server/src/mydevice/remediation.js';
import { DEFAULT_POLICY } from '../../shared/src/policy/default-policy.js';
import { sampleInventory } from '../helpers/device.js';

const started: TestCollector[] = [];
const start = async (env: Record<string, string> = {}) => {
  const c = await startTestCollector('pglite', env);
  started.push(c);
  return c;
};
afterAll(async () => {
  for (const c of started) await c.cleanup();
});

const direct = (c: TestCollector) => `http://127.0.0.1:${c.port}`;
const form = (c: TestCollector, fields: Record<string, string>, headers: Record<string, string> = {}) =>
  fetch(`${direct(c)}/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields) });

async function auditRows(c: TestCollector, action: string) {
  return (await c.db.query<{ ip: string; outcome: string; detail: any }>('SELECT ip, outcome, detail FROM audit_log WHERE action = $1 ORDER BY id', [action])).rows;
}

describe('forwarded headers and sign-in throttling (#5)', () => {
  it('X-Forwarded-For from an untrusted peer is ignored: the audit log records the real address', async () => {
    const c = await start();
    await form(c, { username: 'nobody', password: 'wrong-password' }, { 'x-forwarded-for': '6.6.6.6' });
    const rows = await auditRows(c, 'auth.login');
    expect(rows.at(-1)!.ip).toBe('127.0.0.1');
  });

  it('with POSTURE_TRUSTED_PROXIES, failures as bob from the attacker do not lock bob out from his own address', async () => {
    const c = await start({ POSTURE_TRUSTED_PROXIES: '127.0.0.1' });
    expect((await c.api('/api/v1/users', { method: 'POST', body: JSON.stringify({ username: 'bob', password: 'correct horse battery', role: 'helpdesk' }) })).status).toBe(201);
    for (let i = 0; i < 12; i++) await form(c, { username: 'bob', password: `guess-${i}-wrong` }, { 'x-forwarded-for': '6.6.6.6' });
    expect((await form(c, { username: 'bob', password: 'correct horse battery' }, { 'x-forwarded-for': '6.6.6.6' })).status).toBe(429);
    const real = await form(c, { username: 'bob', password: 'correct horse battery' }, { 'x-forwarded-for': '10.1.2.3' });
    expect(real.status).toBe(303);
    expect((await auditRows(c, 'auth.login')).some((r) => r.ip === '6.6.6.6')).toBe(true);
  });
});

/** A client that sends the request line and headers of a body it never sends. */
function slowBody(port: number): Promise<{ socket: Socket; closed: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write('POST /agent/v1/enroll HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"secret":');
      let got = '';
      socket.on('data', (d) => (got += d.toString()));
      resolve({ socket, closed: new Promise((r) => socket.on('close', () => r(got))) });
    });
    socket.on('error', () => {});
    socket.once('error', reject);
  });
}

describe('slow-body clients (#7)', () => {
  it('are capped per source and cut off by the request timeout, and /healthz stays up', async () => {
    const c = await start({ POSTURE_REQUEST_TIMEOUT_MS: '2000', POSTURE_MAX_PUBLIC_REQUESTS_PER_SOURCE: '16' });
    const t0 = Date.now();
    const held = await Promise.all(Array.from({ length: 120 }, () => slowBody(c.port)));
    const th = Date.now();
    const h = await fetch(`${c.url}/healthz`);
    expect(h.status).toBe(200);
    // Answered while 120 bodies are held (before the fix it never answered); slack for a loaded machine.
    expect(Date.now() - th).toBeLessThan(5000);
    const answers = await Promise.all(held.map((x) => x.closed));
    // Beyond the cap: refused at once with 429; the rest cut off by the request timeout (408).
    expect(answers.filter((a) => a.startsWith('HTTP/1.1 429')).length).toBeGreaterThanOrEqual(100);
    expect(answers.every((a) => /^HTTP\/1\.1 (429|408)/.test(a) || a === '')).toBe(true);
    // Held ones are cut off by the 2 s request timeout, not left open (load on a shared CI box adds slack).
    expect(Date.now() - t0).toBeLessThan(15_000);
    for (const x of held) x.socket.destroy();
  }, 120_000);
});

describe('enrollment rate limit and aggregated audit (#8)', () => {
  it('throttles per source and writes one audit row per source per minute for all refused attempts', async () => {
    const c = await start({ POSTURE_ENROLL_RATE_PER_MIN: '5' });
    const body = JSON.stringify({ secret: 'pst_enr_wrong-secret-xxxxxxxxxxxx', publicJwk: { kty: 'OKP', crv: 'Ed25519', x: 'A'.repeat(43) }, fingerprint: 'a'.repeat(64), agentVersion: 't', inventory: sampleInventory() });
    const codes: number[] = [];
    for (let i = 0; i < 40; i++) codes.push((await c.api('/agent/v1/enroll', { method: 'POST', token: null, body })).status);
    expect(codes.filter((s) => s === 429).length).toBe(35);
    const limited = await c.api('/agent/v1/enroll', { method: 'POST', token: null, body });
    expect(limited.body.error.code).toBe('POSTURE_ERR_RATE_LIMITED');
    await c.ctx.refusals.flush();
    const rows = (await auditRows(c, 'device.enroll')).filter((r) => r.outcome === 'denied');
    expect(rows).toHaveLength(1);
    expect(rows[0].ip).toBe('127.0.0.1');
    expect(rows[0].detail.count).toBe(41);
    expect(rows[0].detail.reasons.throttled).toBe(36);
    expect(ENROLL_SECRET).toBeTruthy();
  });
});

describe('sign-in redirects, CSRF and cookies (#11, Low)', () => {
  it('post-sign-in targets are same-origin paths only, parsed as a browser does', () => {
    for (const evil of ['//evil.example', '/\\evil.example', '/\t/evil.example', '/\\/evil.example', '/\n/evil.example', 'https://evil.example', '/%5Cevil.example/..', '\\\\evil.example'])
      expect(new URL(sameOriginPath(evil), 'https://posture.example').host, JSON.stringify(evil)).toBe('posture.example');
    expect(sameOriginPath('/devices?state=failing#x')).toBe('/devices?state=failing#x');
  });

  it('a token sign-in with next=/\\evil.example stays on the site; a cross-site form post is refused; Secure behind https', async () => {
    const c = await start({ POSTURE_PUBLIC_URL: 'https://posture.example.com' });
    const token = (await (await fetch(`${direct(c)}/api/v1/tokens`, { method: 'POST', headers: { authorization: 'Bearer pst_adm_test-admin-token-0123456789', 'content-type': 'application/json' }, body: JSON.stringify({ role: 'helpdesk', label: 'redir', expiresInDays: 1 }) })).json()).token as string;
    const r = await form(c, { token, next: '/\\evil.example' });
    expect(r.status).toBe(303);
    expect(new URL(r.headers.get('location')!, 'https://posture.example.com').host).toBe('posture.example.com');
    expect(r.headers.get('set-cookie')).toMatch(/; Secure/);
    // Login CSRF: a form on another site posting the attacker's token is refused.
    const forged = await form(c, { token }, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
    expect(forged.status).toBe(403);
    // The real form: cookie + hidden token from GET /login, same origin.
    const page = await fetch(`${direct(c)}/login`);
    const cookie = page.headers.get('set-cookie')!.split(';')[0];
    expect(page.headers.get('set-cookie')).toMatch(/SameSite=Strict; Max-Age=3600; Secure/);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1];
    const ok = await form(c, { token, _csrf: csrf }, { origin: 'https://posture.example.com', cookie });
    expect(ok.status).toBe(303);
    const noToken = await form(c, { token }, { origin: 'https://posture.example.com', cookie });
    expect(noToken.status).toBe(403);
  });
});

describe('Low batch', () => {
  it('request logs do not carry My-device link tokens', async () => {
    expect(redactUrl('/my-device?t=eyJhbGc.secret.sig&x=1')).toBe('/my-device?t=[redacted]&x=1');
    const c = await start();
    const lines: string[] = [];
    // Per-request lines are written at debug only (issue 18 #11); the redaction must hold there.
    const { log: _l, refusals: _r, ...base } = c.ctx;
    const { app } = await buildApp(base, { logger: { level: 'debug', stream: { write: (s: string) => lines.push(s) } } });
    await app.inject({ url: '/my-device?t=eyJhbGciOiJFZERTQSJ9.c2VjcmV0LWxpbmstdG9rZW4.c2ln' });
    await app.close();
    expect(lines.join('')).toContain('"url":"/my-device"'); // the request line drops the query string altogether
    expect(lines.join('')).not.toContain('c2VjcmV0LWxpbmstdG9rZW4');
  });

  it('a help link sent by the device is never shown; the policy link is', () => {
    const r = presentRemediation(DEFAULT_POLICY, 'linux', 'firewall', { steps: ['x'], url: 'https://phish.example/reset' });
    expect(r.url).toBeNull();
  });

});
