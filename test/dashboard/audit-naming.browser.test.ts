/**
 * The audit log as an auditor reads it (issue 18 #15), in a real browser: one person is named one
 * way whether they used the API or the dashboard (no "user:token:…"), a device shows its
 * hostname beside its id, a secret its label, a dashboard edit says `dashboard`, and a policy
 * change reads as "path: before → after".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { ADMIN_TOKEN, startTestCollector, type TestCollector } from '../helpers/collector.js';
import { launchBrowser, shot, signInWithToken } from './browser.js';
import { enrollDevice } from '../helpers/device.js';

describe('audit log naming (real browser)', () => {
  let c: TestCollector;
  let browser: Browser;
  beforeAll(async () => {
    c = await startTestCollector('pglite');
    browser = await launchBrowser();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await c?.cleanup();
  });

  it('names the token, the device, the secret and the policy change readably', async () => {
    const dev = await enrollDevice(c.url, { hostname: 'audit-naming-laptop' });
    // An API call with the admin token, to compare the actor name with the dashboard's.
    const created = await c.api('/api/v1/tokens', { method: 'POST', body: JSON.stringify({ role: 'auditor', label: 'external-auditor', expiresInDays: 1 }) });
    expect(created.status).toBe(201);

    const page = await browser.newPage();
    await signInWithToken(page, c.url);
    await page.goto(`${c.url}/policy`);
    const yaml = await page.inputValue('textarea[name=policy]');
    const edited = yaml.replace(/(firewall:\s*\n(?:\s+.*\n)*?\s+graceHours:\s*)72/, '$124');
    expect(edited).not.toBe(yaml);
    await page.fill('textarea[name=policy]', edited);
    await page.fill('input[name=comment]', 'tighten firewall grace');
    // The page reloads itself half a second after "Saved": wait for that, or it races the next goto.
    const reloaded = page.waitForEvent('framenavigated');
    await page.click('form[data-policy] button[type=submit]');
    await page.waitForSelector('.form-status:has-text("Saved")');
    await reloaded;
    await page.waitForLoadState('load');

    const audit = await c.api('/api/v1/audit?action=policy.update');
    const entry = audit.body.items.find((a: any) => a.detail?.source === 'dashboard');
    expect(entry, JSON.stringify(audit.body.items.map((a: any) => a.detail?.source))).toBeDefined();
    const tokenCreate = (await c.api('/api/v1/audit?action=token.create')).body.items[0];
    // The same admin token, through the API and through a dashboard session: one name.
    expect(entry.actor).toBe(tokenCreate.actor);
    expect(entry.actor).toMatch(/^token:/);
    expect(entry.detail.changes).toContainEqual({ path: 'checks.firewall.graceHours', from: 72, to: 24 });

    await page.goto(`${c.url}/audit`);
    const table = await page.textContent('#audit-table');
    expect(table).not.toContain('user:token:');
    expect(table).toContain('checks.firewall.graceHours: 72 → 24');
    expect(table).toContain('source: dashboard');
    const enrolled = page.locator('#audit-table tr', { hasText: 'device.enrolled' });
    await expect.poll(async () => enrolled.count()).toBeGreaterThan(0);
    const row = (await enrolled.first().textContent()) ?? '';
    expect(row).toContain('audit-naming-laptop');
    expect(row).toContain(dev.deviceId);
    expect(row).toMatch(/enrollment secret “[^”]+”/);
    expect(await page.locator(`#audit-table a[href="/devices/${dev.deviceId}"]`).first().textContent()).toBe('audit-naming-laptop');
    const tokenRow = (await page.locator('#audit-table tr', { hasText: 'token.create' }).first().textContent()) ?? '';
    expect(tokenRow).toContain('token “external-auditor”');
    await page.screenshot({ path: shot('audit-log-naming'), fullPage: true });
    await page.close();
  }, 120_000);
});
