/**
 * A custom check end to end: a YAML policy carrying it is PUT to a real collector, pushed to
 * a real agent process, run there against real state (a file the test writes), and the
 * device's state follows — through the API, on the dashboard in real Chromium (device page,
 * "failing check" filter, fleet compliance by check) and in the signed evidence bundle
 * (devices.csv columns, controls.csv row), which still verifies.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { stringify } from 'yaml';
import { ADMIN_TOKEN, ENROLL_SECRET, startTestCollector, type TestCollector } from '../helpers/collector.js';
import { runAgentCli, startAgentProcess, waitFor } from '../helpers/agent.js';
import { tempDir } from '../helpers/db.js';
import { launchBrowser, shot } from '../dashboard/browser.js';
import { DEFAULT_POLICY } from '../../shared/src/policy/default-policy.js';
import { unpackTarGz } from '../../scripts/evidence/unpack.js';
import { verifyBundleDir } from '../../scripts/evidence/verify-bundle.js';

const ID = 'custom.vpn-always-on';

describe('custom check: collector → agent → dashboard → evidence (pglite)', () => {
  let c: TestCollector;
  let agent: ReturnType<typeof startAgentProcess> | null = null;
  let browser: Browser | null = null;
  let deviceId = '';
  const work = mkdtempSync(join(tmpdir(), 'posture-e2e16-'));
  const conf = join(work, 'vpn.conf');
  const started = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);

  const check = async () => (await c.api(`/api/v1/devices/${deviceId}`)).body.checks?.find((x: { id: string }) => x.id === ID);

  beforeAll(async () => {
    c = await startTestCollector('pglite');
    await c.api('/api/v1/users', { method: 'POST', body: JSON.stringify({ username: 'ada', password: 'ada-long-password-1', role: 'admin' }) });
    const stateDir = tempDir('posture-agent-');
    const en = await runAgentCli(['enroll', '--server', c.url, '--secret', ENROLL_SECRET, '--state-dir', stateDir]);
    expect(en.code).toBe(0);
    deviceId = /device (dev_\S+)/.exec(en.stdout)![1];
    agent = startAgentProcess(['run', '--state-dir', stateDir, '--interval', '3600']);
    await waitFor(async () => (await c.api(`/api/v1/devices/${deviceId}`)).body.checks?.length === 6, 120_000);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await agent?.stop();
    await c?.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it('a YAML policy with a custom check is accepted by PUT /api/v1/policy; a hostile one is refused with lines', async () => {
    const bad = `${stringify(DEFAULT_POLICY)}customChecks:\n  - id: ${ID}\n    title: X\n    probes:\n      linux: { kind: file-content, path: /etc/../etc/shadow, match: '(a+)+\\1' }\n`;
    const refused = await c.api('/api/v1/policy', { method: 'PUT', body: bad, headers: { 'content-type': 'text/yaml' } });
    expect(refused.status).toBe(400);
    expect(refused.body.error.errors.join('\n')).toMatch(/policy:\d+: \/customChecks\/0\/probes\/linux\/path path may not contain '\.\.'/);
    const yaml = `${stringify({ ...DEFAULT_POLICY, checks: { ...DEFAULT_POLICY.checks } })}customChecks:
  - id: ${ID}
    title: VPN is always on
    graceHours: 0
    controls: { soc2: [CC6.6], cis: ['12.7'] }
    remediation: { steps: ['Set always_on = true in ${conf}.'] }
    probes:
      linux: { kind: file-content, path: ${conf}, match: '^always_on\\s*=\\s*true$' }
`;
    const put = await c.api('/api/v1/policy', { method: 'PUT', body: yaml, headers: { 'content-type': 'text/yaml' } });
    expect(put.status).toBe(200);
    expect(put.body.policy.customChecks[0].id).toBe(ID);
  });

  it('the agent receives it, runs it, and the device becomes noncompliant on that check', async () => {
    // The policy push reaches the connected agent; a re-check runs the new check now.
    await waitFor(async () => (await c.api(`/api/v1/devices/${deviceId}/check-now`, { method: 'POST', body: JSON.stringify({ checks: [ID] }) })).status === 202, 10_000);
    const row = await waitFor(async () => {
      const x = await check();
      return x?.state === 'noncompliant' ? x : null;
    }, 45_000);
    expect(row.summary).toMatch(/VPN is always on/);
    expect((await c.api(`/api/v1/devices?failingCheck=${ID}`)).body.items.map((d: { id: string }) => d.id)).toContain(deviceId);
  }, 60_000);

  it('flipping the real file flips the verdict to pass', async () => {
    writeFileSync(conf, 'always_on = true\n');
    await c.api(`/api/v1/devices/${deviceId}/check-now`, { method: 'POST', body: JSON.stringify({ checks: [ID] }) });
    const row = await waitFor(async () => {
      const x = await check();
      return x?.state === 'pass' ? x : null;
    }, 45_000);
    expect(row.evidence.facts).toMatchObject({ kind: 'file-content', observed: { matched: true } });
    writeFileSync(conf, 'always_on = false\n');
    await c.api(`/api/v1/devices/${deviceId}/check-now`, { method: 'POST', body: JSON.stringify({ checks: [ID] }) });
    await waitFor(async () => ((await check())?.state === 'noncompliant' ? true : null), 45_000);
  }, 100_000);

  it('an exclusion can target the custom check; an undeclared-shape id is refused', async () => {
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const bad = await c.api(`/api/v1/devices/${deviceId}/exclusions`, { method: 'POST', body: JSON.stringify({ checkId: 'custom.../etc', rationale: 'not a valid check id at all', expiresAt }) });
    expect(bad.status).toBe(400);
    const undeclared = await c.api(`/api/v1/devices/${deviceId}/exclusions`, { method: 'POST', body: JSON.stringify({ checkId: 'custom.not-in-policy', rationale: 'a check the policy does not have', expiresAt }) });
    expect(undeclared.status).toBe(400);
    expect(undeclared.body.error.message).toMatch(/declares no check custom\.not-in-policy/);
    const ex = await c.api(`/api/v1/devices/${deviceId}/exclusions`, { method: 'POST', body: JSON.stringify({ checkId: ID, rationale: 'VPN migration, approved by the CISO', expiresAt }) });
    expect(ex.status).toBe(201);
    await waitFor(async () => ((await check())?.state === 'excluded' ? true : null), 20_000);
    expect((await c.api(`/api/v1/devices/${deviceId}/exclusions/${ex.body.id}`, { method: 'DELETE' })).status).toBeLessThan(300);
    await waitFor(async () => ((await check())?.state === 'noncompliant' ? true : null), 20_000);
  }, 60_000);

  it('shows on the dashboard in Chromium: device page, filter and fleet compliance by check', async () => {
    browser = await launchBrowser();
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${c.url}/`);
    await page.waitForURL(/\/login/);
    await page.fill('input[name=username]', 'ada');
    await page.fill('input[name=password]', 'ada-long-password-1');
    await page.click('button[type=submit]');
    await page.waitForURL(`${c.url}/`);
    expect(await page.textContent('#by-check')).toContain('VPN is always on');
    await page.goto(`${c.url}/devices/${deviceId}`);
    const box = page.locator(`[data-check="${ID}"]`);
    expect(await box.textContent()).toMatch(/VPN is always on[\s\S]*noncompliant/);
    await page.screenshot({ path: shot('custom-check-device') });
    await page.goto(`${c.url}/devices`);
    await page.selectOption('select[name=check]', ID);
    await page.click('#device-filters button');
    await page.waitForURL(/check=custom\.vpn-always-on/);
    expect(await page.textContent('#result-count')).toMatch(/^1 device/);
    await ctx.close();
  }, 60_000);

  it('appears in the evidence bundle: devices.csv columns and controls.csv row; the bundle verifies', async () => {
    const dir = join(work, 'bundle');
    mkdirSync(dir);
    const to = new Date(Math.ceil(Date.now() / 1000) * 1000 + 1000);
    await new Promise((r) => setTimeout(r, 1100));
    const res = await fetch(`${c.url}/api/v1/evidence?from=${started.toISOString()}&to=${to.toISOString()}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    await unpackTarGz(Readable.fromWeb(res.body as never), dir);
    const devices = readFileSync(join(dir, 'devices.csv'), 'utf8').split('\n');
    expect(devices[0]).toContain(`${ID}_state_at_period_end,${ID}_pct_compliant`);
    const controls = readFileSync(join(dir, 'controls.csv'), 'utf8');
    expect(controls).toMatch(new RegExp(`^${ID.replace('.', '\\.')},VPN is always on,CC6\\.6,12\\.7,`, 'm'));
    expect(readFileSync(join(dir, 'events.csv'), 'utf8')).toContain(ID);
    const v = await verifyBundleDir(dir);
    expect(v.problems).toEqual([]);
    expect(v.ok).toBe(true);
  }, 60_000);
});
