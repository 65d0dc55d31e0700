/**
 * The device page's groups block in a real browser (Debian chromium via playwright-core): the
 * help desk adds a device to a static group whose policy override makes screen lock required,
 * the page shows the new verdict at once and says which group made the check required; removing
 * it restores the policy as written. Screenshot in test-artifacts/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { DEFAULT_POLICY } from '#shared/policy/default-policy.js';
import type { Policy } from '#shared/policy/schema.js';
import { startTestCollector, type TestCollector } from '../helpers/collector.js';
import { launchBrowser, shot, signInWithToken } from '../dashboard/browser.js';
import { reportingDevice, withGrace, type ReportingDevice } from '../dashboard/fleet.js';

describe('device page: groups and "why is this required here?" in chromium (pglite)', () => {
  let c: TestCollector;
  let browser: Browser;
  let dev: ReportingDevice;

  beforeAll(async () => {
    c = await startTestCollector('pglite');
    const p: Policy = withGrace(DEFAULT_POLICY, 0);
    p.checks.screen_lock.required = false;
    p.groups = [{ name: 'finance', checks: { screen_lock: { required: true, graceHours: 0 } } }];
    expect((await c.api('/api/v1/policy', { method: 'PUT', body: JSON.stringify(p) })).status).toBe(200);
    expect((await c.api('/api/v1/groups', { method: 'POST', body: JSON.stringify({ name: 'finance', kind: 'static' }) })).status).toBe(201);
    await c.api('/api/v1/users', { method: 'POST', body: JSON.stringify({ username: 'hugo', password: 'hugo-long-password-1', role: 'helpdesk' }) });
    dev = await reportingDevice(c.url, 'fin-laptop-7');
    await dev.report({ fail: ['screen_lock'] });
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    dev?.close();
    await c?.cleanup();
  });

  it('help desk adds the device to a group; the verdict and the explanation follow at once; removing it undoes both', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    page.on('dialog', (d) => void d.accept());
    await page.goto(`${c.url}/`);
    await page.waitForURL(/\/login/);
    await page.fill('input[name=username]', 'hugo');
    await page.fill('input[name=password]', 'hugo-long-password-1');
    await page.click('button[type=submit]');
    await page.waitForURL(`${c.url}/`);

    await page.goto(`${c.url}/devices/${dev.deviceId}`);
    expect(await page.textContent('h1')).toContain('compliant');
    expect(await page.textContent('#group-list')).toContain('In no group');
    await page.click('#why-required summary');
    expect(await page.textContent('#why-table [data-why=screen_lock] .why-required')).toContain('no — policy');

    await Promise.all([page.waitForEvent('load'), page.click('#group-add button[type=submit]')]);
    expect(await page.textContent('h1')).toContain('noncompliant');
    expect(await page.textContent('#group-list')).toContain('finance');
    expect(await page.textContent('[data-check=screen_lock]')).toContain('noncompliant');
    // Open by default once a group applies; names the group that made it required.
    expect(await page.isVisible('#why-table')).toBe(true);
    expect(await page.textContent('#why-table [data-why=screen_lock] .why-required')).toContain('yes — group finance');
    expect(await page.textContent('#why-table [data-why=firewall] .why-required')).toContain('yes — policy');
    expect(await page.textContent('#group-history')).toContain('Joined finance');
    expect(await page.textContent('#device-owner')).not.toContain('Offboarding'); // group events are not owner events
    await page.screenshot({ path: shot('device-page-groups-why-required'), fullPage: true });

    await Promise.all([page.waitForEvent('load'), page.click('#group-list button[data-action=api]')]);
    expect(await page.textContent('h1')).not.toContain('noncompliant');
    expect(await page.textContent('#group-list')).toContain('In no group');
    expect(await page.textContent('#device-audit')).toContain('group.member.remove');
    await ctx.close();
  }, 90_000);

  it('an admin creates a group by rule on the Groups page; matching devices join at once', async () => {
    const page = await browser.newPage();
    await signInWithToken(page, c.url);
    await page.goto(`${c.url}/groups`);
    // No condition: refused in the page, nothing created.
    await page.fill('#group-rule-create input[name=name]', 'fin-by-name');
    await page.click('#group-rule-create button[type=submit]');
    await page.waitForSelector('#group-rule-create .form-status:has-text("at least one condition")');
    // A pattern RE2 cannot compile: the API's error is shown.
    await page.fill('#group-rule-create input[name=hostname]', 'fin-(');
    await page.click('#group-rule-create button[type=submit]');
    await page.waitForSelector('#group-rule-create .form-status:has-text("Not created")');
    await page.fill('#group-rule-create input[name=hostname]', 'fin-.*');
    await page.check('#group-rule-create input[name=platform][value=linux]');
    await Promise.all([page.waitForEvent('load'), page.click('#group-rule-create button[type=submit]')]);
    const row = (await page.textContent('#groups-table tr[data-group="fin-by-name"]')) ?? '';
    expect(row).toContain('by rule');
    expect(row).toContain('hostname: fin-.*');
    const g = (await c.api('/api/v1/groups')).body.items.find((x: { name: string }) => x.name === 'fin-by-name');
    expect(g.rule).toEqual({ platform: ['linux'], hostname: 'fin-.*' });
    const members = (await c.api(`/api/v1/devices/${dev.deviceId}/groups`)).body;
    expect(JSON.stringify(members)).toContain('fin-by-name');
    await page.screenshot({ path: shot('groups-rule-created'), fullPage: true });
    await page.close();
  }, 60_000);
});
