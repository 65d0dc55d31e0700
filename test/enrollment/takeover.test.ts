/**
 * Issue 11 #1: the enrollment secret plus a machine's fingerprint (readable by every local
 * user) must not re-key an existing device. A REAL second local user (nobody) runs the real
 * `posture-agent enroll` against the collector agent A (root) enrolled with: A's device id is
 * not returned, A's key and state are unchanged, and the request waits as a pending enrollment
 * that an admin can approve (the old install is then told 4012 and `status` exits 9) or reject.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chownSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { ENROLL_SECRET, ROOT, startTestCollector, type TestCollector } from '../helpers/collector.js';
import { tempDir } from '../helpers/db.js';
import { agentArgs, enrollAgent, runAgentCli, startAgentProcess, waitFor } from '../helpers/agent.js';
import { generateDeviceKey } from '../../agent/src/identity/keys.js';
import { sampleInventory } from '../helpers/device.js';

const NOBODY = { uid: 65534, gid: 65534 };

/** Run the agent CLI as the unprivileged user, with a HOME and state dir it owns. */
function runAsNobody(args: string[], home: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const [cmd, a] = agentArgs(args);
  const child = spawn(cmd, a, { cwd: ROOT, uid: NOBODY.uid, gid: NOBODY.gid, env: { ...process.env, HOME: home, TMPDIR: home }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((r) => child.on('exit', (c) => r({ code: c ?? -1, stdout, stderr })));
}

describe('re-enrolling a known machine (pglite)', () => {
  let c: TestCollector;
  let a: { dir: string; deviceId: string };
  const home = tempDir('posture-nobody-');
  const bDir = join(home, 'state');
  const snapshot = (dir: string) => ['agent.json', 'device-key.jwk'].map((f) => readFileSync(join(dir, f), 'utf8'));

  beforeAll(async () => {
    c = await startTestCollector('pglite');
    a = await enrollAgent(c.url, ENROLL_SECRET);
    chownSync(home, NOBODY.uid, NOBODY.gid);
  }, 90_000);
  afterAll(async () => {
    await c?.cleanup();
    rmSync(home, { recursive: true, force: true });
    rmSync(a?.dir ?? '', { recursive: true, force: true });
  });

  it('a second local user with the secret gets a pending request, not the device', async () => {
    const before = snapshot(a.dir);
    const keysBefore = (await c.db.query('SELECT kid, retired_at FROM device_keys WHERE device_id = $1', [a.deviceId])).rows;
    const r = await runAsNobody(['enroll', '--server', c.url, '--secret', ENROLL_SECRET, '--state-dir', bDir], home);
    expect(r.code, r.stderr).toBe(8);
    expect(r.stdout).toMatch(/Pending approval/);
    expect(r.stdout + r.stderr).not.toContain(a.deviceId);
    expect(statSync(join(bDir, 'pending-enrollment.json')).uid).toBe(NOBODY.uid);
    // A's state and its key at the collector are untouched.
    expect(snapshot(a.dir)).toEqual(before);
    expect((await c.db.query('SELECT kid, retired_at FROM device_keys WHERE device_id = $1', [a.deviceId])).rows).toEqual(keysBefore);
    const pending = await c.api('/api/v1/enrollments/pending');
    expect(pending.status).toBe(200);
    expect(pending.body.items).toHaveLength(1);
    expect(pending.body.items[0].deviceId).toBe(a.deviceId);
    expect(pending.body.items[0].sourceIp).toBe('127.0.0.1');
    // The pending install learns it is pending, and nothing more.
    const st = await runAsNobody(['status', '--json', '--state-dir', bDir], home);
    expect(st.code).toBe(8);
    expect(JSON.parse(st.stdout).state).toBe('pending_approval');
    expect(st.stdout).not.toContain(a.deviceId);
  }, 60_000);

  it('A keeps reporting; its own re-enroll (proof by its current key) re-keys the device at once', async () => {
    const r = await runAgentCli(['enroll', '--server', c.url, '--secret', ENROLL_SECRET, '--state-dir', a.dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(a.deviceId);
    const audit = await c.db.query<{ action: string }>(`SELECT action FROM audit_log WHERE target = $1 AND action = 'device.reenrolled'`, [a.deviceId]);
    expect(audit.rows).toHaveLength(1);
  }, 60_000);

  it('refuses a public key that is not a valid Ed25519 JWK with 400 naming the field', async () => {
    const { key } = await generateDeviceKey();
    const send = (publicJwk: object) =>
      c.api('/agent/v1/enroll', { method: 'POST', token: null, body: JSON.stringify({ secret: ENROLL_SECRET, publicJwk, fingerprint: 'a'.repeat(64), agentVersion: 't', inventory: sampleInventory() }) });
    const short = await send({ kty: 'OKP', crv: 'Ed25519', x: 'A'.repeat(42) });
    expect(short.status).toBe(400);
    expect((await send({ kty: 'OKP', crv: 'Ed25519', x: key.publicJwk.x + 'A' })).status).toBe(400);
    const junk = await send({ kty: 'OKP', crv: 'Ed25519', x: '!'.repeat(43) });
    expect(junk.status).toBe(400);
    expect(JSON.stringify(junk.body)).toContain('publicJwk.x');
    const priv = await send({ ...key.publicJwk, d: 'x'.repeat(43) });
    expect(priv.status).toBe(400);
    expect(JSON.stringify(priv.body)).toContain('publicJwk.d');
    expect((await c.db.query(`SELECT 1 FROM devices WHERE fingerprint = $1`, ['a'.repeat(64)])).rows).toHaveLength(0);
  });

  it('approve-replace: the pending key becomes current, A is told 4012 and `status` exits 9 with the reason', async () => {
    const agentA = startAgentProcess(['run', '--state-dir', a.dir, '--interval', '3600']);
    try {
      await waitFor(async () => JSON.parse(readFileSync(join(a.dir, 'status.json'), 'utf8')).connection === 'connected', 45_000);
      const id = (await c.api('/api/v1/enrollments/pending')).body.items[0].id;
      expect((await c.api(`/api/v1/enrollments/${id}/approve`, { method: 'POST', body: '{}' })).status).toBe(400); // a reason is required
      const ok = await c.api(`/api/v1/enrollments/${id}/approve`, { method: 'POST', body: JSON.stringify({ reason: 'laptop reinstalled, ticket 42' }) });
      expect(ok.status).toBe(200);
      expect(ok.body.deviceId).toBe(a.deviceId);
      const st = await waitFor(async () => {
        const s = JSON.parse(readFileSync(join(a.dir, 'status.json'), 'utf8'));
        return s.keyReplaced ? s : null;
      }, 30_000);
      expect(st.lastError).toMatch(/replaced/);
    } finally {
      await agentA.stop();
    }
    const sa = await runAgentCli(['status', '--state-dir', a.dir]);
    expect(sa.code).toBe(9);
    expect(sa.stdout).toMatch(/KEY REPLACED/);
    const audit = await c.db.query<{ actor: string; detail: { reason: string } }>(`SELECT actor, detail FROM audit_log WHERE action = 'device.key_replaced' AND target = $1`, [a.deviceId]);
    expect(audit.rows[0].detail.reason).toBe('laptop reinstalled, ticket 42');
    // The approved install learns its device id and becomes a normal enrollment.
    const sb = await runAsNobody(['status', '--json', '--state-dir', bDir], home);
    expect(sb.stderr).toMatch(new RegExp(`approved.*${a.deviceId}`));
    expect(JSON.parse(readFileSync(join(bDir, 'agent.json'), 'utf8')).deviceId).toBe(a.deviceId);
  }, 90_000);

  it('a rejected request is reported as such and changes nothing', async () => {
    const home2 = tempDir('posture-nobody-');
    chownSync(home2, NOBODY.uid, NOBODY.gid);
    try {
      const r = await runAsNobody(['enroll', '--server', c.url, '--secret', ENROLL_SECRET, '--state-dir', join(home2, 's')], home2);
      expect(r.code).toBe(8);
      const id = (await c.api('/api/v1/enrollments/pending')).body.items[0].id;
      const keys = (await c.db.query('SELECT kid, retired_at FROM device_keys WHERE device_id = $1 ORDER BY kid', [a.deviceId])).rows;
      expect((await c.api(`/api/v1/enrollments/${id}/reject`, { method: 'POST', body: JSON.stringify({ reason: 'not ours' }) })).status).toBe(200);
      expect((await c.db.query('SELECT kid, retired_at FROM device_keys WHERE device_id = $1 ORDER BY kid', [a.deviceId])).rows).toEqual(keys);
      const st = await runAsNobody(['status', '--state-dir', join(home2, 's')], home2);
      expect(st.code).toBe(1);
      expect(st.stdout).toMatch(/REJECTED.*not ours/);
    } finally {
      rmSync(home2, { recursive: true, force: true });
    }
  }, 60_000);
});
