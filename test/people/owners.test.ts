/**
 * Device owners through the real collector: reports (the logged-in user) only ever set the
 * inferred owner; an admin-set owner survives ten later reports; `enroll --owner` assigns with
 * source enrollment; the trust order holds; each change is a device event and an audit entry;
 * offboarding a person marks their devices with a deadline and an alert; CSV owner upload.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { startTestCollector, ENROLL_SECRET, type TestCollector } from '../helpers/collector.js';
import { reportingDevice } from '../dashboard/fleet.js';
import { sampleInventory } from '../helpers/device.js';
import { generateDeviceKey } from '../../agent/src/identity/keys.js';
import { assignOwner } from '../../server/src/people/owners.js';
import { DEFAULT_POLICY } from '../../shared/src/policy/default-policy.js';

describe('device owners (pglite)', () => {
  let c: TestCollector;
  beforeAll(async () => {
    c = await startTestCollector('pglite');
  }, 180_000);
  afterAll(async () => c?.cleanup());

  it('a report sets only the inferred owner; an admin-set owner survives ten later reports', async () => {
    const dev = await reportingDevice(c.url, 'owner-host-1');
    try {
      await dev.report();
      let d = (await c.api(`/api/v1/devices/${dev.deviceId}`)).body;
      expect(d.owner).toBe('alice');
      expect(d.ownerSource).toBe('inferred');
      const set = await c.api(`/api/v1/devices/${dev.deviceId}/owner`, { method: 'PUT', body: JSON.stringify({ email: 'Bob.Builder@example.com' }) });
      expect(set.status).toBe(200);
      for (let i = 0; i < 10; i++) await dev.report();
      d = (await c.api(`/api/v1/devices/${dev.deviceId}`)).body;
      expect(d.owner).toBe('Bob.Builder@example.com');
      expect(d.ownerSource).toBe('admin');
      expect(d.inferredOwner).toBe('alice');
      const ev = (await c.api(`/api/v1/devices/${dev.deviceId}/owner-events`)).body.items;
      expect(ev.map((e: any) => e.kind)).toContain('owner.changed');
      const audit = (await c.api('/api/v1/audit?action=device.owner_set')).body.items;
      expect(audit.some((a: any) => a.target === dev.deviceId)).toBe(true);
    } finally {
      dev.close();
    }
  });

  it('enroll --owner assigns with source enrollment; an admin beats it; a lower source never replaces a higher one', async () => {
    const { key } = await generateDeviceKey();
    const res = await fetch(`${c.url}/agent/v1/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ secret: ENROLL_SECRET, publicJwk: key.publicJwk, fingerprint: randomBytes(32).toString('hex'), agentVersion: 'test', inventory: sampleInventory('enrolled-owned'), owner: 'carol@example.com' }),
    });
    expect(res.status).toBe(201);
    const id = ((await res.json()) as { deviceId: string }).deviceId;
    let d = (await c.api(`/api/v1/devices/${id}`)).body;
    expect(d.owner).toBe('carol@example.com');
    expect(d.ownerSource).toBe('enrollment');
    // An admin replaces the enrolment claim; afterwards an employee claim cannot replace the admin's.
    expect((await c.api(`/api/v1/devices/${id}/owner`, { method: 'PUT', body: JSON.stringify({ email: 'dave@example.com' }) })).status).toBe(200);
    const people = (await c.api('/api/v1/people?q=carol')).body.items;
    const r = await c.db.tx((q) => assignOwner(q, { deviceId: id, personId: people[0].id, source: 'employee', actor: 'test', policy: DEFAULT_POLICY }));
    expect(r).toEqual({ ok: false, reason: 'outranked', current: 'admin' });
    d = (await c.api(`/api/v1/devices/${id}`)).body;
    expect(d.owner).toBe('dave@example.com');
    // A malformed owner is refused with the field named.
    const bad = await fetch(`${c.url}/agent/v1/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ secret: ENROLL_SECRET, publicJwk: key.publicJwk, fingerprint: randomBytes(32).toString('hex'), agentVersion: 'test', inventory: sampleInventory('x'), owner: 'not an email' }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('owner');
  });

  it('offboarding a person: their devices get a return/wipe deadline, an alert, and show on the offboarded list; a report after it is flagged', async () => {
    const dev = await reportingDevice(c.url, 'leaver-laptop');
    try {
      await dev.report();
      await c.api(`/api/v1/devices/${dev.deviceId}/owner`, { method: 'PUT', body: JSON.stringify({ email: 'erin@example.com' }) });
      const person = (await c.api('/api/v1/people?q=erin')).body.items[0];
      expect(person.devices.map((x: any) => x.id)).toEqual([dev.deviceId]);
      const before = Date.now();
      expect((await c.api(`/api/v1/people/${person.id}/status`, { method: 'POST', body: JSON.stringify({ status: 'offboarded' }) })).body).toMatchObject({ ok: true, changed: true, devices: 1 });
      const list = (await c.api('/api/v1/people/offboarded-devices')).body.items;
      const mine = list.find((x: any) => x.id === dev.deviceId);
      expect(mine.ownerEmail).toBe('erin@example.com');
      // Default policy: 14 days to return or wipe.
      expect(Math.abs(Date.parse(mine.offboarding.deadline) - before - 14 * 86_400_000)).toBeLessThan(60_000);
      const alerts = await c.db.query<{ kind: string }>(`SELECT kind FROM alert_outbox WHERE device_id = $1`, [dev.deviceId]);
      expect(alerts.rows.map((a) => a.kind)).toContain('owner_offboarded');
      await new Promise((r) => setTimeout(r, 20));
      await dev.report();
      const after = (await c.api(`/api/v1/devices/${dev.deviceId}`)).body;
      expect(after.offboarding.reportedAfterOffboardAt).not.toBeNull();
      expect((await c.api(`/api/v1/devices/${dev.deviceId}/offboarding`, { method: 'POST', body: JSON.stringify({ outcome: 'wiped' }) })).status).toBe(200);
      expect((await c.api('/api/v1/people/offboarded-devices')).body.items.some((x: any) => x.id === dev.deviceId)).toBe(false);
    } finally {
      dev.close();
    }
  });

  it('CSV upload assigns owners by hostname and names each refused line', async () => {
    const dev = await reportingDevice(c.url, 'csv-host');
    try {
      await dev.report();
      const csv = 'hostname,owner\ncsv-host,frank@example.com\nno-such-host,x@example.com\ncsv-host,not-an-email\n';
      const r = (await c.api('/api/v1/devices/owners.csv', { method: 'POST', body: JSON.stringify({ csv }) })).body;
      expect(r.updated).toBe(1);
      expect(r.items.filter((x: any) => !x.ok).map((x: any) => x.reason)).toEqual(['no such device', 'not an email address']);
      expect((await c.api(`/api/v1/devices/${dev.deviceId}`)).body.owner).toBe('frank@example.com');
    } finally {
      dev.close();
    }
  });
});

describe('people.csv in the evidence bundle (pglite)', () => {
  let c: TestCollector;
  beforeAll(async () => {
    c = await startTestCollector('pglite');
  }, 180_000);
  afterAll(async () => c?.cleanup());

  it('lists each person, their status and each device with its return/wipe outcome', async () => {
    const { unpackTarGz } = await import('../../scripts/evidence/unpack.js');
    const { parseCsv } = await import('../../shared/src/evidence/csv.js');
    const { Readable } = await import('node:stream');
    const { readFileSync } = await import('node:fs');
    const { tempDir } = await import('../helpers/db.js');
    const dev = await reportingDevice(c.url, 'returned-laptop');
    try {
      await dev.report();
    } finally {
      dev.close();
    }
    await c.api(`/api/v1/devices/${dev.deviceId}/owner`, { method: 'PUT', body: JSON.stringify({ email: 'gina@example.com' }) });
    await c.api('/api/v1/people', { method: 'POST', body: JSON.stringify({ email: 'nodevice@example.com' }) });
    const gina = (await c.api('/api/v1/people?q=gina')).body.items[0];
    await c.api(`/api/v1/people/${gina.id}/status`, { method: 'POST', body: JSON.stringify({ status: 'offboarded' }) });
    await c.api(`/api/v1/devices/${dev.deviceId}/offboarding`, { method: 'POST', body: JSON.stringify({ outcome: 'returned' }) });
    const from = new Date(Date.now() - 86_400_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const res = await fetch(`${c.url}/api/v1/evidence?from=${from}&to=${to}`, { headers: { authorization: `Bearer ${(await import('../helpers/collector.js')).ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    const dir = tempDir('posture-people-bundle-');
    await unpackTarGz(Readable.fromWeb(res.body as never), dir);
    const rows = parseCsv(readFileSync(`${dir}/people.csv`, 'utf8').replace(/^\uFEFF/, '')) as string[][];
    const header = rows[0];
    const byEmail = (e: string) => rows.slice(1).filter((r) => r[header.indexOf('email')] === e).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
    const g = byEmail('gina@example.com');
    expect(g).toHaveLength(1);
    expect(g[0]).toMatchObject({ status: 'offboarded', device_id: dev.deviceId, hostname: 'returned-laptop', owner_source: 'admin', outcome: 'returned' });
    expect(g[0].offboarded_at).toMatch(/^\d{4}-/);
    expect(g[0].outcome_at).toMatch(/^\d{4}-/);
    expect(byEmail('nodevice@example.com')[0]).toMatchObject({ status: 'active', device_id: '' });
    (await import('node:fs')).rmSync(dir, { recursive: true, force: true });
  });
});
