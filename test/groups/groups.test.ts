/**
 * Device groups with their own policy, through the real collector (in-process, PGlite),
 * devices enrolled over HTTP and reporting signed reports over a real WebSocket:
 * a group override changes the verdict of only its devices, at once (no new report) — on
 * membership change and on a change of the policy's `groups:`; rule-based membership
 * (hostname pattern, enrolment tag, owner's department); ?group= on the devices API and on
 * the evidence export; the bundle still verifies offline with the overrides in force; and
 * the "device has an owner" requirement.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parseCsv } from '#shared/evidence/csv.js';
import { DEFAULT_POLICY } from '#shared/policy/default-policy.js';
import type { Policy } from '#shared/policy/schema.js';
import { ENROLL_SECRET, startTestCollector, type TestCollector } from '../helpers/collector.js';
import { backends, tempDir } from '../helpers/db.js';
import { connectDevice, enrollDevice, nextMessage, sampleInventory } from '../helpers/device.js';
import { reportingDevice, withGrace, type ReportingDevice } from '../dashboard/fleet.js';
import { generateDeviceKey } from '../../agent/src/identity/keys.js';
import { runAgentCli } from '../helpers/agent.js';
import { myDeviceState } from '../../server/src/mydevice/state.js';
import { OWNER_CHECK_ID } from '#shared/policy/owner-check.js';
import { unpackTarGz } from '../../scripts/evidence/unpack.js';
import { verifyBundleDir } from '../../scripts/evidence/verify-bundle.js';

/** Screen lock not required by default; the `strict` group requires it with no grace. */
function basePolicy(strictRequires: boolean): Policy {
  const p = withGrace(DEFAULT_POLICY, 0);
  p.checks.screen_lock.required = false;
  p.groups = [
    { name: 'strict', checks: { screen_lock: { required: strictRequires, graceHours: 0 } } },
    { name: 'servers', intervalSec: 300, staleAfterHours: 1, checks: { usb_storage: { required: false } } },
  ];
  return p;
}

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.each(backends())('device groups (%s)', (backend) => {
  let c: TestCollector;
  const started = new Date(Date.now() - 60_000);
  let a: ReportingDevice;
  let b: ReportingDevice;
  let strictId: string;
  const state = async (id: string) => (await c.api(`/api/v1/devices/${id}`)).body.state as string;

  beforeAll(async () => {
    c = await startTestCollector(backend);
    const put = await c.api('/api/v1/policy', { method: 'PUT', body: JSON.stringify(basePolicy(true)) });
    expect(put.status).toBe(200);
    a = await reportingDevice(c.url, 'laptop-a');
    b = await reportingDevice(c.url, 'laptop-b');
    await a.report({ fail: ['screen_lock'] });
    await b.report({ fail: ['screen_lock'] });
  }, 180_000);
  afterAll(async () => {
    a?.close();
    b?.close();
    await c?.cleanup();
  });

  it('a static group override changes the verdict of only its devices, at once', async () => {
    expect(await state(a.deviceId)).toBe('compliant'); // screen_lock not required by default
    expect(await state(b.deviceId)).toBe('compliant');
    const made = await c.api('/api/v1/groups', { method: 'POST', body: JSON.stringify({ name: 'strict', kind: 'static', description: 'finance laptops' }) });
    expect(made.status).toBe(201);
    strictId = made.body.id;
    expect(made.body.policyOverrides.name).toBe('strict');
    const add = await c.api(`/api/v1/groups/${strictId}/members`, { method: 'POST', body: JSON.stringify({ deviceIds: [a.deviceId] }) });
    expect(add.status).toBe(200);
    expect(add.body).toMatchObject({ added: 1, reevaluated: 1, changedState: 1 });
    // No new report: the membership change alone re-evaluated A.
    expect(await state(a.deviceId)).toBe('noncompliant');
    expect(await state(b.deviceId)).toBe('compliant');
    const d = (await c.api(`/api/v1/devices/${a.deviceId}`)).body;
    expect(d.groups).toEqual(['strict']);
    expect(d.checks.find((x: any) => x.id === 'screen_lock').state).toBe('noncompliant');
    // The explanation names the group that made it required.
    const why = (await c.api(`/api/v1/devices/${a.deviceId}/groups`)).body;
    expect(why.groups.map((g: any) => g.name)).toEqual(['strict']);
    expect(why.effective.checks.screen_lock.required).toEqual({ value: true, source: 'group strict' });
    expect(why.effective.checks.firewall.required.source).toBe('policy');
    const whyB = (await c.api(`/api/v1/devices/${b.deviceId}/groups`)).body;
    expect(whyB.effective.checks.screen_lock.required).toEqual({ value: false, source: 'policy' });
    // Audit and device timeline.
    const audit = (await c.api('/api/v1/audit?action=group.member.add')).body.items;
    expect(audit.some((x: any) => x.target === a.deviceId)).toBe(true);
    const ev = (await c.api(`/api/v1/devices/${a.deviceId}/owner-events`)).body.items;
    expect(ev.map((e: any) => e.kind)).toContain('group.joined');
  });

  it('the dashboard filters by group and the device page says which group made a check required', async () => {
    const list = await c.api('/devices?group=strict');
    expect(list.status).toBe(200);
    expect(list.body).toContain('laptop-a');
    expect(list.body).not.toContain('laptop-b');
    const page = (await c.api(`/devices/${a.deviceId}`)).body as string;
    const row = /<tr data-why="screen_lock">([\s\S]*?)<\/tr>/.exec(page.slice(page.indexOf('id="why-table"')))?.[1] ?? '';
    expect(row).toContain('group strict');
    const pageB = (await c.api(`/devices/${b.deviceId}`)).body as string;
    expect(pageB).toContain('In no group');
    const fleet = (await c.api('/')).body as string;
    expect(fleet).toContain('id="by-group"');
    const groupsPage = (await c.api('/groups')).body as string;
    expect(groupsPage).toMatch(/<tr data-group="strict">[\s\S]*?assigned[\s\S]*?>1<\/td>[\s\S]*?yes \(#1 in order\)/);
    // `servers` is in the policy but does not exist yet: the page says so.
    expect(groupsPage).toContain('id="groups-missing"');
  });

  it('?group= filters the devices API; bad input is a 400 naming the field', async () => {
    const r = await c.api('/api/v1/devices?group=strict');
    expect(r.status).toBe(200);
    expect(r.body.items.map((x: any) => x.id)).toEqual([a.deviceId]);
    expect((await c.api('/api/v1/devices?group=nosuch')).body.total).toBe(0);
    const bad = await c.api('/api/v1/devices?group=' + encodeURIComponent('bad name!'));
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('group');
    const badRule = await c.api('/api/v1/groups', { method: 'POST', body: JSON.stringify({ name: 'broken', kind: 'rule', rule: { hostname: '(' } }) });
    expect(badRule.status).toBe(400);
    expect(badRule.body.error?.message ?? JSON.stringify(badRule.body)).toContain('rule.hostname');
    const staticRule = await c.api(`/api/v1/groups/${strictId}/members`, { method: 'POST', body: JSON.stringify({ deviceIds: ['dev_nope'] }) });
    expect(staticRule.status).toBe(400);
    expect(JSON.stringify(staticRule.body)).toContain('deviceIds');
  });

  it("changing the group's policy re-evaluates its members at once, and only them", async () => {
    const before = (await c.api(`/api/v1/devices/${b.deviceId}`)).body.stateSince;
    expect((await c.api('/api/v1/policy', { method: 'PUT', body: JSON.stringify(basePolicy(false)) })).status).toBe(200);
    expect(await until(() => state(a.deviceId), (s) => s === 'compliant')).toBe('compliant');
    expect((await c.api(`/api/v1/devices/${b.deviceId}`)).body.stateSince).toBe(before);
    // And back: required again.
    expect((await c.api('/api/v1/policy', { method: 'PUT', body: JSON.stringify(basePolicy(true)) })).status).toBe(200);
    expect(await until(() => state(a.deviceId), (s) => s === 'noncompliant')).toBe('noncompliant');
    expect(await state(b.deviceId)).toBe('compliant');
  });

  it('rule-based groups: hostname pattern, enrolment tag, owner department; membership follows', async () => {
    const srv = await c.api('/api/v1/groups', { method: 'POST', body: JSON.stringify({ name: 'servers', kind: 'rule', rule: { hostname: 'srv-[0-9]+' } }) });
    expect(srv.status).toBe(201);
    const kiosk = await c.api('/api/v1/groups', { method: 'POST', body: JSON.stringify({ name: 'kiosks', kind: 'rule', rule: { tag: ['kiosk'], platform: ['linux'] } }) });
    const fin = await c.api('/api/v1/groups', { method: 'POST', body: JSON.stringify({ name: 'finance', kind: 'rule', rule: { department: ['Finance'] } }) });
    expect(kiosk.status).toBe(201);
    const s1 = await reportingDevice(c.url, 'srv-01');
    try {
      const members = async (id: string) => (await c.api(`/api/v1/groups/${id}/members`)).body.items.map((m: any) => m.deviceId);
      expect(await members(srv.body.id)).toEqual([s1.deviceId]);
      // Enrolment with --tag kiosk (the agent sends `tags`).
      const { key } = await generateDeviceKey();
      const res = await fetch(`${c.url}/agent/v1/enroll`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ secret: ENROLL_SECRET, publicJwk: key.publicJwk, fingerprint: randomBytes(32).toString('hex'), agentVersion: 'test', inventory: sampleInventory('lobby-1'), tags: ['kiosk'] }),
      });
      expect(res.status).toBe(201);
      const kioskId = ((await res.json()) as { deviceId: string }).deviceId;
      expect(await members(kiosk.body.id)).toEqual([kioskId]);
      const badTag = await fetch(`${c.url}/agent/v1/enroll`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ secret: ENROLL_SECRET, publicJwk: key.publicJwk, fingerprint: randomBytes(32).toString('hex'), agentVersion: 'test', inventory: sampleInventory('x'), tags: ['Bad Tag'] }),
      });
      expect(badTag.status).toBe(400);
      expect(await badTag.text()).toContain('tags');
      // The real agent CLI: `posture-agent enroll --tag kiosk` (this machine is Linux).
      const en = await runAgentCli(['enroll', '--server', c.url, '--secret', ENROLL_SECRET, '--state-dir', tempDir('posture-agent-tag-'), '--tag', 'kiosk']);
      expect(en.code, en.stderr).toBe(0);
      const agentId = /device (dev_\S+)/.exec(en.stdout)![1];
      expect((await members(kiosk.body.id)).sort()).toEqual([kioskId, agentId].sort());
      const badCli = await runAgentCli(['enroll', '--server', c.url, '--secret', ENROLL_SECRET, '--state-dir', tempDir('posture-agent-tag-'), '--tag', 'Not OK']);
      expect(badCli.code).toBe(2);
      expect(badCli.stderr).toContain('--tag');
      // Owner's department: a person in Finance becomes B's owner → B joins finance.
      expect((await c.api('/api/v1/people', { method: 'POST', body: JSON.stringify({ email: 'fiona@example.com', department: 'Finance' }) })).status).toBe(201);
      expect((await c.api(`/api/v1/devices/${b.deviceId}/owner`, { method: 'PUT', body: JSON.stringify({ email: 'fiona@example.com' }) })).status).toBe(200);
      expect(await members(fin.body.id)).toEqual([b.deviceId]);
      // A hostname change in a report moves the device out of the rule group.
      await s1.report({ hostname: 'web-01' });
      expect(await members(srv.body.id)).toEqual([]);
      // Editing the rule re-matches the fleet.
      const edit = await c.api(`/api/v1/groups/${srv.body.id}`, { method: 'PATCH', body: JSON.stringify({ rule: { hostname: '(srv|web)-[0-9]+' } }) });
      expect(edit.status).toBe(200);
      expect(edit.body.joined).toBe(1);
      expect(await members(srv.body.id)).toEqual([s1.deviceId]);
      // The servers override (usb_storage not required) applies to that device only.
      const why = (await c.api(`/api/v1/devices/${s1.deviceId}/groups`)).body.effective;
      expect(why.checks.usb_storage.required).toEqual({ value: false, source: 'group servers' });
      expect(why.device.intervalSec).toEqual({ value: 300, source: 'group servers' });
      // The agent is sent its group's interval: in the welcome, and again when its groups change.
      const raw = await enrollDevice(c.url, { hostname: 'srv-88' });
      const sock = await connectDevice(raw);
      try {
        const welcome = await nextMessage(sock.messages, (m) => m.type === 'welcome', 30_000);
        expect(welcome.policy.intervalSec).toBe(300);
        const narrowed = await c.api(`/api/v1/groups/${srv.body.id}`, { method: 'PATCH', body: JSON.stringify({ rule: { hostname: 'srv-0[0-9]|web-[0-9]+' } }) });
        expect(narrowed.body.left).toBe(1);
        const upd = await nextMessage(sock.messages, (m) => m.type === 'command' && m.command === 'policy-update', 30_000);
        expect(upd.policy.intervalSec).toBe(DEFAULT_POLICY.intervalSec);
      } finally {
        sock.ws.close();
      }
      // A static group's members cannot be set on a rule group.
      const refused = await c.api(`/api/v1/groups/${srv.body.id}/members`, { method: 'POST', body: JSON.stringify({ deviceIds: [a.deviceId] }) });
      expect(refused.status).toBe(400);
    } finally {
      s1.close();
    }
  }, 180_000);

  it("an owner's IdP group (SCIM membership change) moves their device into a rule group at once", async () => {
    const scimToken = (await c.api('/api/v1/tokens', { method: 'POST', body: JSON.stringify({ role: 'scim', label: 'idp', expiresInDays: 1 }) })).body.token;
    const scim = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${c.url}/scim/v2${path}`, { method, headers: { authorization: `Bearer ${scimToken}`, 'content-type': 'application/scim+json' }, body: body ? JSON.stringify(body) : undefined });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    };
    const grp = await c.api('/api/v1/groups', { method: 'POST', body: JSON.stringify({ name: 'contractors', kind: 'rule', rule: { idpGroup: ['Contractors'] } }) });
    expect(grp.status).toBe(201);
    const user = await scim('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'hank@example.com', emails: [{ value: 'hank@example.com', primary: true }], active: true });
    expect(user.status).toBe(201);
    const d = await reportingDevice(c.url, 'hank-laptop');
    try {
      await d.report();
      expect((await c.api(`/api/v1/devices/${d.deviceId}/owner`, { method: 'PUT', body: JSON.stringify({ email: 'hank@example.com' }) })).status).toBe(200);
      const members = async () => (await c.api(`/api/v1/groups/${grp.body.id}/members`)).body.items.map((m: any) => m.deviceId);
      expect(await members()).toEqual([]);
      const g = await scim('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Contractors', members: [] });
      expect(g.status).toBe(201);
      const add = await scim('PATCH', `/Groups/${g.body.id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'add', path: 'members', value: [{ value: user.body.id }] }] });
      expect(add.status).toBe(204);
      expect(await members()).toEqual([d.deviceId]);
      const remove = await scim('PATCH', `/Groups/${g.body.id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'remove', path: `members[value eq "${user.body.id}"]` }] });
      expect(remove.status).toBe(204);
      expect(await members()).toEqual([]);
    } finally {
      d.close();
    }
  });

  it('"device has an owner": failing then noncompliant without one; assigning an owner passes it at once', async () => {
    const p = basePolicy(true);
    p.people = { ownerRequired: true, ownerGraceHours: 0 };
    expect((await c.api('/api/v1/policy', { method: 'PUT', body: JSON.stringify(p) })).status).toBe(200);
    const d = await reportingDevice(c.url, 'unowned-1');
    try {
      await d.report();
      let dev = (await c.api(`/api/v1/devices/${d.deviceId}`)).body;
      expect(dev.state).toBe('noncompliant');
      expect(dev.checks.find((x: any) => x.id === 'owner_assigned').state).toBe('noncompliant');
      expect(dev.failingChecks).toContain('owner_assigned');
      // The employee's My-device view lists it with its fix.
      const mine = await myDeviceState(c.ctx, d.deviceId);
      const own = mine!.checks.find((x) => x.id === OWNER_CHECK_ID)!;
      expect(own.state).toBe('noncompliant');
      expect(own.title).toBe('Device has an owner');
      expect(own.remediation.steps.join(' ')).toContain('help desk');
      expect((await c.api(`/api/v1/devices/${d.deviceId}/owner`, { method: 'PUT', body: JSON.stringify({ email: 'gina@example.com' }) })).status).toBe(200);
      dev = (await c.api(`/api/v1/devices/${d.deviceId}`)).body;
      expect(dev.checks.find((x: any) => x.id === 'owner_assigned').state).toBe('pass');
      expect(dev.state).toBe('compliant');
    } finally {
      d.close();
    }
    // Back to no owner requirement for the bundle test.
    expect((await c.api('/api/v1/policy', { method: 'PUT', body: JSON.stringify(basePolicy(true)) })).status).toBe(200);
  });

  it('the evidence bundle has a groups column and memberships, a one-group export, and verifies with the overrides in force', async () => {
    const to = new Date();
    const fetchBundle = async (q: string) => {
      const dir = tempDir('posture-groups-bundle-');
      const res = await fetch(`${c.url}/api/v1/evidence?from=${started.toISOString()}&to=${to.toISOString()}${q}`, { headers: { authorization: `Bearer pst_adm_test-admin-token-0123456789` } });
      expect(res.status).toBe(200);
      await unpackTarGz(Readable.fromWeb(res.body as never), dir);
      return dir;
    };
    const all = await fetchBundle('');
    const r = await verifyBundleDir(all);
    expect(r.problems, JSON.stringify(r.problems)).toEqual([]);
    expect(r.ok).toBe(true);
    const rows = parseCsv(readFileSync(join(all, 'devices.csv'), 'utf8'));
    const g = rows[0].indexOf('groups');
    expect(g).toBeGreaterThan(0);
    const rowA = rows.find((x) => x[0] === a.deviceId)!;
    expect(rowA[g]).toBe('strict');
    expect(rows.find((x) => x[0] === b.deviceId)![g]).toBe('finance');
    expect(rowA[rows[0].indexOf('screen_lock_state_at_period_end')]).toBe('noncompliant');
    const mem = parseCsv(readFileSync(join(all, 'group-memberships.csv'), 'utf8'));
    expect(mem.some((x) => x[0] === a.deviceId && x[1] === 'strict' && x[2] === 'static')).toBe(true);

    const one = await fetchBundle('&group=strict');
    const r1 = await verifyBundleDir(one);
    expect(r1.problems, JSON.stringify(r1.problems)).toEqual([]);
    const ids = parseCsv(readFileSync(join(one, 'devices.csv'), 'utf8')).slice(1).map((x) => x[0]);
    expect(ids).toEqual([a.deviceId]);
    const manifest = JSON.parse(readFileSync(join(one, 'manifest.json'), 'utf8'));
    expect(manifest.scope).toEqual({ group: 'strict' });
    const events = parseCsv(readFileSync(join(one, 'events.csv'), 'utf8')).slice(1);
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e[2] === a.deviceId)).toBe(true);
    // The verifier really replays under the recorded groups: a bundle whose memberships say A
    // was never in `strict` cannot explain A's screen_lock transitions.
    const forged = tempDir('posture-groups-forged-');
    cpSync(all, forged, { recursive: true });
    const memText = readFileSync(join(forged, 'group-memberships.csv'), 'utf8').split('\n').filter((l) => !(l.startsWith(a.deviceId) && l.includes(',strict,'))).join('\n');
    writeFileSync(join(forged, 'group-memberships.csv'), memText);
    const rf = await verifyBundleDir(forged);
    expect(rf.ok).toBe(false);
    expect(rf.problems.some((p) => p.file === 'events.csv' && p.message.includes(a.deviceId) && p.message.includes('screen_lock'))).toBe(true);
    expect(rf.problems.some((p) => p.file === 'devices.csv' && p.message.includes('column groups'))).toBe(true);
    const unknown = await c.api(`/api/v1/evidence?from=${started.toISOString()}&to=${to.toISOString()}&group=nosuch`);
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body)).toContain('group');
  }, 120_000);
  // Last: its reports are backdated (collected before the period of the bundle test above, and
  // judged by the verifier under the policy then in force), so it runs after that test.
  it("a group's staleAfterHours marks its silent devices stale; others keep the policy's", async () => {
    const inGroup = await reportingDevice(c.url, 'srv-05'); // matches the servers rule as narrowed above
    const plain = await reportingDevice(c.url, 'plain-05');
    try {
      const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
      await inGroup.report({ collectedAt: twoHoursAgo });
      await plain.report({ collectedAt: twoHoursAgo });
      expect((await c.api(`/api/v1/devices/${inGroup.deviceId}/groups`)).body.groups.map((g: any) => g.name)).toContain('servers');
      expect(await until(() => state(inGroup.deviceId), (s) => s === 'stale')).toBe('stale');
      await new Promise((r) => setTimeout(r, 2500)); // two more job ticks
      expect(await state(plain.deviceId)).toBe('compliant');
    } finally {
      inGroup.close();
      plain.close();
    }
  });
});
