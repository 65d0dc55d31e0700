/**
 * The fleet's update state and the help desk's pause, through the real collector (PGlite),
 * real WebSockets and a real TUF repository written by the release code: devices report
 * versions in signed reports and attempts as `update-status` messages; GET /api/v1/updates
 * classifies each device against the signed releases; a pause is audit-logged with its
 * reason and reaches connected agents at once (policy-update) and new ones in the welcome.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { startTestCollector, type TestCollector } from '../helpers/collector.js';
import { connectDevice, enrollDevice, makePayload, nextMessage, signJson, type TestDevice } from '../helpers/device.js';
import { signingKey } from '../../server/src/updates/tuf-keys.js';
import { addRelease, initRepo } from '../../server/src/updates/repo.js';

const key = () => signingKey(generateKeyPairSync('ed25519').privateKey);
type Sock = Awaited<ReturnType<typeof connectDevice>>;

describe('fleet update state and rollout pause (pglite)', () => {
  let dir: string;
  let c: TestCollector;
  const devs: Record<string, { d: TestDevice; s: Sock }> = {};
  let helpdesk: string;
  let auditor: string;

  async function device(name: string, version: string): Promise<{ d: TestDevice; s: Sock }> {
    const d = await enrollDevice(c.url, { hostname: name });
    const s = await connectDevice(d);
    await nextMessage(s.messages, (m) => m.type === 'features');
    const payload = { ...makePayload(d, { hostname: name }), agentVersion: version };
    s.ws.send(JSON.stringify({ type: 'report', id: payload.reportId, jws: await signJson(d.key, payload) }));
    await nextMessage(s.messages, (m) => m.type === 'ack' && m.id === payload.reportId);
    return (devs[name] = { d, s });
  }
  const status = (name: string, st: object) => devs[name].s.ws.send(JSON.stringify({ type: 'update-status', ...st }));
  const fleet = async () => (await c.api('/api/v1/updates')).body;
  const row = (f: any, name: string) => f.devices.find((x: any) => x.hostname === name);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'posture-rollout-'));
    const repo = join(dir, 'repo');
    const k = { root: key(), targets: key(), snapshot: key(), timestamp: key() };
    initRepo(repo, k);
    mkdirSync(join(dir, 'a'));
    for (const v of ['1.0.0', '1.1.0']) {
      const f = join(dir, 'a', `posture-agent-${v}`);
      writeFileSync(f, `agent ${v}`);
      addRelease(repo, k, { version: v, channel: 'stable', artefacts: [{ target: 'linux-x64', file: f }] });
    }
    c = await startTestCollector('pglite', { POSTURE_UPDATES_DIR: repo });
    const tok = async (role: string) => (await c.api('/api/v1/tokens', { method: 'POST', body: JSON.stringify({ role, label: `rollout ${role}`, expiresInDays: 1 }) })).body.token;
    helpdesk = await tok('helpdesk');
    auditor = await tok('auditor');
  }, 60_000);
  afterAll(async () => {
    for (const x of Object.values(devs)) x.s.ws.close();
    await c?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('announces update-status after the welcome and classifies each device against the signed releases', async () => {
    const now = Date.now();
    const at = (s: number) => new Date(now - s * 1000).toISOString();
    await device('upd-committed', '1.1.0');
    await device('upd-rolledback', '1.0.0');
    await device('upd-refused', '1.0.0');
    await device('upd-silent', '1.0.0');
    await device('upd-current', '1.1.0');
    status('upd-committed', { state: 'committed', from: '1.0.0', to: '1.1.0', at: at(30) });
    status('upd-rolledback', { state: 'rolled-back', from: '1.0.0', to: '1.1.0', reason: 'version 1.1.0 exited (code 1) before a report was acknowledged', at: at(20) });
    status('upd-refused', { state: 'refused', from: '1.0.0', to: '1.1.0', reason: 'download refused: hash mismatch', at: at(10) });
    status('upd-current', { state: 'up-to-date', from: '1.1.0', reason: 'up to date (1.1.0)', at: at(5) });
    let f: any;
    for (let i = 0; i < 100; i++) {
      f = await fleet();
      if (f.devices.filter((x: any) => x.lastAttempt).length === 4) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(f.total).toBe(5);
    expect(f.versions).toEqual([{ version: '1.0.0', devices: 3 }, { version: '1.1.0', devices: 2 }]);
    expect(f.releases.map((r: any) => r.version)).toEqual(['1.1.0', '1.0.0']);
    expect(row(f, 'upd-committed')).toMatchObject({ currentVersion: '1.1.0', targetVersion: '1.1.0', result: 'updated', target: 'linux-x64' });
    expect(row(f, 'upd-rolledback')).toMatchObject({ targetVersion: '1.1.0', result: 'rolled-back', detail: expect.stringContaining('exited (code 1)') });
    expect(row(f, 'upd-refused')).toMatchObject({ result: 'failed', detail: 'download refused: hash mismatch' });
    expect(row(f, 'upd-silent')).toMatchObject({ result: 'pending', targetVersion: '1.1.0', lastAttempt: null });
    expect(row(f, 'upd-current')).toMatchObject({ result: 'up-to-date' });
    expect(f.counts).toMatchObject({ updated: 1, 'rolled-back': 1, failed: 1, pending: 1, 'up-to-date': 1 });
    // Problems first.
    expect(f.devices.slice(0, 2).map((x: any) => x.result).sort()).toEqual(['failed', 'rolled-back']);
    expect(f.failures.map((x: any) => [x.hostname, x.state])).toEqual([['upd-refused', 'refused'], ['upd-rolledback', 'rolled-back']]);

    // A resend (every connection) adds no history; an older status does not replace a newer one.
    status('upd-refused', { state: 'refused', from: '1.0.0', to: '1.1.0', reason: 'download refused: hash mismatch', at: at(10) });
    status('upd-refused', { state: 'up-to-date', from: '1.0.0', at: at(60) });
    await new Promise((r) => setTimeout(r, 300));
    f = await fleet();
    expect(f.failures).toHaveLength(2);
    expect(row(f, 'upd-refused').result).toBe('failed');
    expect((await c.api('/api/v1/updates?result=pending')).body.devices.map((x: any) => x.hostname)).toEqual(['upd-silent']);
    expect((await c.api('/api/v1/updates?result=nonsense')).status).toBe(400);
  });

  it('the help desk pauses with a reason: agents are told to hold at once and on connect; resume lifts it', async () => {
    const silent = devs['upd-silent'].s;
    expect((await c.api('/api/v1/updates/pause', { method: 'POST', token: auditor, body: JSON.stringify({ reason: 'auditor tries' }) })).status).toBe(403);
    const noReason = await c.api('/api/v1/updates/pause', { method: 'POST', token: helpdesk, body: JSON.stringify({}) });
    expect(noReason.status).toBe(400);
    expect(JSON.stringify(noReason.body)).toContain('reason');
    const before = silent.messages.length;
    const p = await c.api('/api/v1/updates/pause', { method: 'POST', token: helpdesk, body: JSON.stringify({ reason: 'INC-2291: 1.1.0 crashes on Fedora' }) });
    expect(p.status).toBe(200);
    expect(p.body.hold).toMatchObject({ paused: true, reason: 'INC-2291: 1.1.0 crashes on Fedora' });
    const push = await nextMessage(silent.messages, (m) => silent.messages.indexOf(m) >= before && m.type === 'command' && m.command === 'policy-update');
    expect(push.policy.updates).toMatchObject({ paused: true });
    // A device connecting now is held from its welcome.
    const late = await enrollDevice(c.url, { hostname: 'upd-late' });
    const ls = await connectDevice(late);
    expect((await nextMessage(ls.messages, (m) => m.type === 'welcome')).policy.updates).toMatchObject({ paused: true });
    ls.ws.close();
    const again = await c.api('/api/v1/updates/pause', { method: 'POST', token: helpdesk, body: JSON.stringify({ reason: 'twice' }) });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('POSTURE_ERR_UPDATES_ALREADY_PAUSED');
    let f = await fleet();
    expect(f.rollout).toMatchObject({ paused: true, hold: { paused: true, changedBy: expect.stringMatching(/^token:/) } });
    expect(row(f, 'upd-silent')).toMatchObject({ result: 'held', targetVersion: '1.1.0' });
    const audit = (await c.api('/api/v1/audit?action=updates.pause')).body.items;
    expect(audit[0]).toMatchObject({ target: 'updates:rollout', detail: { reason: 'INC-2291: 1.1.0 crashes on Fedora' } });

    const mark = silent.messages.length;
    const r = await c.api('/api/v1/updates/resume', { method: 'POST', token: helpdesk, body: JSON.stringify({ reason: 'fixed in 1.1.1? no: crash was a bad mirror' }) });
    expect(r.status).toBe(200);
    const lift = await nextMessage(silent.messages, (m) => silent.messages.indexOf(m) >= mark && m.type === 'command' && m.command === 'policy-update');
    expect(lift.policy.updates?.paused).toBeUndefined();
    expect((await c.api('/api/v1/updates/resume', { method: 'POST', token: helpdesk, body: JSON.stringify({ reason: 'again' }) })).body.error.code).toBe('POSTURE_ERR_UPDATES_NOT_PAUSED');
    f = await fleet();
    expect(f.rollout.paused).toBeUndefined();
    expect(row(f, 'upd-silent').result).toBe('pending');
    expect((await c.api('/api/v1/audit?action=updates.resume')).body.items[0].detail.reason).toMatch(/bad mirror/);
  });

  it('update-now for the devices with one result (or the whole fleet) in one call, one audit entry', async () => {
    const silent = devs['upd-silent'].s;
    const current = devs['upd-current'].s;
    const mark = [silent.messages.length, current.messages.length];
    expect((await c.api('/api/v1/updates/update-now', { method: 'POST', token: auditor, body: JSON.stringify({ reason: 'no' }) })).status).toBe(403);
    const r = await c.api('/api/v1/updates/update-now', { method: 'POST', token: helpdesk, body: JSON.stringify({ reason: 'CHG-80: push 1.1.0 to the stragglers', result: 'pending' }) });
    expect(r.status).toBe(202);
    // upd-silent and upd-late (enrolled during the pause, never reported a release version).
    expect(r.body).toEqual({ devices: 2, paused: false });
    const cmd = await nextMessage(silent.messages, (m) => silent.messages.indexOf(m) >= mark[0] && m.command === 'update-now');
    expect(cmd.commandId).toMatch(/^cmd_/);
    await new Promise((res) => setTimeout(res, 300));
    expect(current.messages.slice(mark[1]).filter((m: any) => m.command === 'update-now')).toEqual([]);
    const a = (await c.api('/api/v1/audit?action=updates.update_now')).body.items;
    expect(a).toHaveLength(1);
    expect(a[0].detail).toMatchObject({ reason: 'CHG-80: push 1.1.0 to the stragglers', devices: 2, result: 'pending' });
    // The whole fleet: every active device (six, the one enrolled during the pause included).
    const all = await c.api('/api/v1/updates/update-now', { method: 'POST', token: helpdesk, body: JSON.stringify({ reason: 'all of them' }) });
    expect(all.body.devices).toBe(6);
    await nextMessage(current.messages, (m) => current.messages.indexOf(m) >= mark[1] && m.command === 'update-now');
  });
});
