/**
 * Revoked devices as the help desk handles them (issue 18 #5), in a real browser: revoking asks
 * for a reason that lands in the audit log and on the device page; revoked devices are listed
 * with the `revoked` state filter (not a 400) and left out of the fleet; an admin restores one
 * from its page and it is back on the list of active devices.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { ADMIN_TOKEN, startTestCollector, type TestCollector } from '../helpers/collector.js';
import { launchBrowser, shot, signInWithToken } from './browser.js';
import { reportingDevice, type ReportingDevice } from './fleet.js';

describe('revoke with a reason, list revoked, restore (real browser)', () => {
  let c: TestCollector;
  let browser: Browser;
  let d: ReportingDevice;
  beforeAll(async () => {
    c = await startTestCollector('pglite');
    d = await reportingDevice(c.url, 'lost-laptop-42');
    await d.report();
    browser = await launchBrowser();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    d?.close();
    await c?.cleanup();
  });

  it('revokes with a reason, lists it under revoked, and restores it', async () => {
    const page = await browser.newPage();
    await signInWithToken(page, c.url);
    await page.goto(`${c.url}/devices/${d.deviceId}`);

    // An empty reason is refused; the prompt's answer becomes the reason.
    page.once('dialog', (dlg) => void dlg.accept(''));
    await page.click('button[data-action=revoke]');
    await page.waitForSelector('#action-status:has-text("A reason is needed")');
    expect((await c.api(`/api/v1/devices/${d.deviceId}`)).body.revokedAt ?? null).toBeNull();
    page.once('dialog', (dlg) => void dlg.accept('reported stolen, ticket SEC-981'));
    await page.click('button[data-action=revoke]');
    await page.waitForSelector('#device-revoked');
    expect(await page.textContent('#device-revoked')).toContain('reason: reported stolen, ticket SEC-981');
    const audit = (await c.api('/api/v1/audit?action=device.revoke')).body.items;
    expect(audit[0]).toMatchObject({ target: d.deviceId, detail: { reason: 'reported stolen, ticket SEC-981' } });

    await page.goto(`${c.url}/devices?state=revoked`);
    expect(await page.textContent('#result-count')).toBe('1 device(s)');
    expect(await page.textContent('#device-table')).toContain('lost-laptop-42');
    await page.goto(`${c.url}/devices`);
    expect(await page.textContent('#result-count')).toBe('0 device(s)');
    expect((await c.api('/api/v1/devices?state=revoked')).status).toBe(200);

    await page.goto(`${c.url}/devices/${d.deviceId}`);
    page.once('dialog', (dlg) => void dlg.accept());
    await page.click('button[data-action=restore]');
    await page.waitForFunction(() => !document.querySelector('#device-revoked'));
    await page.goto(`${c.url}/devices`);
    expect(await page.textContent('#result-count')).toBe('1 device(s)');
    expect((await c.api('/api/v1/audit?action=device.restore')).body.items[0].target).toBe(d.deviceId);
    await page.screenshot({ path: shot('device-restored'), fullPage: true });
    await page.close();
  }, 90_000);
});
