/**
 * Issue 2 acceptance: a real collector, a real agent process enrolling and reporting over a
 * real WebSocket, on PGlite and (when DATABASE_URL is set) on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { backends, tempDir } from '../helpers/db.js';
import { ENROLL_SECRET, startTestCollector, type TestCollector } from '../helpers/collector.js';
import { runAgentCli, startAgentProcess, waitFor } from '../helpers/agent.js';
import { loadDeviceKey } from '../../agent/src/identity/keys.js';
import { connectDevice, nextMessage } from '../helpers/device.js';
import { CHECK_IDS } from '../../shared/src/checks/ids.js';

describe.each(backends())('foundation path on %s', (backend) => {
  let c: TestCollector;
  const stateDir = tempDir('posture-agent-');
  let agent: ReturnType<typeof startAgentProcess> | null = null;
  let deviceId = '';

  beforeAll(async () => {
    c = await startTestCollector(backend);
  });
  afterAll(async () => {
    await agent?.stop();
    await c?.cleanup();
  });

  it('refuses enrollment with a wrong secret, with a clear error and a non-zero exit', async () => {
    const r = await runAgentCli(['enroll', '--server', c.url, '--secret', 'pst_enr_not-the-right-secret', '--state-dir', tempDir()]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/enrollment refused: Enrollment secret is not valid/);
  });

  it('refuses enrollment with a revoked secret', async () => {
    const created = await c.api('/api/v1/enroll-secrets', { method: 'POST', body: JSON.stringify({ label: 'to revoke' }) });
    expect(created.status).toBe(201);
    expect((await c.api(`/api/v1/enroll-secrets/${created.body.id}/revoke`, { method: 'POST', body: '{}' })).status).toBe(200);
    const r = await runAgentCli(['enroll', '--server', c.url, '--secret', created.body.secret, '--state-dir', tempDir()]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/revoked/);
    // Listing never shows the secret again.
    const list = await c.api('/api/v1/enroll-secrets');
    expect(JSON.stringify(list.body)).not.toContain(created.body.secret);
  });

  it('enrolls a real agent process: key stored 0600, device id returned', async () => {
    const r = await runAgentCli(['enroll', '--server', c.url, '--secret', ENROLL_SECRET, '--state-dir', stateDir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    deviceId = /device (dev_\S+)/.exec(r.stdout)![1];
    expect(statSync(join(stateDir, 'device-key.jwk')).mode & 0o777).toBe(0o600);
    const cfg = JSON.parse(readFileSync(join(stateDir, 'agent.json'), 'utf8'));
    expect(cfg.deviceId).toBe(deviceId);
    // The raw machine id never leaves the machine: the collector only has a salted hash.
    const machineId = readFileSync('/etc/machine-id', 'utf8').trim();
    const row = await c.db.query<{ fingerprint: string }>('SELECT fingerprint FROM devices WHERE id = $1', [deviceId]);
    expect(row.rows[0].fingerprint).toMatch(/^[a-f0-9]{64}$/);
    expect(row.rows[0].fingerprint).not.toContain(machineId);
  });

  it('the running agent reports inventory and the six checks, visible through the API', async () => {
    agent = startAgentProcess(['run', '--state-dir', stateDir, '--interval', '3600']);
    const dev = await waitFor(async () => {
      const r = await c.api(`/api/v1/devices/${deviceId}`);
      return r.status === 200 && r.body.checks.length === 6 ? r.body : null;
    }, 45_000);
    expect(dev.hostname).toBeTruthy();
    expect(dev.platform).toBe('linux');
    expect(dev.inventory.cpu.cores).toBeGreaterThan(0);
    expect(dev.inventory.memoryBytes).toBeGreaterThan(0);
    expect(dev.inventory.network.length).toBeGreaterThan(0);
    expect(dev.checks.map((x: { id: string }) => x.id).sort()).toEqual([...CHECK_IDS].sort());
    for (const chk of dev.checks) {
      expect(['pass', 'fail', 'unknown']).toContain(chk.status);
      expect(typeof chk.summary).toBe('string');
    }
    expect(['compliant', 'failing', 'noncompliant', 'unknown']).toContain(dev.state);
    const list = await c.api('/api/v1/devices?limit=10');
    expect(list.body.total).toBe(1);
    expect(list.body.items[0].id).toBe(deviceId);
    expect(list.body.items[0].state).toBe(dev.state);
  }, 60_000);

  it('stores a second delivery of the same report id once, and acks it as a duplicate', async () => {
    const reports = await c.api(`/api/v1/devices/${deviceId}/reports?verbatim=true`);
    expect(reports.body.items.length).toBeGreaterThanOrEqual(1);
    const first = reports.body.items[0];
    const key = await loadDeviceKey(stateDir);
    const cfg = JSON.parse(readFileSync(join(stateDir, 'agent.json'), 'utf8'));
    const sock = await connectDevice({ deviceId, audience: cfg.audience, key, fingerprint: '', server: c.url, seq: 0 });
    sock.ws.send(JSON.stringify({ type: 'report', id: first.reportId, jws: first.jws }));
    const ack = await nextMessage(sock.messages, (m) => m.type === 'ack' && m.id === first.reportId);
    expect(ack.duplicate).toBe(true);
    sock.ws.close();
    const n = await c.db.query<{ n: string }>('SELECT count(*) AS n FROM reports WHERE report_id = $1', [first.reportId]);
    expect(Number(n.rows[0].n)).toBe(1);
  });

  it('re-enrolling the same machine keeps one asset: its own install re-keys it, another install only waits for approval', async () => {
    await agent?.stop();
    agent = null;
    // Another install (other state dir, no proof of the current key): a pending request, nothing changed.
    const other = tempDir('posture-agent-');
    const p = await runAgentCli(['enroll', '--server', c.url, '--secret', ENROLL_SECRET, '--state-dir', other]);
    expect(p.code).toBe(8);
    expect(p.stdout).not.toContain(deviceId);
    expect((await c.db.query('SELECT 1 FROM device_keys WHERE device_id = $1', [deviceId])).rows.length).toBe(1);
    // The install holding the current key re-enrolls at once (proof signed by that key).
    const r = await runAgentCli(['enroll', '--server', c.url, '--secret', ENROLL_SECRET, '--state-dir', stateDir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(deviceId);
    const list = await c.api('/api/v1/devices');
    expect(list.body.total).toBe(1);
    // The old key is retired: it can no longer open a socket.
    const keys = await c.db.query<{ retired_at: Date | null }>('SELECT retired_at FROM device_keys WHERE device_id = $1 ORDER BY created_at', [deviceId]);
    expect(keys.rows.length).toBe(2);
    expect(keys.rows[0].retired_at).not.toBeNull();
  });

  it('serves /healthz and requires a bearer token on the API', async () => {
    const h = await c.api('/healthz', { token: null });
    expect(h.status).toBe(200);
    expect(h.body.status).toBe('ok');
    expect((await c.api('/api/v1/devices', { token: null })).status).toBe(401);
    expect((await c.api('/api/v1/devices', { token: 'pst_adm_wrong-token-000000000000' })).status).toBe(401);
  });
});
