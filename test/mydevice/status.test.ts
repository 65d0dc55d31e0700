/**
 * `posture-agent status` against a real collector and a real agent: the collector's verdict
 * (grace deadline, the policy's own fix steps and help link) and the documented exit codes;
 * `--what-is-collected` prints the same list the My-device page shows.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENROLL_SECRET, ROOT, startTestCollector, type TestCollector } from '../helpers/collector.js';
import { runAgentCli, startAgentProcess, waitFor } from '../helpers/agent.js';
import { PG_URL, tempDir } from '../helpers/db.js';
import { DEFAULT_POLICY } from '../../shared/src/policy/default-policy.js';
import { CHECK_ITEMS, INVENTORY_ITEMS } from '../../shared/src/transparency.js';
import { CHECK_IDS } from '../../shared/src/checks/ids.js';
import { buildStatusView, STATUS_EXIT } from '../../agent/src/cli/status.js';

const COMPANY_STEPS = ['Open Self Service and run "Block USB storage".', 'Restart when asked.'];
const HELP = 'https://intranet.example/help/usb';

describe('posture-agent status', () => {
  let c: TestCollector;
  let agent: ReturnType<typeof startAgentProcess> | null = null;
  const stateDir = tempDir('posture-agent-');
  const root = tempDir('posture-root-');
  const env = { POSTURE_ROOT: root, POSTURE_AGENT_DIR: stateDir };
  const status = async (...args: string[]) => {
    const r = await runAgentCli(['status', ...args], env);
    return { ...r, json: args.includes('--json') && r.stdout.trim().startsWith('{') ? JSON.parse(r.stdout) : null };
  };

  beforeAll(async () => {
    // Only usb_storage is required, with a 48 h grace and the company's own steps and help page.
    const policy = structuredClone(DEFAULT_POLICY);
    for (const id of CHECK_IDS) policy.checks[id].required = id === 'usb_storage';
    Object.assign(policy.checks.usb_storage, { graceHours: 48, remediationUrl: HELP, platforms: { linux: { remediation: { steps: COMPANY_STEPS } } } });
    const dataDir = tempDir('posture-policy-');
    writeFileSync(join(dataDir, 'policy.json'), JSON.stringify(policy));
    c = await startTestCollector(PG_URL ? 'pg' : 'pglite', { POSTURE_POLICY_FILE: join(dataDir, 'policy.json') });
  }, 60_000);
  afterAll(async () => {
    await agent?.stop();
    await c?.cleanup();
  });

  it('exit 3 before enrollment, 7 before the first check', async () => {
    expect((await status()).code).toBe(STATUS_EXIT.notEnrolled);
    const e = await runAgentCli(['enroll', '--server', c.url, '--secret', ENROLL_SECRET], env);
    expect(e.code, e.stderr).toBe(0);
    const s = await status('--json');
    expect(s.code).toBe(STATUS_EXIT.unknown);
    expect(s.json.state).toBe('unknown');
  });

  it('failing within grace: exit 5, the deadline and the policy’s fix steps and link', async () => {
    agent = startAgentProcess(['run', '--interval', '3600'], env);
    await waitFor(async () => (await c.db.query("SELECT 1 FROM check_states WHERE check_id = 'usb_storage'")).rows.length > 0, 60_000);
    const s = await status('--json');
    expect(s.code, s.stdout + s.stderr).toBe(STATUS_EXIT.failing);
    expect(s.json).toMatchObject({ state: 'failing', source: 'collector', exitCode: 5 });
    expect(typeof s.json.queuedReports).toBe('number'); // status.json lags the ack by up to 1 s
    const usb = s.json.checks.find((x: { id: string }) => x.id === 'usb_storage');
    expect(usb).toMatchObject({ state: 'failing', summary: 'USB mass storage is allowed', remediation: { steps: COMPANY_STEPS, url: HELP } });
    const hours = (Date.parse(usb.deadline) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(47.5);
    expect(hours).toBeLessThanOrEqual(48);
    expect(s.json.checks.find((x: { id: string }) => x.id === 'firewall').state).toBe('not_required');

    const text = await status();
    expect(text.code).toBe(5);
    expect(text.stdout).toContain('NEEDS FIXING');
    expect(text.stdout).toMatch(/✗ USB storage control\s+failing — fix by .* \(in (47|48) h\)/);
    expect(text.stdout).toContain('      1. Open Self Service and run "Block USB storage".');
    expect(text.stdout).toContain(`    Help: ${HELP}`);
    expect(text.stdout).toContain('Exit code 5 (failing).');
    mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
    writeFileSync(join(ROOT, 'test-artifacts', 'posture-agent-status.txt'), text.stdout);
  });

  it('after the fix and a re-check: exit 0', async () => {
    mkdirSync(join(root, 'etc', 'modprobe.d'), { recursive: true });
    writeFileSync(join(root, 'etc', 'modprobe.d', 'posture-test.conf'), 'install usb-storage /bin/false\n');
    const devices = await c.api('/api/v1/devices');
    const id = devices.body.items[0].id;
    expect((await c.api(`/api/v1/devices/${id}/check-now`, { method: 'POST', body: '{}' })).status).toBe(202);
    await waitFor(async () => (await c.db.query("SELECT 1 FROM check_states WHERE check_id = 'usb_storage' AND state = 'pass'")).rows.length > 0, 30_000);
    await waitFor(async () => (await status()).code === STATUS_EXIT.compliant, 10_000);
    expect((await status()).stdout).toContain('COMPLIANT');
  });

  it('--what-is-collected lists every inventory field and every check’s sources', async () => {
    const s = await status('--what-is-collected');
    expect(s.code).toBe(0);
    for (const i of INVENTORY_ITEMS) expect(s.stdout).toContain(i.field);
    for (const id of CHECK_IDS) for (const src of CHECK_ITEMS[id].sources.linux) expect(s.stdout).toContain(src);
    const j = await status('--what-is-collected', '--json');
    expect(j.json.checks.map((x: { id: string }) => x.id)).toEqual([...CHECK_IDS]);
  });

  it('revoked: exit 4', async () => {
    const id = (await c.api('/api/v1/devices')).body.items[0].id;
    expect((await c.api(`/api/v1/devices/${id}/revoke`, { method: 'POST', body: '{}' })).status).toBe(200);
    await waitFor(async () => (await status()).code === STATUS_EXIT.revoked, 20_000);
    expect((await status()).stdout).toContain('REVOKED');
  });
});

describe('status view without the collector', () => {
  const cfg = { deviceId: 'dev1', server: 'https://c.example' };
  const local = (status: string) => ({
    deviceId: 'dev1', server: cfg.server, connection: 'offline', revoked: false, lastCycleAt: new Date().toISOString(), lastAckAt: null, lastError: null,
    spool: { pending: 3, evicted: 0, quarantined: 0, bytes: 0, nextSeq: 4 },
    checks: [{ id: 'firewall', status, summary: 'Inbound traffic is not filtered', remediation: ['`sudo ufw enable`'] }],
  });
  it('falls back to local results, keeps the last known deadline, and says so', () => {
    const past = new Date(Date.now() - 3_600_000).toISOString();
    const col = { device: { id: 'dev1', state: 'failing', nextDeadline: past, lastReportAt: new Date(Date.now() - 7_200_000).toISOString() }, serverTime: '', checks: [{ id: 'firewall', title: 'Firewall', state: 'failing', summary: '', deadline: past, collectedAt: null, remediation: { steps: [], url: null } }] };
    const v = buildStatusView(cfg, local('fail'), col);
    expect(v).toMatchObject({ source: 'local', state: 'noncompliant', exitCode: STATUS_EXIT.noncompliant, queuedReports: 3 });
    expect(v.checks[0]).toMatchObject({ state: 'noncompliant', deadline: past, remediation: { steps: ['`sudo ufw enable`'], url: null } });
    expect(buildStatusView(cfg, local('fail'), null)).toMatchObject({ state: 'failing', exitCode: 5 });
    expect(buildStatusView(cfg, local('unknown'), null)).toMatchObject({ state: 'unknown', exitCode: 7 });
    expect(buildStatusView(cfg, local('pass'), null)).toMatchObject({ state: 'compliant', exitCode: 0 });
  });
});
