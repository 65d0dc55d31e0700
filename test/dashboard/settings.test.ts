/**
 * The admin Settings page in a real browser (Debian chromium via playwright-core): an
 * enrollment secret created in the UI is shown once, enrolls a real agent process, and stops
 * working once revoked in the UI; an auditor API token created in the UI reads but cannot act;
 * a helpdesk user created in the UI sees no Settings and is refused the page. Screenshots go
 * to test-artifacts/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestCollector, type TestCollector } from '../helpers/collector.js';
import { runAgentCli } from '../helpers/agent.js';
import { tempDir } from '../helpers/db.js';
import { launchBrowser, shot } from './browser.js';

const ADMIN_PASSWORD = 'ada-long-password-1';

describe('settings page in chromium (pglite)', () => {
  let c: TestCollector;
  let browser: Browser;
  let deviceId: string;
  /** CSP violations and script errors seen by any page: the page must run with neither. */
  const problems: string[] = [];

  beforeAll(async () => {
    c = await startTestCollector('pglite');
    const r = await c.api('/api/v1/users', { method: 'POST', body: JSON.stringify({ username: 'ada', password: ADMIN_PASSWORD, role: 'admin' }) });
    expect(r.status).toBe(201);
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await c?.cleanup();
  });

  async function signIn(username: string, password: string): Promise<{ ctx: BrowserContext; page: Page }> {
    const ctx = await browser.newContext();
    await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: c.url });
    const page = await ctx.newPage();
    page.on('dialog', (d) => void d.accept());
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text()); });
    await page.goto(`${c.url}/`);
    await page.waitForURL(/\/login/);
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', password);
    await page.click('button[type=submit]');
    await page.waitForURL(`${c.url}/`);
    return { ctx, page };
  }

  it('creates an enrollment secret shown once; a real agent enrolls with it until it is revoked in the UI', async () => {
    const { ctx, page } = await signIn('ada', ADMIN_PASSWORD);
    await page.click('header nav a[href="/settings"]');
    await page.waitForURL(`${c.url}/settings`);
    expect(await page.textContent('h1')).toBe('Settings');
    expect(await page.isVisible('#secret-result')).toBe(false);

    await page.fill('#secret-form input[name=label]', 'Laptops <Q3>');
    await page.click('#secret-form button[type=submit]');
    await page.waitForSelector('#secret-result', { state: 'visible' });
    const secret = (await page.textContent('#secret-result-value'))!;
    expect(secret).toMatch(/^pst_enr_[A-Za-z0-9_-]{20,}$/);
    expect(await page.textContent('#secret-result-command')).toBe(`posture-agent enroll --server ${c.url} --secret ${secret}`);
    // The list was refreshed in place: the new row, by prefix, label escaped and intact.
    const row = page.locator('#secrets-table tr', { hasText: 'Laptops <Q3>' });
    expect(await row.locator('code').textContent()).toBe(`${secret.slice(0, 12)}…`);
    await page.click('#secret-result button[data-copy=secret-result-command]');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`posture-agent enroll --server ${c.url} --secret ${secret}`);
    await page.screenshot({ path: shot('settings-secret-created'), fullPage: true });

    // Shown once: after a reload the page carries the prefix only.
    await page.reload();
    const after = await page.content();
    expect(after).not.toContain(secret);
    expect(after).toContain(`${secret.slice(0, 12)}…`);
    expect(await page.isVisible('#secret-result')).toBe(false);

    const first = await runAgentCli(['enroll', '--server', c.url, '--secret', secret, '--state-dir', tempDir('posture-agent-')]);
    expect(first.code, first.stderr).toBe(0);
    deviceId = /device (dev_\S+)/.exec(first.stdout)![1];
    await page.reload();
    expect(await page.locator('#secrets-table tr', { hasText: 'Laptops <Q3>' }).locator('td.num').textContent()).toBe('1');

    await Promise.all([page.waitForEvent('load'), page.locator('#secrets-table tr', { hasText: 'Laptops <Q3>' }).locator('button', { hasText: 'Revoke' }).click()]);
    const revokedRow = page.locator('#secrets-table tr', { hasText: 'Laptops <Q3>' });
    expect(await revokedRow.textContent()).toContain('revoked');
    expect(await revokedRow.locator('button').count()).toBe(0);
    await page.screenshot({ path: shot('settings-secret-revoked'), fullPage: true });

    const second = await runAgentCli(['enroll', '--server', c.url, '--secret', secret, '--state-dir', tempDir('posture-agent-')]);
    expect(second.code).not.toBe(0);
    expect(second.stdout + second.stderr).toMatch(/revoked/i);
    const audit = await c.api('/api/v1/audit?action=enroll_secret.revoke');
    expect(JSON.stringify(audit.body)).toContain('user:ada');

    // "Expire now" on a second secret: the API reports it expired.
    await page.fill('#secret-form input[name=label]', 'to-expire');
    await page.click('#secret-form button[type=submit]');
    await page.waitForSelector('#secret-result', { state: 'visible' });
    await page.reload();
    await Promise.all([page.waitForEvent('load'), page.locator('#secrets-table tr', { hasText: 'to-expire' }).locator('button', { hasText: 'Expire now' }).click()]);
    const listed = (await c.api('/api/v1/enroll-secrets')).body.items.find((s: { label: string }) => s.label === 'to-expire');
    expect(new Date(listed.expires_at).getTime()).toBeLessThanOrEqual(Date.now());
    expect(await page.locator('#secrets-table tr', { hasText: 'to-expire' }).textContent()).toContain('expired');
    await ctx.close();
  }, 120_000);

  it('creates an auditor API token shown once: it reads devices but may not revoke; revoked in the UI it stops working', async () => {
    const { ctx, page } = await signIn('ada', ADMIN_PASSWORD);
    await page.goto(`${c.url}/settings`);
    await page.selectOption('#token-form select[name=role]', 'auditor');
    await page.fill('#token-form input[name=label]', 'siem-export');
    await page.fill('#token-form input[name=expiresInDays]', '30');
    await page.click('#token-form button[type=submit]');
    await page.waitForSelector('#token-result', { state: 'visible' });
    const token = (await page.textContent('#token-result-value'))!;
    expect(token).toMatch(/^pst_tok_/);
    expect(await page.locator('#tokens-table tr', { hasText: 'siem-export' }).textContent()).toContain('auditor');
    await page.screenshot({ path: shot('settings-token-created'), fullPage: true });

    const read = await c.api('/api/v1/devices', { token });
    expect(read.status).toBe(200);
    expect(JSON.stringify(read.body)).toContain(deviceId);
    const act = await c.api(`/api/v1/devices/${deviceId}/revoke`, { method: 'POST', token, body: JSON.stringify({ reason: 'auditor tries' }) });
    expect(act.status).toBe(403);
    expect(act.body.error.code).toBe('POSTURE_ERR_FORBIDDEN');
    expect((await c.api(`/api/v1/devices/${deviceId}`)).body.revokedAt).toBeNull();

    await page.reload();
    expect(await page.content()).not.toContain(token);
    const row = page.locator('#tokens-table tr', { hasText: 'siem-export' });
    expect(await row.locator('code').textContent()).toBe(`${token.slice(0, 12)}…`);
    expect(await row.textContent()).not.toContain('never'); // last used: just now
    await Promise.all([page.waitForEvent('load'), row.locator('button', { hasText: 'Revoke' }).click()]);
    expect(await page.locator('#tokens-table tr', { hasText: 'siem-export' }).textContent()).toContain('revoked');
    expect((await c.api('/api/v1/devices', { token })).status).toBe(401);
    await ctx.close();
  }, 60_000);

  it('creates a helpdesk user who sees no Settings link and is refused the page; disabling signs them out', async () => {
    const { ctx, page } = await signIn('ada', ADMIN_PASSWORD);
    await page.goto(`${c.url}/settings`);
    await page.fill('#user-form input[name=username]', 'hana');
    await page.selectOption('#user-form select[name=role]', 'helpdesk');
    // The browser enforces the API's 12-character minimum before anything is sent.
    await page.fill('#user-form input[name=password]', 'short-pw');
    await page.click('#user-form button[type=submit]');
    expect(await page.locator('#user-form input[name=password]').evaluate((el: HTMLInputElement) => el.validity.tooShort)).toBe(true);
    expect(await page.locator('#users-table tr', { hasText: 'hana' }).count()).toBe(0);
    await page.fill('#user-form input[name=password]', 'hana-long-password-1');
    await Promise.all([page.waitForEvent('load'), page.click('#user-form button[type=submit]')]);
    const row = page.locator('#users-table tr[data-user=hana]');
    expect(await row.textContent()).toMatch(/helpdesk\s*local/);
    await page.screenshot({ path: shot('settings-users'), fullPage: true });

    const hd = await signIn('hana', 'hana-long-password-1');
    expect(await hd.page.locator('header nav a').allTextContents()).not.toContain('Settings');
    expect(await hd.page.locator('a[href="/settings"]').count()).toBe(0);
    const res = await hd.page.goto(`${c.url}/settings`);
    expect(res!.status()).toBe(403);
    expect(await hd.page.textContent('#error-message')).toMatch(/admin/);
    await hd.page.screenshot({ path: shot('settings-helpdesk-refused') });

    await Promise.all([page.waitForEvent('load'), row.locator('button', { hasText: 'Disable' }).click()]);
    expect(await page.locator('#users-table tr[data-user=hana]').textContent()).toContain('revoked');
    await hd.page.goto(`${c.url}/devices`);
    expect(hd.page.url()).toContain('/login');
    // The admin cannot disable themself from the page.
    expect(await page.locator('#users-table tr[data-user=ada] button').count()).toBe(0);
    await hd.ctx.close();
    await ctx.close();
    expect(problems).toEqual([]);
  }, 60_000);
});
