/**
 * Webhook alerts end to end: a real local receiver, a device turning noncompliant (grace 0)
 * and then stale (last report moved back in SQL, as time would), one delivery each, a 500
 * from the receiver retried with backoff, and nothing delivered twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_POLICY } from '../../shared/src/policy/default-policy.js';
import { startTestCollector, type TestCollector } from '../helpers/collector.js';
import { backends } from '../helpers/db.js';
import { waitFor } from '../helpers/agent.js';
import { reportingDevice, withGrace, type ReportingDevice } from '../dashboard/fleet.js';

interface Hit { status: number; key: string; body: any; at: number }

for (const backend of backends()) {
  describe(`webhook alerts (${backend})`, () => {
    let c: TestCollector;
    let receiver: Server;
    let dev: ReportingDevice;
    const hits: Hit[] = [];
    let failNext = 1; // the receiver answers 500 to the first delivery

    beforeAll(async () => {
      receiver = createServer((req, res) => {
        let b = '';
        req.on('data', (d) => (b += d));
        req.on('end', () => {
          const status = failNext-- > 0 ? 500 : 200;
          hits.push({ status, key: String(req.headers['x-posture-dedupe-key']), body: JSON.parse(b), at: Date.now() });
          res.writeHead(status).end();
        });
      });
      await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
      c = await startTestCollector(backend, { POSTURE_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, POSTURE_JOB_INTERVAL_MS: '500' });
      const policy = { ...withGrace(DEFAULT_POLICY, 0), staleAfterHours: 1, alerts: { on: ['noncompliant', 'stale', 'recovered'] } };
      expect((await c.api('/api/v1/policy', { method: 'PUT', body: JSON.stringify(policy) })).status).toBe(200);
      dev = await reportingDevice(c.url, 'alert-host');
    }, 60_000);
    afterAll(async () => {
      dev?.close();
      await c?.cleanup();
      await new Promise((r) => receiver?.close(r));
    });

    const ok = (kind: string) => hits.filter((h) => h.status === 200 && h.body.to === kind);

    it('a device turning noncompliant is delivered once, after a 500 is retried', async () => {
      await dev.report({ fail: ['disk_encryption'] });
      expect((await c.api(`/api/v1/devices/${dev.deviceId}`)).body.state).toBe('noncompliant');
      await waitFor(async () => ok('noncompliant').length === 1, 30_000);
      const tries = hits.filter((h) => h.body.to === 'noncompliant');
      expect(tries.map((h) => h.status)).toEqual([500, 200]);
      expect(tries[0].key).toBe(tries[1].key);
      // Backoff: the retry waited (5 s for the first retry), it did not hammer the receiver.
      expect(tries[1].at - tries[0].at).toBeGreaterThanOrEqual(4000);
      // Slack-compatible: a text field, plus details.
      expect(tries[1].body.text).toMatch(/\|alert-host> is noncompliant: Disk encryption/); // linked to the device page
      expect(tries[1].body.deviceId).toBe(dev.deviceId);
    }, 40_000);

    it('the same state reported again does not alert again', async () => {
      await dev.report({ fail: ['disk_encryption'] });
      await new Promise((r) => setTimeout(r, 1500));
      expect(ok('noncompliant')).toHaveLength(1);
    });

    it('a device that stops reporting becomes stale and is delivered once', async () => {
      await c.db.query("UPDATE devices SET last_report_at = now() - interval '2 hours' WHERE id = $1", [dev.deviceId]);
      await waitFor(async () => ok('stale').length === 1, 20_000);
      expect((await c.api(`/api/v1/devices/${dev.deviceId}`)).body.state).toBe('stale');
      expect(ok('stale')[0].body.text).toMatch(/\|alert-host> has not reported and is now stale; last seen /);
      // Several more job runs: nothing is sent twice.
      await new Promise((r) => setTimeout(r, 2000));
      expect(ok('stale')).toHaveLength(1);
      expect(ok('noncompliant')).toHaveLength(1);
      const keys = hits.filter((h) => h.status === 200).map((h) => h.key);
      expect(new Set(keys).size).toBe(keys.length);
      // The delivery log (one row per alert for the environment webhook): attempts and outcome.
      const log = await c.db.query<{ webhook_id: string; kind: string; attempts: number; delivered_at: Date | null }>('SELECT webhook_id, kind, attempts, delivered_at FROM webhook_deliveries ORDER BY id');
      expect(log.rows.map((r) => [r.webhook_id, r.kind, r.attempts, !!r.delivered_at])).toEqual([['env', 'noncompliant', 2, true], ['env', 'stale', 1, true]]);
    }, 30_000);

    it('recovery is delivered when the device reports compliant again', async () => {
      await dev.report();
      await waitFor(async () => hits.some((h) => h.status === 200 && h.body.to === 'compliant'), 20_000);
      const rec = hits.filter((h) => h.status === 200 && h.body.to === 'compliant');
      expect(rec).toHaveLength(1);
      expect(rec[0].body.from).toBe('stale');
    }, 30_000);
  });
}
