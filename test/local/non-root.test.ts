/**
 * Issue 18 #1 and #2, as the employee sees it: the agent runs as root with its state
 * directory 0700; a real second local user (posture-test-user, created here if missing)
 * runs `status --json`, `status` and `open --print` through the local channel and gets
 * this device's status and a working My-device link (exchanged against the real collector,
 * and opened in Chromium). Without the agent, the same user gets a permission message and
 * exit 10, never "not enrolled". With the collector stopped, `status` keeps IT's exclusion,
 * the deadline and says since when the collector is unreachable, in plain words.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium } from 'playwright-core';
import { ENROLL_SECRET, ROOT, startTestCollector, type TestCollector } from '../helpers/collector.js';
import { runAgentCli, startAgentProcess, waitFor } from '../helpers/agent.js';
import { PG_URL, tempDir } from '../helpers/db.js';
import { DEFAULT_POLICY } from '../../shared/src/policy/default-policy.js';
import { CHECK_IDS } from '../../shared/src/checks/ids.js';
import { buildStatusView, renderStatus, STATUS_EXIT } from '../../agent/src/cli/status.js';
import { localChannelPath } from '../../agent/src/state/paths.js';
import { readKeptVerdicts } from '../../agent/src/state/verdicts.js';
import { readStatus } from '../../agent/src/runtime/status-file.js';

const USER = 'posture-test-user';
const ENTRY = join(ROOT, 'agent', 'src', 'cli', 'main.ts');
const ARTIFACTS = join(ROOT, 'test-artifacts');
const isRoot = process.getuid?.() === 0;

/** Run the agent CLI as another local user (real uid switch with runuser). */
function runAs(user: string, args: string[], timeoutMs = 90_000): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn('/usr/sbin/runuser', ['-u', user, '--', process.execPath, '--import', 'tsx', ENTRY, ...args], { cwd: ROOT, env: { ...process.env, POSTURE_AGENT_DIR: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((r) => child.on('exit', (c) => (clearTimeout(timer), r({ code: c ?? -1, stdout, stderr }))));
}

/** Raw lines over the socket (what any local program could send). */
function rawLines(path: string, payload: string, expectLines: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    let buf = '';
    const t = setTimeout(() => (s.destroy(), resolve(buf.split('\n').filter(Boolean))), 20_000);
    s.on('connect', () => s.write(payload));
    s.on('data', (d) => {
      buf += d;
      if (buf.split('\n').filter(Boolean).length >= expectLines) (clearTimeout(t), s.destroy(), resolve(buf.split('\n').filter(Boolean)));
    });
    s.on('close', () => (clearTimeout(t), resolve(buf.split('\n').filter(Boolean))));
    s.on('error', reject);
  });
}

describe.skipIf(!isRoot)('the employee without root: local channel and offline status', () => {
  let c: TestCollector | null = null;
  let agent: ReturnType<typeof startAgentProcess> | null = null;
  let createdUser = false;
  let uid = -1;
  let deviceId = '';
  let hostname = '';
  const stateDir = tempDir('posture-agent-');
  const root = tempDir('posture-root-');
  const sock = localChannelPath(stateDir);
  const env = { POSTURE_ROOT: root, POSTURE_AGENT_DIR: stateDir };
  const cli = ['--state-dir', stateDir];

  beforeAll(async () => {
    if (spawnSync('id', ['-u', USER]).status !== 0) {
      const r = spawnSync('useradd', ['-M', '-s', '/usr/sbin/nologin', USER], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      createdUser = true;
    }
    uid = Number(spawnSync('id', ['-u', USER], { encoding: 'utf8' }).stdout.trim());
    // usb_storage fails under the empty POSTURE_ROOT (48 h grace); the firewall is required, and IT excludes it below.
    const policy = structuredClone(DEFAULT_POLICY);
    for (const id of CHECK_IDS) policy.checks[id].required = id === 'usb_storage' || id === 'firewall';
    policy.checks.usb_storage.graceHours = 48;
    const dir = tempDir('posture-policy-');
    writeFileSync(join(dir, 'policy.json'), JSON.stringify(policy));
    c = await startTestCollector(PG_URL ? 'pg' : 'pglite', { POSTURE_POLICY_FILE: join(dir, 'policy.json') });
    const e = await runAgentCli(['enroll', '--server', c.url, '--secret', ENROLL_SECRET], env);
    expect(e.code, e.stderr).toBe(0);
    agent = startAgentProcess(['run', '--interval', '3600'], env);
    await waitFor(async () => (await c!.db.query("SELECT 1 FROM check_states WHERE check_id = 'usb_storage'")).rows.length > 0, 90_000);
    const d = (await c.api('/api/v1/devices')).body.items[0];
    deviceId = d.id;
    hostname = d.hostname;
    const x = await c.api(`/api/v1/devices/${deviceId}/exclusions`, { method: 'POST', body: JSON.stringify({ checkId: 'firewall', rationale: 'Kiosk behind the shop firewall; approved by IT.', expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString() }) });
    expect(x.status, JSON.stringify(x.body)).toBe(201);
    await waitFor(async () => existsSync(sock), 30_000);
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 180_000);

  afterAll(async () => {
    await agent?.stop();
    await c?.cleanup();
    if (createdUser) spawnSync('userdel', [USER]);
  });

  it('the state is really closed to the user, the socket is not', async () => {
    expect(statSync(stateDir).mode & 0o777).toBe(0o700);
    expect(spawnSync('/usr/sbin/runuser', ['-u', USER, '--', 'cat', join(stateDir, 'agent.json')]).status).not.toBe(0);
    expect(statSync(sock).isSocket()).toBe(true);
    expect(statSync(sock).mode & 0o777).toBe(0o666);
  });

  it('status --json and status as the user: this device, IT’s exclusion, the deadline; uid logged', async () => {
    const r = await waitFor(async () => {
      const x = await runAs(USER, ['status', '--json', ...cli]);
      const j = x.stdout.trim().startsWith('{') ? JSON.parse(x.stdout) : null;
      return j?.checks?.find((k: { id: string }) => k.id === 'firewall')?.state === 'excluded' ? { ...x, j } : null;
    }, 60_000, 1000);
    expect(r.code, r.stderr).toBe(STATUS_EXIT.failing);
    expect(r.j).toMatchObject({ deviceId, state: 'failing', source: 'collector', collectorUnreachable: null });
    const usb = r.j.checks.find((k: { id: string }) => k.id === 'usb_storage');
    expect(usb.state).toBe('failing');
    expect((Date.parse(usb.deadline) - Date.now()) / 3_600_000).toBeGreaterThan(47);
    expect(r.stderr).not.toMatch(/not enrolled/i);
    expect(agent!.output()).toMatch(new RegExp(`local channel: status for uid ${uid} pid \\d+`));
    const text = await runAs(USER, ['status', ...cli]);
    expect(text.code).toBe(STATUS_EXIT.failing);
    expect(text.stdout).toContain('NEEDS FIXING');
    expect(text.stdout).toMatch(/- Firewall\s+excluded/);
    writeFileSync(join(ARTIFACTS, 'local-channel-status-as-user.txt'), `$ runuser -u ${USER} -- posture-agent status\n${text.stdout}`);
  }, 180_000);

  it('open --print as the user: a link the agent signed, which opens this device’s page (Chromium)', async () => {
    const r = await runAs(USER, ['open', '--print', ...cli]);
    expect(r.code, r.stderr).toBe(0);
    const link = r.stdout.trim();
    expect(link).toMatch(new RegExp(`^${c!.url}/my-device\\?t=[\\w-]+\\.[\\w-]+\\.[\\w-]+$`));
    expect(agent!.output()).toMatch(new RegExp(`local channel: open for uid ${uid}`));
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    try {
      const page = await browser.newPage();
      await page.goto(link);
      await page.waitForURL(`${c!.url}/my-device`);
      expect(await page.locator('h1').innerText()).toContain(hostname);
      await expect.poll(() => page.locator('[data-check="usb_storage"]').getAttribute('data-state')).toMatch(/^(failing|noncompliant)$/);
      await page.screenshot({ path: join(ARTIFACTS, 'local-channel-my-device-as-user.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  }, 120_000);

  it('a system account (nobody) gets no link; bad, oversized and too many requests are refused', async () => {
    const r = await runAs('nobody', ['open', '--print', ...cli]);
    expect(r.code).toBe(STATUS_EXIT.permission);
    expect(r.stderr).toContain('system account');
    expect(r.stdout).not.toMatch(/my-device\?t=/);
    expect(agent!.output()).toMatch(/local channel: refused open for uid 65534/);

    const bad = await rawLines(sock, '{"v":1,"type":"key"}\nnot json\n', 2);
    expect(bad.map((l) => JSON.parse(l).code)).toEqual(['bad_request', 'bad_request']);
    expect(JSON.parse(bad[0]!).error).toMatch(/type/);
    const big = await rawLines(sock, 'x'.repeat(10_000), 1);
    expect(JSON.parse(big[0]!)).toMatchObject({ ok: false, code: 'bad_request' });
    const many = await rawLines(sock, '{"v":1,"type":"status"}\n'.repeat(9), 9);
    expect(many.length).toBe(9);
    expect(JSON.parse(many[8]!).code).toBe('rate_limited');
    expect(JSON.parse(many[0]!).ok).toBe(true);
    // check-now: one run, then a cooldown (a local user cannot keep the probes busy).
    const checks = await rawLines(sock, '{"v":1,"type":"check-now"}\n{"v":1,"type":"check-now"}\n', 2);
    expect(checks.map((l) => JSON.parse(l).queued)).toEqual([true, false]);
    await waitFor(async () => /local channel: check-now for uid 0/.test(agent!.output()), 5000);
  }, 120_000);

  it('collector stopped: status keeps the exclusion and the deadline, says since when, no ECONNREFUSED', async () => {
    await c!.cleanup();
    c = null;
    const r = await runAs(USER, ['status', '--json', ...cli]);
    expect(r.code, r.stderr).toBe(STATUS_EXIT.failing);
    const j = JSON.parse(r.stdout);
    expect(j.source).toBe('local');
    expect(j.checks.find((k: { id: string }) => k.id === 'firewall')).toMatchObject({ state: 'excluded', remediation: { steps: [] } });
    const usb = j.checks.find((k: { id: string }) => k.id === 'usb_storage');
    expect(usb.state).toBe('failing');
    expect((Date.parse(usb.deadline) - Date.now()) / 3_600_000).toBeGreaterThan(47);
    expect(Date.now() - Date.parse(j.collectorUnreachable.since)).toBeLessThan(10 * 60_000);
    expect(j.collectorUnreachable.problem).toMatch(/cannot reach the collector at .*connection refused/);
    const text = await runAs(USER, ['status', ...cli]);
    expect(text.stdout).toMatch(/Collector unreachable since .* \((just now|\d+ min ago)\): cannot reach the collector/);
    expect(text.stdout).toMatch(/last known exclusions and deadlines \(from (just now|\d+ min ago)\)/);
    expect(text.stdout).toMatch(/- Firewall\s+excluded/);
    expect(text.stdout).toMatch(/✗ USB storage control\s+failing — fix by .* \(in (47|48) h\)/);
    expect(text.stdout + text.stderr).not.toMatch(/ECONNREFUSED|ECONN|errno/i);
    expect(text.stdout).not.toMatch(/Firewall[\s\S]*How to fix[\s\S]*ufw/);
    writeFileSync(join(ARTIFACTS, 'local-channel-status-offline.txt'), `$ runuser -u ${USER} -- posture-agent status   # collector stopped\n${text.stdout}`);

    // Past the deadline, still offline: OVERDUE, the exclusion still holds.
    const kept = readKeptVerdicts(stateDir, deviceId);
    expect(kept).not.toBeNull();
    const later = new Date(Date.parse(usb.deadline) + 3_600_000);
    const v = buildStatusView({ deviceId, server: 'x' }, readStatus(stateDir), null, later, { kept, problem: 'cannot reach the collector at x (connection refused)' });
    expect(v).toMatchObject({ state: 'noncompliant', exitCode: STATUS_EXIT.noncompliant });
    expect(v.checks.find((k) => k.id === 'firewall')?.state).toBe('excluded');
    expect(renderStatus(v, later)).toContain('OVERDUE');
  }, 120_000);

  it('agent stopped: the user gets a permission message and exit 10, never "not enrolled"; root still sees the offline view', async () => {
    await agent!.stop();
    agent = null;
    expect(existsSync(sock)).toBe(false);
    for (const args of [['status'], ['status', '--json'], ['open', '--print']]) {
      const r = await runAs(USER, [...args, ...cli]);
      expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(STATUS_EXIT.permission);
      expect(r.stderr).toMatch(/permission denied/);
      expect(r.stderr).toMatch(/sudo posture-agent (status|open)/);
      expect(r.stderr).toMatch(/Start the agent service/);
      expect(r.stdout + r.stderr).not.toMatch(/not enrolled/i);
      if (args.includes('--json')) expect(JSON.parse(r.stdout)).toMatchObject({ state: 'permission_denied', exitCode: 10 });
    }
    // A crashed agent (kill -9) leaves its socket behind: nobody listens, same permission answer.
    spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(sock)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    expect(statSync(sock).isSocket()).toBe(true);
    const stale = await runAs(USER, ['status', ...cli]);
    expect(stale.code, stale.stderr).toBe(STATUS_EXIT.permission);
    expect(stale.stderr).toMatch(/permission denied/);
    rmSync(sock);
    // Root reads the state directly: same kept verdicts, the agent marked as not running.
    const r = await runAgentCli(['status', ...cli], env);
    expect(r.code, r.stderr).toBe(STATUS_EXIT.failing);
    expect(r.stdout).toContain('agent not running');
    expect(r.stdout).toMatch(/- Firewall\s+excluded/);
    expect(r.stdout).toMatch(/Collector unreachable since/);
    expect(r.stdout).not.toMatch(/ECONNREFUSED/);
    expect(readFileSync(join(stateDir, 'last-verdicts.json'), 'utf8')).toContain('"excluded"');
  }, 120_000);
});
