/**
 * Issue 11 #1 as the help desk sees it, in real chromium: a second install enrolling a known
 * machine shows as a banner with a count on the fleet page and, on the existing device's page,
 * as "a second enrollment for this machine is pending" with who/when/source IP. The help desk
 * sees it but cannot decide (no buttons, the API refuses 403); an admin rejects one request and
 * approves the other (replace key), each with a reason that lands in the audit log.
 * Screenshots in test-artifacts/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ENROLL_SECRET, startTestCollector, type TestCollector } from '../helpers/collector.js';
import { sampleInventory } from '../helpers/device.js';
import { generateDeviceKey } from '../../agent/src/identity/keys.js';
import { launchBrowser, shot } from './browser.js';
import { reportingDevice, type ReportingDevice } from './fleet.js';

describe('pending enrollments in the dashboard (chromium, pglite)', () => {
  let c: TestCollector;
  let browser: Browser;
  let dev: ReportingDevice;
  const pendingIds: string[] = [];
  const contexts: BrowserContext[] = [];

  /** A second install of the same machine (same fingerprint, new key) asks to enroll. */
  async function secondInstall(hostname: string): Promise<string> {
    const { key } = await generateDeviceKey();
    const r = await fetch(`${c.url}/agent/v1/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ secret: ENROLL_SECRET, publicJwk: key.publicJwk, fingerprint: dev.fingerprint, agentVersion: '9.9.9-reinstall', inventory: sampleInventory(hostname) }),
    });
    const body = (await r.json()) as { status: string; pendingId: string };
    expect(r.status).toBe(202);
    expect(body.status).toBe('pending');
    return body.pendingId;
  }

  beforeAll(async () => {
    c = await startTestCollector('pglite');
    for (const [username, role] of [['ada', 'admin'], ['hugo', 'helpdesk']])
      expect((await c.api('/api/v1/users', { method: 'POST', body: JSON.stringify({ username, password: `${username}-long-password-1`, role }) })).status).toBe(201);
    dev = await reportingDevice(c.url, 'finance-laptop-07');
    await dev.report();
    pendingIds.push(await secondInstall('finance-laptop-07-impostor'), await secondInstall('finance-laptop-07'));
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    for (const x of contexts) await x.close().catch(() => {});
    await browser?.close();
    dev?.close();
    await c?.cleanup();
  });

  async function signedIn(username: string): Promise<Page> {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(ctx);
    const page = await ctx.newPage();
    await page.goto(`${c.url}/login`);
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', `${username}-long-password-1`);
    await page.click('button[type=submit]');
    await page.waitForURL(`${c.url}/`);
    return page;
  }

  it('the help desk sees the count on the fleet page and the request on the device page, without approve buttons', async () => {
    const page = await signedIn('hugo');
    const banner = page.locator('#pending-banner');
    await expect(banner.getAttribute('data-pending-count')).resolves.toBe('2');
    expect(await banner.innerText()).toContain('2 enrollment requests wait');
    expect(await banner.innerText()).toContain('finance-laptop-07-impostor');
    await page.screenshot({ path: shot('pending-fleet-banner'), fullPage: false });
    await banner.locator(`a[href="/devices/${dev.deviceId}#pending-enrollments"]`).first().click();
    await page.waitForURL(new RegExp(`/devices/${dev.deviceId}`));
    const section = page.locator('#pending-enrollments');
    expect(await section.locator('h2').innerText()).toContain('2 other enrollments for this machine are pending');
    const rows = section.locator('tr[data-pending-id]');
    expect(await rows.count()).toBe(2);
    const text = await section.innerText();
    for (const want of ['127.0.0.1', 'finance-laptop-07-impostor', '9.9.9-reinstall', 'initial', 'An administrator approves or rejects this.']) expect(text).toContain(want);
    expect(await section.locator('button').count()).toBe(0);
    await section.screenshot({ path: shot('pending-device-helpdesk') });
    // The API refuses the help desk too (the page is not the only guard).
    const csrf = await page.locator('meta[name="csrf-token"]').getAttribute('content');
    const status = await page.evaluate(async ([id, token]) => (await fetch(`/api/v1/enrollments/${id}/approve`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': token! }, body: JSON.stringify({ reason: 'help desk try' }) })).status, [pendingIds[1], csrf] as const);
    expect(status).toBe(403);
  });

  it('an admin rejects one request and approves the other with reasons; both are audit-logged', async () => {
    const page = await signedIn('ada');
    await page.goto(`${c.url}/devices/${dev.deviceId}`);
    const section = page.locator('#pending-enrollments');
    await section.screenshot({ path: shot('pending-device-admin') });
    const reasons = ['not our install: unknown host name', 'reinstalled by IT, ticket 4711'];
    page.once('dialog', (d) => void d.accept(reasons[0]));
    await Promise.all([page.waitForEvent('load'), section.locator(`tr[data-pending-id="${pendingIds[0]}"] button[data-action="reject-enrollment"]`).click()]);
    expect(await page.locator('#pending-enrollments tr[data-pending-id]').count()).toBe(1);
    expect(await page.locator('#pending-enrollments h2').innerText()).toBe('A second enrollment for this machine is pending');
    // A too-short reason is refused in the page; nothing is decided.
    page.once('dialog', (d) => void d.accept('x'));
    await page.locator(`tr[data-pending-id="${pendingIds[1]}"] button[data-action="approve-enrollment"]`).click();
    await expect(page.locator('#action-status').innerText()).resolves.toContain('at least 3 characters');
    expect((await c.api('/api/v1/enrollments/pending')).body.items).toHaveLength(1);
    page.once('dialog', (d) => void d.accept(reasons[1]));
    await Promise.all([page.waitForEvent('load'), page.locator(`tr[data-pending-id="${pendingIds[1]}"] button[data-action="approve-enrollment"]`).click()]);
    expect(await page.locator('#pending-enrollments').count()).toBe(0);
    const who = await page.locator('#device-audit').innerText();
    expect(who).toContain('device.key_replaced');
    expect(who).toContain('enrollment.rejected');
    await page.screenshot({ path: shot('pending-device-after-approve'), fullPage: true });
    await page.goto(`${c.url}/`);
    expect(await page.locator('#pending-banner').count()).toBe(0);

    expect((await c.api('/api/v1/enrollments/pending')).body.items).toEqual([]);
    const audit = (await c.api(`/api/v1/audit?target=${dev.deviceId}`)).body.items as { actor: string; action: string; detail: { reason?: string; pendingId?: string } }[];
    const replaced = audit.find((a) => a.action === 'device.key_replaced');
    const rejected = audit.find((a) => a.action === 'enrollment.rejected');
    expect(replaced).toMatchObject({ detail: { reason: reasons[1], pendingId: pendingIds[1] } });
    expect(rejected).toMatchObject({ detail: { reason: reasons[0], pendingId: pendingIds[0] } });
    expect(replaced!.actor).toContain('ada');
    expect(rejected!.actor).toContain('ada');
    // The old key is retired: the install that was running is now refused.
    const keys = await c.ctx.db.query<{ retired_reason: string | null }>('SELECT retired_reason FROM device_keys WHERE device_id = $1 ORDER BY created_at', [dev.deviceId]);
    expect(keys.rows.map((k) => k.retired_reason)).toEqual(['replaced', null]);
  });
});
