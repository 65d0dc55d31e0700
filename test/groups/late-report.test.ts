/**
 * A report is judged under the groups in force when it was collected, not when it arrived
 * (issue 14): a device leaves a group whose policy is stricter, then a report it collected while
 * still a member arrives late. The collector judges that report under the old group (events at
 * its collection time), then re-evaluates under the groups of now; the evidence bundle's
 * replay (group-memberships.csv through the same shared groupsAt) reaches the same transitions
 * and verifies. A membership window moved in the database afterwards fails verification,
 * naming group-memberships.csv and the window (the windows are bound to the audit chain).
 * Real collector in-process on each backend, devices enrolled over HTTP and reporting signed
 * reports over a real WebSocket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parseCsv } from '#shared/evidence/csv.js';
import { DEFAULT_POLICY } from '#shared/policy/default-policy.js';
import type { Policy } from '#shared/policy/schema.js';
import { ADMIN_TOKEN, startTestCollector, type TestCollector } from '../helpers/collector.js';
import { backends, tempDir } from '../helpers/db.js';
import { reportingDevice, withGrace, type ReportingDevice } from '../dashboard/fleet.js';
import { unpackTarGz } from '../../scripts/evidence/unpack.js';
import { verifyBundleDir } from '../../scripts/evidence/verify-bundle.js';

/** Screen lock not required by default; the `strict` group requires it with no grace. */
function policy(): Policy {
  const p = withGrace(DEFAULT_POLICY, 0);
  p.checks.screen_lock.required = false;
  p.groups = [
    { name: 'strict', checks: { screen_lock: { required: true, graceHours: 0 } } },
    { name: 'servers', checks: { screen_lock: { required: true, graceHours: 0 } } },
  ];
  return p;
}

describe.each(backends())('late report under the groups of its collection time (%s)', (backend) => {
  let c: TestCollector;
  let dev: ReportingDevice;
  let strictId: string;
  const started = new Date(Date.now() - 30 * 60_000);
  const screenLock = async () => (await c.api(`/api/v1/devices/${dev.deviceId}`)).body.checks.find((x: any) => x.id === 'screen_lock')?.state as string;
  const deviceState = async () => (await c.api(`/api/v1/devices/${dev.deviceId}`)).body.state as string;
  const bundle = async (to: Date) => {
    const dir = tempDir('posture-late-bundle-');
    const res = await fetch(`${c.url}/api/v1/evidence?from=${started.toISOString()}&to=${to.toISOString()}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    await unpackTarGz(Readable.fromWeb(res.body as never), dir);
    return dir;
  };

  beforeAll(async () => {
    c = await startTestCollector(backend);
    expect((await c.api('/api/v1/policy', { method: 'PUT', body: JSON.stringify(policy()) })).status).toBe(200);
    strictId = (await c.api('/api/v1/groups', { method: 'POST', body: JSON.stringify({ name: 'strict', kind: 'static' }) })).body.id;
    dev = await reportingDevice(c.url, 'late-laptop');
  }, 120_000);
  afterAll(async () => {
    dev?.close();
    await c?.cleanup();
  });

  it('the late report is judged under the old group, the device ends under its current groups, and the bundle verifies', async () => {
    // In `strict` before its first report (window opens now, reports are collected after it).
    expect((await c.api(`/api/v1/groups/${strictId}/members`, { method: 'POST', body: JSON.stringify({ deviceIds: [dev.deviceId] }) })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 20));
    await dev.report(); // screen lock on: passes everywhere
    expect(await screenLock()).toBe('pass');
    const collectedWhileMember = new Date();
    await new Promise((r) => setTimeout(r, 20));
    // The device leaves `strict` (re-evaluated at once: still compliant, no transition).
    expect((await c.api(`/api/v1/groups/${strictId}/members/${dev.deviceId}`, { method: 'DELETE' })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 20));
    // The report collected while it was a member (screen lock off) arrives only now.
    await dev.report({ fail: ['screen_lock'], collectedAt: collectedWhileMember });
    // Now: not in strict, screen lock not required, as the current groups say.
    expect(await screenLock()).toBe('not_required');
    expect(await deviceState()).toBe('compliant');

    const dir = await bundle(new Date(Date.now() + 1000));
    const events = parseCsv(readFileSync(join(dir, 'events.csv'), 'utf8'));
    const h = events[0];
    const col = (r: string[], n: string) => r[h.indexOf(n)];
    const mine = events.slice(1).filter((r) => col(r, 'device_id') === dev.deviceId && col(r, 'check_id') === 'screen_lock');
    // Judged under `strict` at its collection time: noncompliant then …
    expect(mine.some((r) => col(r, 'to_state') === 'noncompliant' && Date.parse(col(r, 'at')) === collectedWhileMember.getTime()), JSON.stringify(mine)).toBe(true);
    // … and back to not required by the re-evaluation under the groups of now (after the removal).
    const back = mine.find((r) => col(r, 'from_state') === 'noncompliant' && col(r, 'to_state') === 'not_required');
    expect(back).toBeDefined();
    expect(Date.parse(col(back!, 'at'))).toBeGreaterThan(collectedWhileMember.getTime());
    const mem = parseCsv(readFileSync(join(dir, 'group-memberships.csv'), 'utf8'));
    expect(mem[0]).toContain('window_id');
    const r = await verifyBundleDir(dir);
    expect(r.problems, JSON.stringify(r.problems)).toEqual([]);
    expect(r.ok).toBe(true);
  }, 120_000);

  it('the same for a rule group: the device leaves when the rule is edited, its late report is judged under the rule group', async () => {
    const srv = await c.api('/api/v1/groups', { method: 'POST', body: JSON.stringify({ name: 'servers', kind: 'rule', rule: { hostname: 'srv-[0-9]+' } }) });
    expect(srv.status).toBe(201);
    const box = await reportingDevice(c.url, 'srv-7');
    try {
      await box.report();
      expect((await c.api(`/api/v1/devices/${box.deviceId}/groups`)).body.groups.map((g: any) => g.name)).toEqual(['servers']);
      const collectedWhileMember = new Date();
      await new Promise((r) => setTimeout(r, 20));
      // The rule is narrowed: srv-7 no longer matches and leaves (a rule window closes, audited).
      expect((await c.api(`/api/v1/groups/${srv.body.id}`, { method: 'PATCH', body: JSON.stringify({ rule: { hostname: 'srv-[0-5]' } }) })).status).toBe(200);
      expect((await c.api(`/api/v1/devices/${box.deviceId}/groups`)).body.groups).toEqual([]);
      await new Promise((r) => setTimeout(r, 20));
      await box.report({ fail: ['screen_lock'], collectedAt: collectedWhileMember });
      const d = (await c.api(`/api/v1/devices/${box.deviceId}`)).body;
      expect(d.state).toBe('compliant');
      expect(d.checks.find((x: any) => x.id === 'screen_lock').state).toBe('not_required');
      const dir = await bundle(new Date(Date.now() + 1000));
      const events = parseCsv(readFileSync(join(dir, 'events.csv'), 'utf8'));
      const h = events[0];
      const late = events.slice(1).find((r) => r[h.indexOf('device_id')] === box.deviceId && r[h.indexOf('check_id')] === 'screen_lock' && r[h.indexOf('to_state')] === 'noncompliant');
      expect(late && Date.parse(late[h.indexOf('at')])).toBe(collectedWhileMember.getTime());
      const mem = parseCsv(readFileSync(join(dir, 'group-memberships.csv'), 'utf8'));
      const mh = mem[0];
      expect(mem.slice(1).some((r) => r[mh.indexOf('device_id')] === box.deviceId && r[mh.indexOf('source')] === 'rule' && r[mh.indexOf('until')] !== '')).toBe(true);
      const r = await verifyBundleDir(dir);
      expect(r.problems, JSON.stringify(r.problems)).toEqual([]);
    } finally {
      box.close();
    }
  }, 120_000);

  it('a membership window moved in the database fails verification naming it', async () => {
    const w = (await c.db.query<{ id: string; since: Date }>('SELECT id::text AS id, since FROM device_group_members WHERE device_id = $1', [dev.deviceId])).rows[0];
    // An insider backdates the device's leaving of `strict` to before the late report, so that
    // report would replay under the lenient policy (no noncompliant period to explain).
    await c.db.query("UPDATE device_group_members SET until = since + interval '1 millisecond' WHERE id = $1", [w.id]);
    const dir = await bundle(new Date(Date.now() + 1000));
    const r = await verifyBundleDir(dir);
    expect(r.ok).toBe(false);
    const named = r.problems.filter((p) => p.file === 'group-memberships.csv');
    expect(named.some((p) => p.message.includes(`window ${w.id}`) && p.message.includes('until')), JSON.stringify(r.problems)).toBe(true);
  }, 120_000);
});
