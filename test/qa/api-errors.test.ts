/** Acceptance QA: API error shapes a help-desk script relies on (unknown routes, bad cursors, unknown devices). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startTestCollector, type TestCollector } from '../helpers/collector.js';
import { backends } from '../helpers/db.js';
import { enrollDevice } from '../helpers/device.js';

for (const backend of backends()) {
  describe(`API error shapes (${backend})`, () => {
    let c: TestCollector;
    let deviceId: string;
    beforeAll(async () => {
      c = await startTestCollector(backend);
      deviceId = (await enrollDevice(c.url)).deviceId;
    }, 60_000);
    afterAll(async () => {
      await c?.cleanup();
    });

    it('an unknown API route answers 404 in the documented error shape', async () => {
      const r = await c.api('/api/v1/no-such-thing');
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe('POSTURE_ERR_NOT_FOUND');
    });

    it('a malformed report-history cursor is a 400 validation error, not a 500', async () => {
      for (const cursor of ['garbage', 'not-a-date|x', '2026-01-01T00:00:00.000Z']) {
        const r = await c.api(`/api/v1/devices/${deviceId}/reports?cursor=${encodeURIComponent(cursor)}`);
        expect(r.status, cursor).toBe(400);
        expect(r.body.error.code).toBe('POSTURE_ERR_VALIDATION');
      }
    });

    it('actions whose body is optional accept a POST with no body at all (curl -X POST)', async () => {
      const post = (path: string) => fetch(c.url + path, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      const r = await post(`/api/v1/devices/${deviceId}/check-now`);
      expect(r.status, await r.clone().text()).toBe(202);
      expect((await r.json()).commandId).toMatch(/^cmd_/);
      const other = (await enrollDevice(c.url)).deviceId;
      const rv = await post(`/api/v1/devices/${other}/revoke`);
      expect(rv.status, await rv.clone().text()).toBe(200);
      expect((await c.api(`/api/v1/devices/${other}`)).body.revokedAt).toBeTruthy();
    });

    it('device history accepts an open-ended period and names a bad date', async () => {
      const since = new Date(Date.now() - 3_600_000).toISOString();
      const open = await c.api(`/api/v1/devices/${deviceId}/history?from=${since}`);
      expect(open.status, JSON.stringify(open.body)).toBe(200);
      expect(open.body.period.from).toBe(since);
      const until = await c.api(`/api/v1/devices/${deviceId}/history?to=${new Date().toISOString()}`);
      expect(until.status).toBe(200);
      const bad = await c.api(`/api/v1/devices/${deviceId}/history?from=junk`);
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toMatch(/"from" is not a date/);
    });

    it('a mistyped (short) enrollment secret is "not valid" (401), like any wrong secret', async () => {
      const { generateDeviceKey } = await import('../../agent/src/identity/keys.js');
      const { sampleInventory } = await import('../helpers/device.js');
      const key = (await generateDeviceKey()).key;
      const r = await c.api('/agent/v1/enroll', {
        method: 'POST',
        token: null,
        body: JSON.stringify({ secret: 'wrong', publicJwk: key.publicJwk, fingerprint: 'f'.repeat(64), agentVersion: 't', inventory: sampleInventory() }),
      });
      expect(r.status, JSON.stringify(r.body)).toBe(401);
      expect(r.body.error.code).toBe('POSTURE_ERR_ENROLL_SECRET_INVALID');
    });

    it('a JSON content-type with an empty body is an absent body, not a 400; bad JSON is still refused', async () => {
      const post = (path: string, body?: string) =>
        fetch(c.url + path, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body });
      const r = await post(`/api/v1/devices/${deviceId}/check-now`);
      expect(r.status, await r.clone().text()).toBe(202);
      const bad = await post(`/api/v1/devices/${deviceId}/check-now`, '{"checks":');
      expect(bad.status).toBe(400);
      const poisoned = await post(`/api/v1/devices/${deviceId}/check-now`, '{"__proto__":{"x":1}}');
      expect(poisoned.status).toBe(400);
      const required = await post('/api/v1/users');
      expect(required.status).toBe(400);
      expect((await required.json()).error.code).toBe('POSTURE_ERR_VALIDATION');
    });

    it('device events page with limit/before and nextBefore, newest first, no gaps or repeats', async () => {
      const { reportingDevice } = await import('../dashboard/fleet.js');
      const dev = await reportingDevice(c.url, 'events-host');
      try {
        await dev.report({ fail: ['firewall', 'usb_storage'] });
        await dev.report({ fail: [] });
      } finally {
        dev.close();
      }
      const all = (await c.api(`/api/v1/devices/${dev.deviceId}/events?limit=1000`)).body;
      expect(all.items.length).toBeGreaterThan(6);
      expect(all.nextBefore).toBeNull();
      const seen: number[] = [];
      let before: string | null = null;
      for (let i = 0; i < 20; i++) {
        const page: any = (await c.api(`/api/v1/devices/${dev.deviceId}/events?limit=3${before ? `&before=${encodeURIComponent(before)}` : ''}`)).body;
        seen.push(...page.items.map((e: { id: number }) => Number(e.id)));
        before = page.nextBefore;
        if (!before) break;
      }
      expect(seen).toEqual(all.items.map((e: { id: number }) => Number(e.id)));
      expect((await c.api(`/api/v1/devices/${dev.deviceId}/events?before=junk`)).status).toBe(400);
    });

    it('reports and events of an unknown device are 404, not an empty list', async () => {
      for (const p of ['reports', 'events', 'exclusions']) {
        const r = await c.api(`/api/v1/devices/dev_unknown/${p}`);
        expect(r.status, p).toBe(404);
        expect(r.body.error.code).toBe('POSTURE_ERR_NOT_FOUND');
      }
      expect((await c.api(`/api/v1/devices/${deviceId}/events`)).status).toBe(200);
    });
  });
}
