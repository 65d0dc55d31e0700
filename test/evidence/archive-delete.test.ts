/**
 * Device archive and delete (issue 13) through the real API, a real enrolled device reporting
 * over a real WebSocket, and a real evidence export verified offline:
 *  - archive (helpdesk may) hides the device from the list and counts; ?archived=true shows it;
 *    a new report un-archives it with an audit entry; an operator un-archive restores it;
 *  - delete (admin only, reason required) makes it 404, refuses its socket and reports, keeps
 *    its evidence: the bundle over the period still carries it, marks it deleted (at, by, why)
 *    and VERIFIES; its machine enrolls again as a NEW device.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ADMIN_TOKEN, startTestCollector, type TestCollector } from '../helpers/collector.js';
import { backends, tempDir } from '../helpers/db.js';
import { connectDevice, enrollDevice } from '../helpers/device.js';
import { generateDeviceKey } from '../../agent/src/identity/keys.js';
import { reportingDevice, type ReportingDevice } from '../dashboard/fleet.js';
import { unpackTarGz } from '../../scripts/evidence/unpack.js';
import { verifyBundleDir } from '../../scripts/evidence/verify-bundle.js';
import { parseCsv } from '#shared/evidence/csv.js';
import { CLOSE } from '#shared/protocol/messages.js';
import { DEVICE_LIFECYCLE_HEADER } from '#shared/evidence/lifecycle.js';

describe.each(backends())('device archive and delete (%s)', (backend) => {
  let c: TestCollector;
  let dev: ReportingDevice;
  let other: ReportingDevice;
  const tokens: Record<'helpdesk' | 'auditor', string> = { helpdesk: '', auditor: '' };
  const from = new Date(Date.now() - 3_600_000);
  const listIds = async (q = '') => ((await c.api(`/api/v1/devices${q}`)).body.items as { id: string }[]).map((d) => d.id);
  const auditOf = async (action: string, target: string) =>
    (await c.db.query<{ actor: string; detail: Record<string, unknown> }>('SELECT actor, detail FROM audit_log WHERE action = $1 AND target = $2 ORDER BY seq', [action, target])).rows;

  beforeAll(async () => {
    c = await startTestCollector(backend);
    for (const role of ['helpdesk', 'auditor'] as const)
      tokens[role] = (await c.api('/api/v1/tokens', { method: 'POST', body: JSON.stringify({ role, label: `archive ${role}`, expiresInDays: 1 }) })).body.token;
    dev = await reportingDevice(c.url, 'archive-me');
    await dev.report();
    other = await reportingDevice(c.url, 'stays');
    await other.report();
  }, 60_000);
  afterAll(async () => {
    dev?.close();
    other?.close();
    await c?.cleanup();
  });

  it('archive needs a reason; helpdesk archives; the device leaves the list and the counts; ?archived=true shows it', async () => {
    const post = (path: string, token: string | null, body: unknown) => c.api(path, { method: 'POST', token, body: JSON.stringify(body) });
    const noReason = await post(`/api/v1/devices/${dev.deviceId}/archive`, tokens.helpdesk, {});
    expect(noReason.status).toBe(400);
    expect(JSON.stringify(noReason.body)).toMatch(/reason/);
    expect((await post(`/api/v1/devices/${dev.deviceId}/archive`, tokens.auditor, { reason: 'x' })).status).toBe(403);
    const before = (await c.api('/api/v1/devices')).body.total as number;
    const ok = await post(`/api/v1/devices/${dev.deviceId}/archive`, tokens.helpdesk, { reason: 'Returned to stock' });
    expect(ok.status).toBe(200);
    expect((await post(`/api/v1/devices/${dev.deviceId}/archive`, tokens.helpdesk, { reason: 'again' })).status).toBe(409);
    expect(await listIds()).not.toContain(dev.deviceId);
    expect((await c.api('/api/v1/devices')).body.total).toBe(before - 1);
    const archived = (await c.api('/api/v1/devices?archived=true')).body.items as { id: string; archived: { reason: string; by: string } }[];
    expect(archived.map((d) => d.id)).toEqual([dev.deviceId]);
    expect(archived[0].archived.reason).toBe('Returned to stock');
    expect(archived[0].archived.by).toMatch(/^token:/);
    // Still reachable by id (the help desk can open it and un-archive).
    expect((await c.api(`/api/v1/devices/${dev.deviceId}`)).body.archived.reason).toBe('Returned to stock');
    expect((await auditOf('device.archive', dev.deviceId))[0].detail).toMatchObject({ hostname: 'archive-me', reason: 'Returned to stock' });
  });

  it('a new report from an archived device un-archives it, with an audit entry by the device', async () => {
    await dev.report();
    expect(await listIds()).toContain(dev.deviceId);
    expect((await c.api(`/api/v1/devices/${dev.deviceId}`)).body.archived).toBeNull();
    const e = await auditOf('device.unarchive', dev.deviceId);
    expect(e).toHaveLength(1);
    expect(e[0].actor).toBe(`device:${dev.deviceId}`);
    expect(e[0].detail).toMatchObject({ automatic: true, reason: 'the device reported again' });
  });

  it('an operator un-archives; un-archiving a device that is not archived is a conflict', async () => {
    await c.api(`/api/v1/devices/${dev.deviceId}/archive`, { method: 'POST', token: tokens.helpdesk, body: JSON.stringify({ reason: 'Spare' }) });
    expect(await listIds()).not.toContain(dev.deviceId);
    expect((await c.api(`/api/v1/devices/${dev.deviceId}/unarchive`, { method: 'POST', token: tokens.helpdesk, body: JSON.stringify({ reason: 'Back in use' }) })).status).toBe(200);
    expect(await listIds()).toContain(dev.deviceId);
    expect((await c.api(`/api/v1/devices/${dev.deviceId}/unarchive`, { method: 'POST', token: tokens.helpdesk, body: '{}' })).status).toBe(409);
    // Archived again for the bundle below: a deleted device may have been archived first.
    await c.api(`/api/v1/devices/${dev.deviceId}/archive`, { method: 'POST', token: tokens.helpdesk, body: JSON.stringify({ reason: 'Retired' }) });
  });

  it('delete is admin-only with a reason; the device is 404, its socket and reports refused', async () => {
    const del = (token: string | undefined, body: unknown) => c.api(`/api/v1/devices/${dev.deviceId}`, { method: 'DELETE', ...(token ? { token } : {}), body: JSON.stringify(body) });
    expect((await del(tokens.helpdesk, { reason: 'x' })).status).toBe(403);
    expect((await del(tokens.auditor, { reason: 'x' })).status).toBe(403);
    const noReason = await del(undefined, {});
    expect(noReason.status).toBe(400);
    expect(JSON.stringify(noReason.body)).toMatch(/reason/);
    expect((await del(undefined, { reason: '   ' })).status).toBe(400);
    const ok = await del(undefined, { reason: 'Laptop destroyed' });
    expect(ok.status).toBe(200);
    expect((await del(undefined, { reason: 'again' })).status).toBe(404);

    expect((await c.api(`/api/v1/devices/${dev.deviceId}`)).status).toBe(404);
    expect((await c.api(`/api/v1/devices/${dev.deviceId}/reports`)).status).toBe(404);
    expect((await c.api(`/api/v1/devices/${dev.deviceId}/events`)).status).toBe(404);
    expect(await listIds()).not.toContain(dev.deviceId);
    expect(await listIds('?archived=true')).not.toContain(dev.deviceId);
    expect(await listIds('?state=revoked')).not.toContain(dev.deviceId);
    // Not restorable.
    expect((await c.api(`/api/v1/devices/${dev.deviceId}/restore`, { method: 'POST', body: '{}' })).status).toBe(404);
    // The open socket was closed and its report is refused; a new socket is refused at once.
    await expect(dev.report()).rejects.toThrow();
    const s = await connectDevice(dev);
    expect((await s.closed).code).toBe(CLOSE.revoked);

    const d = await auditOf('device.delete', dev.deviceId);
    expect(d).toHaveLength(1);
    expect(d[0].actor).toMatch(/^token:/);
    expect(d[0].detail).toMatchObject({ hostname: 'archive-me', deviceId: dev.deviceId, reason: 'Laptop destroyed' });
    expect(await auditOf('device.revoke', dev.deviceId)).toHaveLength(1);
    // The tombstone keeps the row and its evidence.
    const row = (await c.db.query<{ n: string }>('SELECT count(*) AS n FROM reports WHERE device_id = $1', [dev.deviceId])).rows[0];
    expect(Number(row.n)).toBe(2);
  });

  it('the bundle over the period still carries the deleted device, marks it deleted, and verifies', async () => {
    const dir = tempDir('posture-archive-');
    const to = new Date(Date.now() + 60_000);
    const res = await fetch(`${c.url}/api/v1/evidence?from=${from.toISOString()}&to=${to.toISOString()}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    await unpackTarGz(Readable.fromWeb(res.body as never), dir);
    const devices = parseCsv(await readFile(join(dir, 'devices.csv'), 'utf8'));
    const row = devices.find((r) => r[0] === dev.deviceId);
    expect(row).toBeDefined();
    expect(row![devices[0].indexOf('state_at_period_end')]).toBe('revoked');
    const life = parseCsv(await readFile(join(dir, 'device-lifecycle.csv'), 'utf8'));
    expect(life[0].map((x) => x.replace(/^\uFEFF/, ''))).toEqual([...DEVICE_LIFECYCLE_HEADER]);
    expect(life).toHaveLength(2);
    const h = life[0];
    const l = life[1];
    expect(l[h.indexOf('device_id')]).toBe(dev.deviceId);
    expect(l[h.indexOf('hostname')]).toBe('archive-me');
    expect(l[h.indexOf('delete_reason')]).toBe('Laptop destroyed');
    expect(l[h.indexOf('deleted_by')]).toMatch(/^token:/);
    expect(Date.parse(l[h.indexOf('deleted_at')])).toBeGreaterThan(from.getTime());
    expect(l[h.indexOf('archive_reason')]).toBe('Retired');
    expect((await readFile(join(dir, 'device-lifecycle.csv'), 'utf8')).startsWith('\uFEFF')).toBe(true);

    const r = await verifyBundleDir(dir);
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.lifecycle).toEqual({ archived: 1, deleted: 1, matched: 2, beforeSegment: 0 });
    expect(r.recomputed?.devices).toBe(2);
  });

  it('the machine enrolls again as a new device (same fingerprint, new key)', async () => {
    const again = await enrollDevice(c.url, { fingerprint: dev.fingerprint, hostname: 'archive-me', key: (await generateDeviceKey()).key });
    expect(again.deviceId).not.toBe(dev.deviceId);
    expect(await listIds()).toContain(again.deviceId);
  });
});
