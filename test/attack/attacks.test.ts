/**
 * The attack suite (issue 11 "How it is checked"): replays each class of issue 11 that this
 * area fixed against a real collector over real TCP and WebSockets, and prints a table
 * (attack · expected refusal · observed). Every row is also asserted. Classes owned by other
 * areas (enrollment takeover, store permissions, token iat, ...) have their own tests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { ENROLL_SECRET, startTestCollector, type TestCollector } from '../helpers/collector.js';
import { connectDevice, enrollDevice, makePayload, nextMessage, sampleChecks, sampleInventory, signJson } from '../helpers/device.js';
import { generateDeviceKey } from '../../agent/src/identity/keys.js';
import { alertText } from '../../server/src/alerts/slack.js';
import { presentRemediation } from '../../server/src/mydevice/remediation.js';
import { redactUrl } from '../../server/src/http/log-redact.js';
import { LoginThrottle } from '../../server/src/auth/login-throttle.js';
import { DEFAULT_POLICY } from '../../shared/src/policy/default-policy.js';
import { csvRow } from '../../shared/src/evidence/csv.js';
import { peerInodeFromSs } from '../../agent/src/local/peer.js';

interface Row {
  finding: string;
  attack: string;
  expected: string;
  observed: string;
  ok: boolean;
}

describe('attack suite (issue 11)', () => {
  let c: TestCollector;
  const rows: Row[] = [];
  beforeAll(async () => {
    c = await startTestCollector('pglite', { POSTURE_REQUEST_TIMEOUT_MS: '2000', POSTURE_MAX_PUBLIC_REQUESTS_PER_SOURCE: '16', POSTURE_ENROLL_RATE_PER_MIN: '5' });
  }, 120_000);
  afterAll(async () => {
    const w = [18, 52, 44];
    const line = (a: string, b: string, d: string, e: string, f: string) => `${a.padEnd(6)} ${b.padEnd(w[0] + 34).slice(0, w[0] + 34)} ${d.padEnd(w[1]).slice(0, w[1])} ${e.padEnd(w[2]).slice(0, w[2])} ${f}`;
    console.log(['', line('#', 'attack', 'expected refusal', 'observed', ''), ...rows.map((r) => line(r.finding, r.attack, r.expected, r.observed, r.ok ? 'OK' : 'FAIL'))].join('\n'));
    await c?.cleanup();
  });
  const record = (finding: string, attack: string, expected: string, observed: string, ok: boolean) => {
    rows.push({ finding, attack, expected, observed, ok });
    expect(ok, `${attack}: observed ${observed}`).toBe(true);
  };
  const direct = () => `http://127.0.0.1:${c.port}`;
  const login = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${direct()}/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields) });

  it('#5 forged X-Forwarded-For is not believed', async () => {
    await login({ username: 'ghost', password: 'wrong-password' }, { 'x-forwarded-for': '6.6.6.6' });
    const ip = (await c.db.query<{ ip: string }>("SELECT ip FROM audit_log WHERE action = 'auth.login' ORDER BY id DESC LIMIT 1")).rows[0]?.ip;
    record('11#5', 'sign-in with X-Forwarded-For: 6.6.6.6 (untrusted peer)', 'audit records the real peer 127.0.0.1', `audit ip ${ip}`, ip === '127.0.0.1');
    const t = new LoginThrottle();
    for (let i = 0; i < 50; i++) t.fail(LoginThrottle.keys('alice', 'attacker'));
    const wait = t.blockedFor(LoginThrottle.keys('alice', 'alice-laptop'));
    record('11#5', '50 failed sign-ins as alice from another source', 'alice from her own address not blocked', `alice blocked for ${wait} ms`, wait === 0);
  });

  it('#9 values the store cannot hold, and duplicate check ids', async () => {
    const { key } = await generateDeviceKey();
    const r = await fetch(`${direct()}/agent/v1/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ secret: ENROLL_SECRET, publicJwk: key.publicJwk, fingerprint: randomBytes(32).toString('hex'), agentVersion: 't', inventory: sampleInventory('h\ud800') }) });
    const e = (await r.json()) as { error?: { field?: string } };
    record('11#9', 'enroll with a lone surrogate in the hostname', '400 naming body/inventory/hostname', `${r.status} ${e.error?.field}`, r.status === 400 && e.error?.field === 'body/inventory/hostname');
    const d = await enrollDevice(c.url);
    const s = await connectDevice(d);
    const cases: [string, (p: ReturnType<typeof makePayload>) => void][] = [
      ['report with a NUL in evidence', (p) => ((p.checks[0].evidence as Record<string, unknown>).x = 'a\u0000')],
      ['report dated 2026-02-30', (p) => (p.collectedAt = '2026-02-30T00:00:00Z')],
      ['report with seq = 2^64', (p) => (p.seq = 2 ** 64)],
      ['report with two results for one check', (p) => p.checks.push({ ...p.checks[0], status: 'fail' })],
    ];
    for (const [name, spoil] of cases) {
      const p = makePayload(d, { checks: sampleChecks() });
      spoil(p);
      s.ws.send(JSON.stringify({ type: 'report', id: p.reportId, jws: await signJson(d.key, p) }));
      const m = await nextMessage(s.messages, (x) => x.id === p.reportId);
      record(name.includes('two results') ? 'low' : '11#9', name, 'reject with the field named (never retry)', `${m.type}: ${String(m.message ?? '').slice(0, 60)}`, m.type === 'reject');
    }
    s.ws.close();
  });

  it('#8 enrollment flood with a wrong secret', async () => {
    const body = JSON.stringify({ secret: 'pst_enr_wrong-secret-000000000000', publicJwk: (await generateDeviceKey()).key.publicJwk, fingerprint: randomBytes(32).toString('hex'), agentVersion: 't', inventory: sampleInventory() });
    const codes: number[] = [];
    for (let i = 0; i < 60; i++) codes.push((await fetch(`${direct()}/agent/v1/enroll`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.0.0.${i}` }, body })).status);
    await c.ctx.refusals.flush();
    const n = Number((await c.db.query<{ n: string }>("SELECT count(*) AS n FROM audit_log WHERE action = 'device.enroll' AND outcome = 'denied'")).rows[0].n);
    const throttled = codes.filter((x) => x === 429).length;
    record('11#8', '60 enrollments with a wrong secret from one source', '429 after 5/min; one audit row per source per minute', `${throttled}×429, ${n} audit row(s)`, throttled >= 55 && codes.slice(0, 60 - throttled).every((x) => x === 401) && n === 1);
  });

  it('#10 Slack injection through the hostname', async () => {
    const t = alertText({ hostname: '<!channel> <https://evil.example|Reset password>', deviceId: 'dev_x', failingChecks: ['firewall'] }, 'noncompliant', 'https://posture.example');
    record('11#10', 'hostname "<!channel> <https://evil|Reset password>"', 'escaped: no mention, no disguised link', t.slice(0, 60), !t.includes('<!channel>') && !t.includes('<https://evil'));
  });

  it('#11 open redirect after sign-in, and login CSRF', async () => {
    const tok = (await c.api('/api/v1/tokens', { method: 'POST', body: JSON.stringify({ role: 'auditor', label: 'attack', expiresInDays: 1 }) })).body.token;
    for (const next of ['/\\evil.example', '/\t/evil.example', '//evil.example']) {
      const r = await login({ token: tok, next });
      const loc = r.headers.get('location') ?? '';
      record('11#11', `sign-in with next=${JSON.stringify(next)}`, 'redirect stays on the collector', `${r.status} → ${loc}`, new URL(loc, direct()).host === `127.0.0.1:${c.port}`);
    }
    const forged = await login({ token: tok }, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
    record('low', 'cross-site form signs the victim in as the attacker', '403 (login CSRF)', String(forged.status), forged.status === 403);
  });

  it('low: help links, query tokens in logs', () => {
    const rem = presentRemediation(DEFAULT_POLICY, 'linux', 'firewall', { steps: [], url: 'https://phish.example' });
    record('low', 'device sends a "help" link https://phish.example', 'help desk sees the policy link only', `url ${rem.url}`, rem.url === null);
    const u = redactUrl('/my-device?t=eyJ.secret.sig');
    record('low', 'My-device link token in the request log', 'value redacted', u, !u.includes('secret'));
  });

  it('session 3: CSV list separator, forged socket-table rows (real-process versions: csv-separator, local-*.test.ts)', () => {
    const line = csvRow(['dev_1', 'x;=1+1', 'a\n=2+2']);
    const cells = line.split(/[;\n]/);
    const live = cells.filter((x) => /^[=+\-@]/.test(x));
    record('S3-4', 'hostname "x;=1+1" in a CSV opened with ";" (de-DE Excel)', 'no cell starts a formula', live.length ? `live: ${live.join(' ')}` : JSON.stringify(line.trim()), live.length === 0);
    const ss = 'u_str ESTAB 0 0 /run/posture-agent/agent.sock 5002 * 5001\nu_str ESTAB 0 0 x 5002 * 1 users:(("systemd",pid=1,fd=3))';
    const peer = peerInodeFromSs(ss, 5002);
    record('S3-1', 'client-named socket row claims our inode (ss text)', 'no peer inode (refused)', `peer ${peer}`, peer === null);
  });

  it('#7 slow-body flood on the public enrollment route', async () => {
    const t0 = Date.now();
    const held = await Promise.all(
      Array.from({ length: 150 }, () =>
        new Promise<{ closed: Promise<string> }>((resolve) => {
          const s = connect(c.port, '127.0.0.1', () => {
            s.write('POST /agent/v1/enroll HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{');
            let got = '';
            s.on('data', (d) => (got += d));
            resolve({ closed: new Promise<string>((r) => s.on('close', () => r(got.slice(0, 12)))) });
          });
          s.on('error', () => {});
        }),
      ),
    );
    const h = await fetch(`${direct()}/healthz`);
    const healthMs = Date.now() - t0;
    const answers = await Promise.all(held.map((x) => x.closed));
    const refused = answers.filter((a) => a.includes('429')).length;
    const timedOut = answers.filter((a) => a.includes('408') || a === '').length;
    record('11#7', '150 connections send headers, never the body', '/healthz 200; extra refused 429; rest cut off', `/healthz ${h.status} after ${healthMs} ms; ${refused}×429, ${timedOut} cut off in ${Date.now() - t0} ms`, h.status === 200 && refused >= 130 && refused + timedOut === 150);
  }, 60_000);
});
