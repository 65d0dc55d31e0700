/**
 * Revocation and key rotation with a real agent process: revoking closes the live socket at
 * once and the agent stops for good (and says so in `status`); rotation swaps keys with proof
 * of possession, old reports stay verifiable, and the rotated-out key is refused afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compactVerify, importJWK } from 'jose';
import { backends } from '../helpers/db.js';
import { ENROLL_SECRET, startTestCollector, type TestCollector } from '../helpers/collector.js';
import { enrollAgent, runAgentCli, startAgentProcess, waitFor } from '../helpers/agent.js';
import { connectDevice, enrollDevice, nextMessage, signedReport } from '../helpers/device.js';
import { loadKey } from '../../agent/src/identity/keys.js';
import { CLOSE } from '../../shared/src/protocol/messages.js';

describe.each(backends())('revocation and rotation on %s', (backend) => {
  let c: TestCollector;
  const procs: ReturnType<typeof startAgentProcess>[] = [];
  beforeAll(async () => {
    c = await startTestCollector(backend);
  });
  afterAll(async () => {
    for (const p of procs) await p.stop();
    await c?.cleanup();
  });

  async function enrolledAgent() {
    const { dir, deviceId } = await enrollAgent(c.url, ENROLL_SECRET);
    const p = startAgentProcess(['run', '--state-dir', dir, '--interval', '3600']);
    procs.push(p);
    await waitFor(async () => (await c.api(`/api/v1/devices/${deviceId}`)).body.lastReportAt, 45_000);
    await waitFor(async () => c.ctx.hub.isLocal(deviceId), 10_000);
    return { dir, deviceId, p };
  }

  it('rotates the device key on command: proof of possession, old key retired, new key used', async () => {
    const { dir, deviceId } = await enrolledAgent();
    const oldKid = JSON.parse(readFileSync(join(dir, 'agent.json'), 'utf8')).keyId;
    copyFileSync(join(dir, 'device-key.jwk'), join(dir, 'old-key.jwk'));
    const cmd = await c.api(`/api/v1/devices/${deviceId}/rotate-key`, { method: 'POST', body: '{}' });
    expect(cmd.status).toBe(202);
    const keys = await waitFor(async () => {
      const r = await c.db.query<{ kid: string; retired_at: Date | null }>('SELECT kid, retired_at FROM device_keys WHERE device_id = $1 ORDER BY created_at', [deviceId]);
      return r.rows.length === 2 ? r.rows : null;
    }, 20_000);
    expect(keys[0].kid).toBe(oldKid);
    expect(keys[0].retired_at).not.toBeNull();
    const newKid = keys[1].kid;
    await waitFor(async () => JSON.parse(readFileSync(join(dir, 'agent.json'), 'utf8')).keyId === newKid, 10_000);

    // The agent reconnects with the new key and its next report is signed with it.
    await waitFor(async () => c.ctx.hub.isLocal(deviceId), 15_000);
    const now = await c.api(`/api/v1/devices/${deviceId}/check-now`, { method: 'POST', body: '{}' });
    const done = await waitFor(async () => {
      const r = await c.api(`/api/v1/devices/${deviceId}/commands/${now.body.commandId}`);
      return r.body.completed_at ? r.body : null;
    }, 30_000);
    const rep = await c.db.query<{ kid: string; jws: string }>('SELECT kid, jws FROM reports WHERE report_id = $1', [done.result.reportId]);
    expect(rep.rows[0].kid).toBe(newKid);

    // Reports signed before the rotation remain verifiable with the retired key.
    const old = await c.db.query<{ jws: string }>('SELECT jws FROM reports WHERE device_id = $1 AND kid = $2', [deviceId, oldKid]);
    expect(old.rows.length).toBeGreaterThan(0);
    const oldJwk = (await c.db.query<{ public_jwk: object }>('SELECT public_jwk FROM device_keys WHERE kid = $1', [oldKid])).rows[0].public_jwk;
    await expect(compactVerify(old.rows[0].jws, await importJWK(oldJwk as never, 'EdDSA'))).resolves.toBeTruthy();

    // The rotated-out key can neither open a socket nor sign a new report.
    const oldKey = await loadKey(join(dir, 'old-key.jwk'));
    const dev = { deviceId, audience: c.ctx.identity.collectorId, key: oldKey, fingerprint: '', server: c.url, seq: 1000 };
    const s = await connectDevice(dev);
    expect((await s.closed).code).toBe(CLOSE.badSignature);
    const newKey = await loadKey(join(dir, 'device-key.jwk'));
    const s2 = await connectDevice({ ...dev, key: newKey });
    const late = await signedReport(dev, {}, oldKey);
    s2.ws.send(JSON.stringify({ type: 'report', id: late.id, jws: late.jws }));
    const rej = await nextMessage(s2.messages, (m) => m.type === 'reject' && m.id === late.id);
    expect(rej.code).toBe('key_rotated_out');
    s2.ws.close();
  }, 120_000);

  it('revocation closes the live socket at once; the agent stops and status says revoked', async () => {
    // A fresh collector: this machine is already a device of the first one, and a second real
    // install of it would only be a pending enrollment (test/enrollment/takeover.test.ts).
    for (const p of procs.splice(0)) await p.stop();
    await c.cleanup();
    c = await startTestCollector(backend);
    const { dir, deviceId, p } = await enrolledAgent();
    const t0 = Date.now();
    const r = await c.api(`/api/v1/devices/${deviceId}/revoke`, { method: 'POST', body: JSON.stringify({ reason: 'laptop stolen' }) });
    expect(r.status).toBe(200);
    // "At once" means by the revocation itself, not at the agent's next report or token expiry
    // (minutes away): the bound is generous so that CI load cannot fail it.
    await waitFor(async () => !c.ctx.hub.isLocal(deviceId), 20_000, 20);
    expect(Date.now() - t0).toBeLessThan(20_000);
    await waitFor(async () => /revoked/.test(p.output()), 10_000);
    const st = await runAgentCli(['status', '--json', '--state-dir', dir]);
    expect(st.code).toBe(4);
    expect(JSON.parse(st.stdout).state).toBe('revoked');
    // It does not come back.
    await new Promise((res) => setTimeout(res, 3000));
    expect(c.ctx.hub.isLocal(deviceId)).toBe(false);
    // Its key cannot open a socket nor re-enroll, even with a valid secret.
    const key = await loadKey(join(dir, 'device-key.jwk'));
    const dev = { deviceId, audience: c.ctx.identity.collectorId, key, fingerprint: '', server: c.url, seq: 0 };
    expect((await (await connectDevice(dev)).closed).code).toBe(CLOSE.revoked);
    await expect(enrollDevice(c.url, { key })).rejects.toThrow(/POSTURE_ERR_KEY_REVOKED/);
    // Revoking again says so, rather than "not found".
    const again = await c.api(`/api/v1/devices/${deviceId}/revoke`, { method: 'POST', body: '{}' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('POSTURE_ERR_CONFLICT');
    // The revocation is in the audit log with who and why.
    const audit = await c.db.query<{ actor: string; detail: { reason: string } }>(`SELECT actor, detail FROM audit_log WHERE action = 'device.revoke' AND target = $1`, [deviceId]);
    expect(audit.rows[0].detail.reason).toBe('laptop stolen');
  }, 120_000);

  it('an enrollment secret can be expired', async () => {
    const s = await c.api('/api/v1/enroll-secrets', { method: 'POST', body: JSON.stringify({ label: 'short' }) });
    await enrollDevice(c.url, { secret: s.body.secret });
    expect((await c.api(`/api/v1/enroll-secrets/${s.body.id}/expire`, { method: 'POST', body: '{}' })).status).toBe(200);
    await expect(enrollDevice(c.url, { secret: s.body.secret })).rejects.toThrow(/POSTURE_ERR_ENROLL_SECRET_EXPIRED/);
  });
});
