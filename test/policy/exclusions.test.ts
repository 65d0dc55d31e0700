/** Exclusions: validation, roles, immediate re-evaluation with state events, audit, revoke, '*' device-wide. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../shared/src/policy/default-policy.js';
import { startTestCollector, type TestCollector } from '../helpers/collector.js';
import { backends } from '../helpers/db.js';
import { reportingDevice, withGrace, type ReportingDevice } from '../dashboard/fleet.js';

const inDays = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString();

for (const backend of backends()) {
  describe(`exclusions (${backend})`, () => {
    let c: TestCollector;
    let dev: ReportingDevice;
    let auditor: string, helpdesk: string;
    const state = async () => (await c.api(`/api/v1/devices/${dev.deviceId}`)).body;

    beforeAll(async () => {
      c = await startTestCollector(backend);
      await c.api('/api/v1/policy', { method: 'PUT', body: JSON.stringify(withGrace(DEFAULT_POLICY, 0)) });
      const tok = async (role: string) => (await c.api('/api/v1/tokens', { method: 'POST', body: JSON.stringify({ role, label: role, expiresInDays: 1 }) })).body.token;
      auditor = await tok('auditor');
      helpdesk = await tok('helpdesk');
      dev = await reportingDevice(c.url, 'excl-host');
      await dev.report({ fail: ['firewall'] });
    }, 60_000);
    afterAll(async () => {
      dev?.close();
      await c?.cleanup();
    });

    it('starts noncompliant on the failing firewall (grace 0)', async () => {
      const d = await state();
      expect(d.state).toBe('noncompliant');
      expect(d.failingChecks).toEqual(['firewall']);
    });

    it('refuses a missing/short rationale, a past or over-a-year expiry, and the auditor role', async () => {
      const post = (body: object, token?: string) => c.api(`/api/v1/devices/${dev.deviceId}/exclusions`, { method: 'POST', body: JSON.stringify(body), token });
      expect((await post({ checkId: 'firewall', expiresAt: inDays(30) })).status).toBe(400);
      expect((await post({ checkId: 'firewall', rationale: 'too short', expiresAt: inDays(30) })).status).toBe(400);
      expect((await post({ checkId: 'firewall', rationale: '          padded          ', expiresAt: inDays(30) })).status).toBe(400);
      expect((await post({ checkId: 'firewall', rationale: 'Lab machine behind a network firewall', expiresAt: inDays(-1) })).status).toBe(400);
      expect((await post({ checkId: 'firewall', rationale: 'Lab machine behind a network firewall', expiresAt: inDays(400) })).status).toBe(400);
      expect((await post({ checkId: 'nope', rationale: 'Lab machine behind a network firewall', expiresAt: inDays(30) })).status).toBe(400);
      expect((await post({ checkId: 'firewall', rationale: 'Lab machine behind a network firewall', expiresAt: inDays(30) }, auditor)).status).toBe(403);
      expect((await state()).state).toBe('noncompliant');
    });

    let exclusionId: string;
    it('a helpdesk exclusion makes the device compliant at once, with events and an audit entry', async () => {
      const r = await c.api(`/api/v1/devices/${dev.deviceId}/exclusions`, {
        method: 'POST', token: helpdesk, body: JSON.stringify({ checkId: 'firewall', rationale: 'Lab machine behind a network firewall', expiresAt: inDays(30) }),
      });
      expect(r.status).toBe(201);
      expect(r.body.deviceState).toBe('compliant');
      exclusionId = r.body.id;
      const d = await state();
      expect(d.state).toBe('compliant');
      expect(d.checks.find((x: any) => x.id === 'firewall').state).toBe('excluded');
      expect(d.exclusions[0].rationale).toBe('Lab machine behind a network firewall');
      const ev = (await c.api(`/api/v1/devices/${dev.deviceId}/events`)).body.items;
      expect(ev.some((e: any) => e.check_id === '*' && e.from_state === 'noncompliant' && e.to_state === 'compliant')).toBe(true);
      expect(ev.some((e: any) => e.check_id === 'firewall' && e.to_state === 'excluded')).toBe(true);
      const a = (await c.api(`/api/v1/audit?action=exclusion.create&target=${dev.deviceId}`)).body.items;
      expect(a).toHaveLength(1);
      expect(a[0].actor).toMatch(/^token:pst_tok/);
      expect(a[0].detail.rationale).toBe('Lab machine behind a network firewall');
      const list = await c.api(`/api/v1/devices/${dev.deviceId}/exclusions`, { token: auditor });
      expect(list.body.items.map((x: any) => x.id)).toEqual([exclusionId]);
    });

    it('the next report keeps the check excluded', async () => {
      await dev.report({ fail: ['firewall'] });
      const d = await state();
      expect(d.state).toBe('compliant');
      expect(d.checks.find((x: any) => x.id === 'firewall').state).toBe('excluded');
    });

    it('revoking the exclusion makes the device noncompliant again; a second revoke is 404', async () => {
      const r = await c.api(`/api/v1/devices/${dev.deviceId}/exclusions/${exclusionId}`, { method: 'DELETE' });
      expect(r.status).toBe(200);
      expect(r.body.deviceState).toBe('noncompliant');
      expect((await state()).state).toBe('noncompliant');
      expect((await c.api(`/api/v1/devices/${dev.deviceId}/exclusions/${exclusionId}`, { method: 'DELETE' })).status).toBe(404);
      const all = await c.api(`/api/v1/devices/${dev.deviceId}/exclusions?all=true`);
      expect(all.body.items[0].revokedBy).toMatch(/^token:/);
      expect(all.body.items[0].active).toBe(false);
    });

    it("a '*' exclusion marks the whole device excluded", async () => {
      const r = await c.api(`/api/v1/devices/${dev.deviceId}/exclusions`, {
        method: 'POST', body: JSON.stringify({ checkId: '*', rationale: 'Decommissioning next week, wiped', expiresAt: inDays(7) }),
      });
      expect(r.status).toBe(201);
      expect((await state()).state).toBe('excluded');
    });
  });
}
