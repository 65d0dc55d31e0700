/**
 * Issue 18 #6 / issue 11 #10: webhooks configured through the API the Alerts page uses, stored
 * in the database, each with its own secret and events; real HTTP receivers on 127.0.0.1.
 * - bad input is a 400 naming the field; only admins configure; the env entry is read-only;
 * - an alert reaches only the webhooks that want its event, signed with *that* webhook's secret;
 * - the text links to the device and names only checks past their grace; stale says when the
 *   device was last seen;
 * - a 500 is retried with backoff, a 410 is refused once and never retried; the delivery log
 *   says so (status, attempts, last HTTP status, last error); Send test is signed and logged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../shared/src/policy/default-policy.js';
import { startTestCollector, type TestCollector } from '../helpers/collector.js';
import { backends } from '../helpers/db.js';
import { waitFor } from '../helpers/agent.js';
import { reportingDevice, withGrace, type ReportingDevice } from '../dashboard/fleet.js';
import { verifyWebhook } from '../../server/src/alerts/signature.js';
import { receiver, type Hit } from '../helpers/webhook-receiver.js';

const verifies = (h: Hit, secret: string) => verifyWebhook(secret, String(h.headers['x-posture-timestamp']), h.raw, String(h.headers['x-posture-signature']));

for (const backend of backends()) {
  describe(`webhooks configured in the database (${backend})`, () => {
    let c: TestCollector;
    let dev: ReportingDevice;
    let a: Awaited<ReturnType<typeof receiver>>, b: typeof a, gone: typeof a;
    const ids = {} as Record<'a' | 'b' | 'gone', string>;
    const secrets = {} as Record<'a' | 'b' | 'gone', string>;
    const B_SECRET = 'b-own-secret-0123456789';

    beforeAll(async () => {
      a = await receiver((n) => (n === 0 ? 500 : 200)); // first delivery fails, then fine
      b = await receiver(() => 200);
      gone = await receiver(() => 410); // a receiver that refuses: deterministic
      c = await startTestCollector(backend, { POSTURE_JOB_INTERVAL_MS: '500' });
      // The policy itself alerts on nothing: the stored webhooks' events decide what alerts.
      // Firewall is past its grace at once; disk encryption is within a 48 h grace.
      const policy = withGrace(DEFAULT_POLICY, 0);
      policy.checks.disk_encryption!.graceHours = 48;
      expect((await c.api('/api/v1/policy', { method: 'PUT', body: JSON.stringify({ ...policy, staleAfterHours: 1, alerts: { on: [] } }) })).status).toBe(200);
      dev = await reportingDevice(c.url, 'cfg-alert-host');
    }, 90_000);
    afterAll(async () => {
      dev?.close();
      await c?.cleanup();
      for (const r of [a, b, gone]) await r?.close();
    });

    it('refuses bad input with the field named, and non-admins', async () => {
      const post = (body: object, token?: string) => c.api('/api/v1/webhooks', { method: 'POST', body: JSON.stringify(body), ...(token ? { token } : {}) });
      for (const [body, field] of [
        [{ url: 'ftp://example.com/x', events: ['stale'] }, 'body/url'],
        [{ url: 'not a url at all', events: ['stale'] }, 'body/url'],
        [{ url: 'https://user:pw@example.com/x', events: ['stale'] }, 'body/url'],
        [{ url: 'https://example.com/x', events: [] }, 'body/events'],
        [{ url: 'https://example.com/x', events: ['sunny'] }, 'body/events/0'],
        [{ url: 'https://example.com/x', events: ['stale'], secret: 'short' }, 'body/secret'],
      ] as const) {
        const r = await post(body);
        expect(r.status, JSON.stringify(body)).toBe(400);
        expect(r.body.error.field, JSON.stringify(body)).toBe(field);
      }
      const hd = (await c.api('/api/v1/tokens', { method: 'POST', body: JSON.stringify({ role: 'helpdesk', label: 'hd', expiresInDays: 1 }) })).body.token;
      expect((await post({ url: 'https://example.com/x', events: ['stale'] }, hd)).status).toBe(403);
      expect((await c.api('/api/v1/webhooks', { token: hd })).status).toBe(403);
      expect((await c.api('/api/v1/webhooks')).body.items).toEqual([]);
    });

    it('creates webhooks; the secret is returned once and never listed; changes are audit-logged', async () => {
      for (const [k, url, events, secret] of [
        ['a', a.url, ['noncompliant', 'stale'], undefined],
        ['b', b.url, ['recovered'], B_SECRET],
        ['gone', gone.url, ['noncompliant'], undefined],
      ] as const) {
        const r = await c.api('/api/v1/webhooks', { method: 'POST', body: JSON.stringify({ label: `hook ${k}`, url, events, ...(secret ? { secret } : {}) }) });
        expect(r.status).toBe(201);
        ids[k] = r.body.id;
        secrets[k] = r.body.secret;
      }
      expect(secrets.a).toMatch(/^whsec_.{40,}/);
      expect(secrets.b).toBe(B_SECRET);
      expect(secrets.a).not.toBe(secrets.gone);
      const list = await c.api('/api/v1/webhooks');
      expect(list.body.items.map((w: { id: string }) => w.id)).toEqual([ids.a, ids.b, ids.gone]);
      expect(JSON.stringify(list.body)).not.toContain(secrets.a);
      expect(JSON.stringify(list.body)).not.toContain(B_SECRET);
      const auditRows = (await c.api('/api/v1/audit?action=webhook.create')).body.items;
      expect(auditRows).toHaveLength(3);
      expect(JSON.stringify(auditRows)).not.toContain('/hook'); // origin only: a webhook URL's path can be a credential
    });

    it('noncompliant: only the subscribed webhooks, each signed with its own secret; text links the device and names only checks past grace', async () => {
      await dev.report({ fail: ['firewall', 'disk_encryption'] });
      expect((await c.api(`/api/v1/devices/${dev.deviceId}`)).body.state).toBe('noncompliant');
      await waitFor(async () => a.hits.some((h) => h.status === 200), 40_000);
      expect(a.hits.map((h) => h.status)).toEqual([500, 200]);
      expect(a.hits[1].at - a.hits[0].at).toBeGreaterThanOrEqual(4000); // backoff, not a hammering retry
      const h = a.hits[1];
      expect(verifies(h, secrets.a)).toBe(true);
      expect(verifies(h, secrets.gone)).toBe(false); // another webhook's secret does not verify it
      expect(h.headers['x-posture-webhook-id']).toBe(ids.a);
      expect(h.body.text).toBe(`:rotating_light: <${c.url}/devices/${dev.deviceId}|cfg-alert-host> is noncompliant: Firewall.`);
      expect(h.body.failingChecks).toEqual(['firewall']); // disk_encryption is failing but within its grace
      expect(h.body.deviceUrl).toBe(`${c.url}/devices/${dev.deviceId}`);
      // The refusing receiver: one attempt, given up, never retried.
      await waitFor(async () => gone.hits.length === 1, 20_000);
      await new Promise((r) => setTimeout(r, 2500));
      expect(gone.hits).toHaveLength(1);
      expect(verifies(gone.hits[0], secrets.gone)).toBe(true);
      expect(b.hits).toEqual([]); // B wants only "recovered"
      const log = (await c.api('/api/v1/webhooks/deliveries')).body.items as { webhookId: string; kind: string; status: string; attempts: number; lastStatus: number; lastError: string | null; deviceId: string; hostname: string }[];
      const of = (id: string) => log.filter((d) => d.webhookId === id);
      expect(of(ids.a)).toMatchObject([{ kind: 'noncompliant', status: 'delivered', attempts: 2, lastStatus: 200, lastError: null, deviceId: dev.deviceId, hostname: 'cfg-alert-host' }]);
      expect(of(ids.gone)).toMatchObject([{ kind: 'noncompliant', status: 'failed', attempts: 1, lastStatus: 410 }]);
      expect(of(ids.gone)[0].lastError).toContain('not retried');
      expect(of(ids.b)).toEqual([]);
      // The page shows the same log.
      const page = await c.api('/alerts');
      expect(page.status).toBe(200);
      expect(page.body).toContain(`data-webhook="${ids.gone}"`);
      expect(page.body).toMatch(/data-status="failed" data-kind="noncompliant"/);
      expect(page.body).toContain('HTTP 410 (refused by the receiver; not retried)');
    }, 60_000);

    it('stale: the alert says when the device was last seen', async () => {
      await c.db.query("UPDATE devices SET last_report_at = now() - interval '2 hours', last_seen_at = now() - interval '2 hours' WHERE id = $1", [dev.deviceId]);
      await waitFor(async () => a.hits.some((h) => h.body.kind === 'stale'), 20_000);
      const h = a.hits.find((x) => x.body.kind === 'stale')!;
      expect(verifies(h, secrets.a)).toBe(true);
      expect(typeof h.body.lastSeenAt).toBe('string');
      const seen = `${h.body.lastSeenAt.slice(0, 10)} ${h.body.lastSeenAt.slice(11, 16)}`;
      expect(h.body.text).toBe(`:warning: <${c.url}/devices/${dev.deviceId}|cfg-alert-host> has not reported and is now stale; last seen ${seen} UTC.`);
      expect(gone.hits).toHaveLength(1); // "gone" wants noncompliant only
    }, 30_000);

    it('recovered: only B, signed with its own secret; a disabled webhook gets nothing while disabled', async () => {
      expect((await c.api(`/api/v1/webhooks/${ids.b}/disable`, { method: 'POST', body: '{}' })).status).toBe(200);
      await dev.report(); // stale → compliant: a "recovered" that nobody enabled wants
      await new Promise((r) => setTimeout(r, 2500));
      expect(b.hits).toEqual([]);
      expect((await c.api(`/api/v1/webhooks/deliveries?webhookId=${ids.b}`)).body.items).toEqual([]);
      expect((await c.api(`/api/v1/webhooks/${ids.b}/enable`, { method: 'POST', body: '{}' })).status).toBe(200);
      const aBefore = a.hits.length;
      await dev.report({ fail: ['firewall'] });
      await waitFor(async () => a.hits.length === aBefore + 1, 20_000);
      await dev.report();
      await waitFor(async () => b.hits.length === 1, 20_000);
      expect(verifies(b.hits[0], B_SECRET)).toBe(true);
      expect(verifies(b.hits[0], secrets.a)).toBe(false);
      expect(b.hits[0].body.text).toBe(`:white_check_mark: <${c.url}/devices/${dev.deviceId}|cfg-alert-host> is compliant again (was noncompliant).`);
      expect(a.hits.filter((h) => h.body.kind === 'recovered')).toEqual([]);
    }, 60_000);

    it('Send test: signed, answered with the receiver\'s status, logged; deleting a webhook stops its deliveries', async () => {
      const ok = await c.api(`/api/v1/webhooks/${ids.b}/test`, { method: 'POST', body: '{}' });
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({ ok: true, status: 200, error: null });
      const t = b.hits[b.hits.length - 1];
      expect(t.body).toMatchObject({ kind: 'test', test: true });
      expect(verifies(t, B_SECRET)).toBe(true);
      const bad = await c.api(`/api/v1/webhooks/${ids.gone}/test`, { method: 'POST', body: '{}' });
      expect(bad.body).toMatchObject({ ok: false, status: 410 });
      const log = (await c.api(`/api/v1/webhooks/deliveries?webhookId=${ids.gone}`)).body.items;
      expect(log[0]).toMatchObject({ kind: 'test', status: 'failed', lastStatus: 410 });
      expect((await c.api('/api/v1/audit?action=webhook.test')).body.items.map((x: { outcome: string }) => x.outcome).sort()).toEqual(['failed', 'ok']);
      expect((await c.api(`/api/v1/webhooks/${ids.gone}`, { method: 'DELETE' })).status).toBe(200);
      expect((await c.api('/api/v1/webhooks')).body.items.map((w: { id: string }) => w.id)).toEqual([ids.a, ids.b]);
      expect((await c.api(`/api/v1/webhooks/${ids.gone}/test`, { method: 'POST', body: '{}' })).status).toBe(404);
      expect((await c.api('/api/v1/webhooks/env/test', { method: 'POST', body: '{}' })).status).toBe(404); // no env webhook here
    }, 30_000);
  });
}

describe('the environment webhook is a read-only entry (pglite)', () => {
  let c: TestCollector;
  let r: Awaited<ReturnType<typeof receiver>>;
  const SECRET = 'whsec_env-0123456789abcdef';
  beforeAll(async () => {
    r = await receiver(() => 200);
    c = await startTestCollector('pglite', { POSTURE_WEBHOOK_URL: r.url, POSTURE_WEBHOOK_SECRET: SECRET });
    expect((await c.api('/api/v1/policy', { method: 'PUT', body: JSON.stringify({ ...DEFAULT_POLICY, alerts: { on: ['stale'] } }) })).status).toBe(200);
  }, 60_000);
  afterAll(async () => {
    await c?.cleanup();
    await r?.close();
  });

  it('is listed read-only with the policy\'s events, can be tested, cannot be changed here', async () => {
    const list = (await c.api('/api/v1/webhooks')).body.items;
    expect(list).toMatchObject([{ id: 'env', readOnly: true, source: 'POSTURE_WEBHOOK_URL', events: ['stale'], signed: true }]);
    expect(JSON.stringify(list)).not.toContain(SECRET);
    for (const [method, path] of [['PATCH', '/api/v1/webhooks/env'], ['DELETE', '/api/v1/webhooks/env'], ['POST', '/api/v1/webhooks/env/disable'], ['POST', '/api/v1/webhooks/env/rotate-secret']] as const) {
      const res = await c.api(path, { method, ...(method === 'DELETE' ? {} : { body: method === 'PATCH' ? JSON.stringify({ label: 'x' }) : '{}' }) });
      expect(res.status, `${method} ${path}`).toBe(409);
    }
    const t = await c.api('/api/v1/webhooks/env/test', { method: 'POST', body: '{}' });
    expect(t.body).toMatchObject({ ok: true, status: 200 });
    expect(verifies(r.hits[0], SECRET)).toBe(true);
    const page = await c.api('/alerts');
    expect(page.body).toContain('read-only: set by POSTURE_WEBHOOK_URL');
    expect(page.body).not.toContain(r.url); // the URL is shown masked
  });
});
