/**
 * The dashboard at 20,000 devices: seeded in SQL (120,000 check states, 40,000 events), then
 * every list query is EXPLAIN ANALYZEd and the pages are timed over HTTP. PostgreSQL is the
 * production store, so the plan check runs there; PGlite runs the page timings only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, type TestCollector } from '../helpers/collector.js';
import { backends } from '../helpers/db.js';
import { buildDeviceQuery, type DashboardDeviceQuery } from '../../server/src/dashboard/device-query.js';
import { DEVICE_COLUMNS } from '../../server/src/devices/dal.js';

const N = 20_000;

async function seed(c: TestCollector) {
  await c.db.query(
    `INSERT INTO devices (id, fingerprint, hostname, platform, os_name, os_version, owner, inventory, state, state_since, failing_checks, next_deadline, last_seen_at, last_report_at, enrolled_at)
     SELECT 'dev_s' || i, md5(i::text), 'host-' || lpad(i::text, 5, '0'), (ARRAY['linux','darwin','win32'])[1 + i % 3], 'OS', (ARRAY['24.04','14.5','10.0.22631'])[1 + i % 3],
       'user' || (i % 700), '{}'::jsonb, (ARRAY['compliant','compliant','compliant','failing','noncompliant','stale','unknown'])[1 + i % 7], now() - (i % 30) * interval '1 day',
       CASE WHEN i % 7 IN (3, 4) THEN ARRAY[(ARRAY['firewall','disk_encryption','patch_level'])[1 + i % 3]] ELSE '{}'::text[] END,
       CASE WHEN i % 7 = 3 THEN now() + (i % 100) * interval '1 hour' END,
       now() - (i % 2000) * interval '1 minute', now() - (i % 2000) * interval '1 minute', now() - interval '40 days'
     FROM generate_series(1, ${N}) AS i`,
  );
  await c.db.query(
    `INSERT INTO check_states (device_id, check_id, agent_status, state, since, summary, evidence, remediation, report_id, collected_at)
     SELECT d.id, ck, 'pass', CASE WHEN ck = ANY(d.failing_checks) THEN 'noncompliant' ELSE 'pass' END, now(), 'seeded', '{}'::jsonb, '{"steps":[]}'::jsonb, 'r', now()
       FROM devices d CROSS JOIN unnest(ARRAY['disk_encryption','firewall','antivirus','patch_level','usb_storage','screen_lock']) AS ck`,
  );
  await c.db.query(
    `INSERT INTO state_events (device_id, check_id, from_state, to_state, at)
     SELECT d.id, '*', 'unknown', 'compliant', now() - interval '29 days' + (hashtext(d.id) & 1023) * interval '1 minute' FROM devices d
     UNION ALL
     SELECT d.id, '*', 'compliant', d.state, now() - (hashtext(d.id) & 15) * interval '1 day' FROM devices d WHERE d.state <> 'compliant'`,
  );
  await c.db.query('ANALYZE');
}

const CASES: [string, Partial<DashboardDeviceQuery>][] = [
  ['first page by hostname', {}],
  ['state = noncompliant', { state: 'noncompliant' }],
  ['failing check = firewall', { failingCheck: 'firewall' }],
  ['platform + OS prefix', { platform: 'win32', osVersion: '10.0' }],
  ['owner prefix', { owner: 'user12' }],
  ['search "host-1234"', { q: 'host-1234' }],
  ['not seen for 1 day+', { seen: 'gt1' }],
  ['failing by nearest deadline', { state: 'failing', sort: 'deadline' }],
  ['last seen desc, page 200', { sort: 'last_seen', order: 'desc', offset: 10_000 }],
];

for (const backend of backends()) {
  describe(`dashboard at ${N} devices (${backend})`, () => {
    let c: TestCollector;
    beforeAll(async () => {
      c = await startTestCollector(backend);
      const t = Date.now();
      await seed(c);
      console.log(`[scale ${backend}] seeded ${N} devices in ${Date.now() - t} ms`);
    }, 240_000);
    afterAll(async () => c?.cleanup());

    it.runIf(backend === 'pg')('every list query plans and runs at 20,000 devices (timings printed; the benchmark holds the targets)', async () => {
      const rows: string[] = [];
      for (const [name, f] of CASES) {
        const q = buildDeviceQuery({ limit: 50, offset: 0, ...f } as DashboardDeviceQuery);
        const page = `SELECT ${DEVICE_COLUMNS} FROM devices ${q.where} ORDER BY ${q.order} LIMIT 50 OFFSET ${f.offset ?? 0}`;
        const count = `SELECT count(*) FROM devices ${q.where}`;
        let total = 0;
        const plans: string[] = [];
        for (const sql of [page, count]) {
          const r = await c.db.query<{ 'QUERY PLAN': any }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`, q.params);
          const plan = r.rows[0]['QUERY PLAN'][0];
          total += plan['Execution Time'];
          plans.push(JSON.stringify(plan.Plan).match(/"Node Type":"[^"]+"(,"[^"]*":"[^"]*")?/g)!.slice(0, 4).join(' '));
        }
        rows.push(`${name.padEnd(30)} ${total.toFixed(1).padStart(7)} ms  ${plans.join(' | ').replace(/"Node Type":/g, '').slice(0, 160)}`);
      }
      console.log(`[scale pg] EXPLAIN ANALYZE, page + count, ${N} devices:\n${rows.join('\n')}`);
    }, 120_000);

    it('the pages answer over HTTP at 20,000 devices (timings printed; the benchmark holds the targets)', async () => {
      const timings: string[] = [];
      for (const path of ['/', '/devices', '/devices?state=noncompliant&sort=last_seen&order=desc', '/devices?check=firewall&platform=linux', '/devices?q=host-19999', '/devices?owner=user7&seen=gt1', '/devices?offset=19950&sort=owner']) {
        await c.api(path); // warm
        const t = performance.now();
        const r = await c.api(path);
        const ms = performance.now() - t;
        expect(r.status, path).toBe(200);
        timings.push(`${path.padEnd(60)} ${ms.toFixed(0)} ms`);
      }
      const list = await c.api('/devices?q=host-19999');
      expect(list.body).toContain('1 device(s)');
      const last = await c.api('/devices?offset=19950');
      expect(last.body).toContain(`19951–20000 of ${N}`);
      console.log(`[scale ${backend}] page times:\n${timings.join('\n')}`);
    }, 120_000);
  });
}
