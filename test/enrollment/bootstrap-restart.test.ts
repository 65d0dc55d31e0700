/**
 * Issue 11 #2, #12 and the Low item "secrets printed at every start"; issue 18 #10/#11.
 * Real collector processes on one PGlite data dir, restarted: a revoked/expired env secret or
 * bootstrap token stays so (and the collector starts and says so), credentials are printed
 * only by the start that created them, after the listen line, and a start that fails on a busy
 * port creates nothing. Weak POSTURE_ADMIN_TOKEN values are refused.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { rmSync } from 'node:fs';
import { ADMIN_TOKEN, ENROLL_SECRET, spawnCollectorProcess } from '../helpers/collector.js';
import { tempDir } from '../helpers/db.js';
import { sampleInventory } from '../helpers/device.js';
import { generateDeviceKey } from '../../agent/src/identity/keys.js';
import { randomBytes } from 'node:crypto';

type Proc = ReturnType<typeof spawnCollectorProcess>;
const dirs: string[] = [];
const procs: Proc[] = [];
afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function start(env: Record<string, string>): Promise<{ p: Proc; url: string }> {
  const p = spawnCollectorProcess({ LOG_LEVEL: 'info', ...env });
  procs.push(p);
  const url = await p.ready;
  await new Promise((r) => setTimeout(r, 300)); // the banner lines follow the listen line
  return { p, url };
}
async function stop(p: Proc) {
  p.child.kill('SIGTERM');
  await new Promise((r) => p.child.once('exit', r));
}
const api = async (url: string, path: string, init: RequestInit & { token?: string } = {}) => {
  const res = await fetch(url + path, { ...init, headers: { 'content-type': 'application/json', ...(init.token ? { authorization: `Bearer ${init.token}` } : {}) } });
  return { status: res.status, body: await res.json().catch(() => null) };
};
const enroll = async (url: string, secret: string) => {
  const { key } = await generateDeviceKey();
  return api(url, '/agent/v1/enroll', { method: 'POST', body: JSON.stringify({ secret, publicJwk: key.publicJwk, fingerprint: randomBytes(32).toString('hex'), agentVersion: 't', inventory: sampleInventory() }) });
};

describe('credentials across restarts (PGlite, real processes)', () => {
  it('a revoked env secret and a revoked env admin token stay revoked, and the collector still starts', async () => {
    const dir = tempDir('posture-boot-');
    dirs.push(dir);
    const env = { POSTURE_DATA_DIR: dir, PORT: '0' };
    const first = await start(env);
    // Never echoed: the operator set them.
    expect(first.p.output()).not.toContain(ENROLL_SECRET);
    expect(first.p.output()).not.toContain(ADMIN_TOKEN);
    const other = await api(first.url, '/api/v1/tokens', { method: 'POST', token: ADMIN_TOKEN, body: JSON.stringify({ role: 'admin', label: 'ops', expiresInDays: 1 }) });
    expect(other.status).toBe(201);
    const ops = other.body.token as string;
    const secrets = await api(first.url, '/api/v1/enroll-secrets', { token: ops });
    const initial = secrets.body.items.find((s: { label: string }) => s.label === 'initial');
    expect((await api(first.url, `/api/v1/enroll-secrets/${initial.id}/revoke`, { method: 'POST', token: ops, body: '{}' })).status).toBe(200);
    const tokens = await api(first.url, '/api/v1/tokens', { token: ops });
    const boot = tokens.body.items.find((t: { label: string; revokedAt?: string; revoked_at?: string }) => t.label === 'bootstrap');
    expect((await api(first.url, `/api/v1/tokens/${boot.id}`, { method: 'DELETE', token: ops })).status).toBe(200);
    await stop(first.p);

    const second = await start(env);
    expect((await enroll(second.url, ENROLL_SECRET)).status).toBe(403);
    expect((await api(second.url, '/api/v1/devices', { token: ADMIN_TOKEN })).status).toBe(401);
    expect((await api(second.url, '/api/v1/devices', { token: ops })).status).toBe(200);
    expect(second.p.output()).toMatch(/POSTURE_ENROLL_SECRET names an enrollment secret that was revoked; it stays revoked/);
    expect(second.p.output()).toMatch(/POSTURE_ADMIN_TOKEN names a token that was revoked; it stays revoked/);
    await stop(second.p);
  }, 90_000);

  it('generated credentials are printed once, after the listen line; a start on a busy port creates none', async () => {
    const dir = tempDir('posture-boot-');
    dirs.push(dir);
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = String((busy.address() as { port: number }).port);
    const failed = spawnCollectorProcess({ POSTURE_DATA_DIR: dir, PORT: port, POSTURE_ADMIN_TOKEN: '', POSTURE_ENROLL_SECRET: '' });
    procs.push(failed);
    await expect(failed.ready).rejects.toThrow(/exited early/);
    expect(failed.output()).not.toMatch(/pst_adm_|pst_enr_/);
    busy.close();

    const env = { POSTURE_DATA_DIR: dir, PORT: '0', POSTURE_ADMIN_TOKEN: '', POSTURE_ENROLL_SECRET: '', LOG_LEVEL: 'info' };
    const first = await start(env);
    const out = first.p.output();
    const token = /Admin token: (pst_adm_\S+)/.exec(out)?.[1];
    expect(token, out).toBeTruthy();
    expect(out.indexOf('listening on')).toBeLessThan(out.indexOf('Admin token:'));
    expect(out).toMatch(/--secret pst_enr_/);
    // No per-request lines at info for successful requests.
    expect((await api(first.url, '/api/v1/devices', { token })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(first.p.output()).not.toMatch(/"url":"\/api\/v1\/devices"/);
    await stop(first.p);

    const second = await start(env);
    expect(second.p.output()).not.toMatch(/pst_adm_|pst_enr_/);
    expect(second.p.output()).toMatch(/\/settings/);
    expect((await api(second.url, '/api/v1/devices', { token })).status).toBe(200);
    await stop(second.p);
  }, 90_000);

  it('refuses a weak POSTURE_ADMIN_TOKEN with a configuration error', async () => {
    const p = spawnCollectorProcess({ POSTURE_DATA_DIR: tempDir('posture-boot-'), PORT: '0', POSTURE_ADMIN_TOKEN: 'changeme' });
    procs.push(p);
    const code = await new Promise<number>((r) => p.child.once('exit', (c) => r(c ?? -1)));
    expect(code).toBe(2);
    expect(p.output()).toMatch(/POSTURE_ADMIN_TOKEN must be at least 24 characters/);
  }, 30_000);
});
