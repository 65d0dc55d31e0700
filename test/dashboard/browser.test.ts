/**
 * The dashboard in a real browser (Debian chromium via playwright-core): sign-in, fleet view,
 * filtering, a device that got there through a real agent process, re-check and exclude
 * actions, a refused role, a policy edit with line-numbered errors, and hostile agent strings
 * rendered inert under the CSP. Screenshots go to test-artifacts/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ENROLL_SECRET, startTestCollector, type TestCollector } from '../helpers/collector.js';
import { runAgentCli, startAgentProcess, waitFor } from '../helpers/agent.js';
import { tempDir } from '../helpers/db.js';
import { sampleChecks } from '../helpers/device.js';
import { launchBrowser, shot } from './browser.js';
import { reportingDevice, withGrace, type ReportingDevice } from './fleet.js';
import { DEFAULT_POLICY } from '../../shared/src/policy/default-policy.js';

const XSS_HOST = '<img src=x onerror=window.__xss=1>';

describe('dashboard in chromium (pglite)', () => {
  let c: TestCollector;
  let browser: Browser;
  let agent: ReturnType<typeof startAgentProcess> | null = null;
  let realId: string;
  const seeded: ReportingDevice[] = [];
  let failingId: string, xssId: string;

  beforeAll(async () => {
    c = await startTestCollector('pglite');
    // Grace 0: a failing check makes a device noncompliant at once.
    await c.api('/api/v1/policy', { method: 'PUT', body: JSON.stringify(withGrace(DEFAULT_POLICY, 0)) });
    for (const [username, role] of [['ada', 'admin'], ['hugo', 'helpdesk'], ['otto', 'auditor']])
      await c.api('/api/v1/users', { method: 'POST', body: JSON.stringify({ username, password: `${username}-long-password-1`, role }) });
    // A real agent process on this machine.
    const stateDir = tempDir('posture-agent-');
    const en = await runAgentCli(['enroll', '--server', c.url, '--secret', ENROLL_SECRET, '--state-dir', stateDir]);
    expect(en.code).toBe(0);
    realId = /device (dev_\S+)/.exec(en.stdout)![1];
    agent = startAgentProcess(['run', '--state-dir', stateDir, '--interval', '3600']);
    // Protocol-level devices for the lists: one failing its firewall, one hostile.
    const ok = await reportingDevice(c.url, 'ok-laptop-01');
    await ok.report();
    const failing = await reportingDevice(c.url, 'fw-off-laptop');
    await failing.report({ fail: ['firewall'] });
    const xss = await reportingDevice(c.url, XSS_HOST);
    await xss.report({
      hostname: XSS_HOST,
      checks: sampleChecks({ screen_lock: { status: 'fail', summary: '<script>window.__xss=2</script>', evidence: { note: '"><svg onload=window.__xss=3>' }, remediation: { steps: ['<b onmouseover=window.__xss=4>hover</b>'] } } }),
    });
    seeded.push(ok, failing, xss);
    failingId = failing.deviceId;
    xssId = xss.deviceId;
    await waitFor(async () => (await c.api(`/api/v1/devices/${realId}`)).body.checks?.length === 6, 60_000);
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    for (const d of seeded) d.close();
    await agent?.stop();
    await c?.cleanup();
  });

  async function signedIn(username: string): Promise<{ ctx: BrowserContext; page: Page }> {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${c.url}/`);
    await page.waitForURL(/\/login/);
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', `${username}-long-password-1`);
    await page.click('button[type=submit]');
    await page.waitForURL(`${c.url}/`);
    return { ctx, page };
  }

  it('refuses a wrong password, then signs in to the fleet view', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${c.url}/devices`);
    expect(page.url()).toContain('/login?next=%2Fdevices');
    await page.fill('input[name=username]', 'ada');
    await page.fill('input[name=password]', 'wrong-password');
    await page.click('button[type=submit]');
    expect(await page.textContent('#login-error')).toMatch(/Sign-in failed/);
    await page.fill('input[name=username]', 'ada');
    await page.fill('input[name=password]', 'ada-long-password-1');
    await page.click('button[type=submit]');
    await page.waitForURL(`${c.url}/devices`);
    await page.goto(`${c.url}/`);
    expect(await page.textContent('h1')).toBe('Fleet');
    expect(await page.textContent('#state-cards .card .n')).toBe('4');
    expect(await page.locator('#trend-pct').count()).toBe(1);
    expect(await page.textContent('#list-noncompliant')).toContain('fw-off-laptop');
    expect(await page.locator('#by-check tr').count()).toBeGreaterThan(6);
    await page.screenshot({ path: shot('dashboard-fleet'), fullPage: true });
    await ctx.close();
  }, 60_000);

  it('filters the device list by state and by search', async () => {
    const { ctx, page } = await signedIn('hugo');
    await page.goto(`${c.url}/devices`);
    expect(await page.textContent('#result-count')).toBe('4 device(s)');
    await page.selectOption('select[name=check]', 'firewall');
    await page.click('#device-filters button');
    await page.waitForURL(/check=firewall/);
    const hosts = await page.locator('#device-table td a[href^="/devices/"]').allTextContents();
    expect(hosts).toContain('fw-off-laptop');
    expect(hosts).not.toContain('ok-laptop-01');
    await page.goto(`${c.url}/devices`);
    await page.fill('input[name=q]', 'ok-lap');
    await page.click('#device-filters button');
    await page.waitForURL(/q=ok-lap/);
    expect(await page.locator('#device-table td a[href^="/devices/"]').allTextContents()).toEqual(['ok-laptop-01']);
    await page.screenshot({ path: shot('dashboard-devices-filtered'), fullPage: true });
    await ctx.close();
  }, 60_000);

  it("shows the real agent's device and re-checks it on request", async () => {
    const { ctx, page } = await signedIn('hugo');
    await page.goto(`${c.url}/devices/${realId}`);
    expect(await page.locator('.check').count()).toBe(6);
    expect(await page.textContent('#inventory')).toMatch(/GiB/);
    expect(await page.locator('#timeline tr').count()).toBeGreaterThan(1);
    const before = (await c.api(`/api/v1/devices/${realId}/reports`)).body.items.length;
    await page.click('button[data-action=check-now]');
    await page.waitForFunction(() => /Re-check sent; waiting for the result/.test(document.getElementById('action-status')?.textContent ?? ''));
    // The agent runs its checks and reports with the command's trigger.
    await waitFor(async () => (await c.api(`/api/v1/devices/${realId}/reports`)).body.items.length > before, 60_000);
    const latest = (await c.api(`/api/v1/devices/${realId}/reports`)).body.items[0];
    expect(latest.trigger).toMatch(/^check-now:cmd_/);
    await page.reload();
    expect(await page.textContent('#device-audit')).toContain('device.check_now');
    expect(await page.textContent('#device-audit')).toContain('user:hugo');
    await page.screenshot({ path: shot('dashboard-device-real-agent'), fullPage: true });
    await ctx.close();
  }, 90_000);

  it('helpdesk excludes a failing check with a rationale; the device turns compliant', async () => {
    const { ctx, page } = await signedIn('hugo');
    await page.goto(`${c.url}/devices/${failingId}`);
    expect(await page.textContent('h1')).toContain('noncompliant');
    await page.click('#exclude-details summary');
    await page.selectOption('#exclude-form select[name=checkId]', 'firewall');
    await page.fill('#exclude-form input[name=rationale]', 'short');
    const expiry = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    await page.fill('#exclude-form input[name=expiresAt]', expiry);
    // The browser's own minlength check stops a too-short rationale; the API checks it again.
    await page.click('#exclude-form button[type=submit]');
    expect(await page.locator('#exclusions').count()).toBe(0);
    await page.fill('#exclude-form input[name=rationale]', 'Kiosk on an isolated VLAN, vendor-managed');
    await Promise.all([page.waitForEvent('load'), page.click('#exclude-form button[type=submit]')]);
    expect(await page.textContent('#exclusions')).toContain('Kiosk on an isolated VLAN, vendor-managed');
    expect(await page.textContent('#exclusions')).toContain(`${expiry}T23:59:59Z`);
    expect(await page.textContent('h1')).toContain('compliant');
    expect(await page.textContent('[data-check=firewall]')).toContain('excluded');
    expect(await page.textContent('#device-audit')).toContain('exclusion.create');
    await page.screenshot({ path: shot('dashboard-device-excluded'), fullPage: true });
    await ctx.close();
  }, 60_000);

  it('an auditor sees no actions and is refused when trying to revoke anyway', async () => {
    const { ctx, page } = await signedIn('otto');
    await page.goto(`${c.url}/devices/${failingId}`);
    expect(await page.locator('button[data-action=revoke]').count()).toBe(0);
    expect(await page.locator('#exclude-form').count()).toBe(0);
    // The same request the button would send, with the session's CSRF token.
    const res = await page.evaluate(async (id) => {
      const csrf = document.querySelector('meta[name="csrf-token"]')!.getAttribute('content')!;
      const r = await fetch(`/api/v1/devices/${id}/revoke`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: '{}' });
      return { status: r.status, body: await r.json() };
    }, failingId);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('POSTURE_ERR_FORBIDDEN');
    expect((await c.api(`/api/v1/devices/${failingId}`)).body.revokedAt).toBeNull();
    // The auditor reads the audit log; helpdesk may not.
    await page.goto(`${c.url}/audit`);
    expect(await page.textContent('#audit-table')).toContain('exclusion.create');
    await page.screenshot({ path: shot('dashboard-audit-log'), fullPage: true });
    await ctx.close();
    const hd = await signedIn('hugo');
    const r = await hd.page.goto(`${c.url}/audit`);
    expect(r!.status()).toBe(403);
    expect(await hd.page.textContent('#error-message')).toMatch(/admin, auditor/);
    await hd.page.screenshot({ path: shot('dashboard-helpdesk-refused-audit') });
    await hd.ctx.close();
  }, 60_000);

  it('an admin edits the policy; invalid YAML shows line-numbered errors and is not saved', async () => {
    const { ctx, page } = await signedIn('ada');
    await page.goto(`${c.url}/policy`);
    const text = await page.inputValue('textarea[name=policy]');
    await page.fill('textarea[name=policy]', text.replace(/^intervalSec: \d+$/m, 'intervalSec: 5'));
    await page.click('#policy-form button[type=submit]');
    await page.waitForSelector('#policy-errors li');
    expect(await page.textContent('#policy-errors')).toMatch(/policy:\d+: \/intervalSec/);
    await page.screenshot({ path: shot('dashboard-policy-error'), fullPage: true });
    await page.fill('textarea[name=policy]', text.replace(/^intervalSec: \d+$/m, 'intervalSec: 1800'));
    await page.fill('input[name=comment]', 'every 30 minutes');
    await Promise.all([page.waitForEvent('load'), page.click('#policy-form button[type=submit]')]);
    expect(await page.textContent('#policy-history')).toContain('every 30 minutes');
    expect((await c.api('/api/v1/policy')).body.policy.intervalSec).toBe(1800);
    await ctx.close();
  }, 60_000);

  it('renders hostile hostnames and evidence as text; nothing executes', async () => {
    const { ctx, page } = await signedIn('ada');
    const violations: string[] = [];
    page.on('console', (m) => violations.push(m.text()));
    for (const path of ['/', '/devices', `/devices/${xssId}`]) {
      const res = await page.goto(`${c.url}${path}`);
      expect(res!.headers()['content-security-policy']).toContain("script-src 'self'");
      expect(await page.evaluate(() => (window as any).__xss)).toBeUndefined();
      expect(await page.locator('img[src=x], svg[onload], b[onmouseover], main script').count()).toBe(0);
    }
    expect(await page.textContent('#device-hostname')).toBe(XSS_HOST);
    await page.hover('[data-check=screen_lock] ol.fix li');
    await page.click('[data-check=screen_lock] summary');
    expect(await page.textContent('[data-check=screen_lock]')).toContain('<script>window.__xss=2</script>');
    expect(await page.textContent('[data-check=screen_lock] pre')).toContain('"><svg onload=window.__xss=3>');
    expect(await page.evaluate(() => (window as any).__xss)).toBeUndefined();
    await page.screenshot({ path: shot('dashboard-xss-inert'), fullPage: true });
    expect(violations.filter((v) => /Content Security Policy/.test(v))).toEqual([]);
    await ctx.close();
  }, 60_000);
});
