/**
 * Archive, un-archive and delete from the dashboard (issue 13), in a real browser against a
 * collector with real reporting devices: the device page asks for a reason, the device leaves
 * the fleet list and counts, shows under the "Archived" view, comes back on Unarchive; an
 * admin deletes it (reason required) and it is gone from list and API; the help desk can
 * archive but is not offered delete.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestCollector, type TestCollector } from '../helpers/collector.js';
import { launchBrowser, shot, signInWithToken } from './browser.js';
import { reportingDevice, type ReportingDevice } from './fleet.js';

describe('archive / unarchive / delete on the dashboard (real browser)', () => {
  let c: TestCollector;
  let browser: Browser;
  let spare: ReportingDevice;
  let desk: ReportingDevice;
  beforeAll(async () => {
    c = await startTestCollector('pglite');
    spare = await reportingDevice(c.url, 'spare-laptop-7');
    await spare.report();
    desk = await reportingDevice(c.url, 'desk-pc-3');
    await desk.report();
    browser = await launchBrowser();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    spare?.close();
    desk?.close();
    await c?.cleanup();
  });

  /** Answer the next prompt with `answer` and wait for the page's own reload or redirect. */
  const answerAndNavigate = async (page: Page, selector: string, answer: string) => {
    page.once('dialog', (dlg) => void dlg.accept(answer));
    const nav = page.waitForEvent('framenavigated');
    await page.click(selector);
    await nav;
    await page.waitForLoadState('load');
  };

  it('archives with a reason: gone from the list and counts, shown under Archived; Unarchive restores', async () => {
    const page = await browser.newPage();
    await signInWithToken(page, c.url);
    await page.goto(`${c.url}/devices/${spare.deviceId}`);
    page.once('dialog', (dlg) => void dlg.accept(''));
    await page.click('button[data-action=archive]');
    await page.waitForSelector('#action-status:has-text("A reason is needed")');
    await answerAndNavigate(page, 'button[data-action=archive]', 'Returned to IT stock');
    expect(await page.textContent('#device-archived')).toContain('reason: Returned to IT stock');
    await page.screenshot({ path: shot('device-archived'), fullPage: true });

    await page.goto(`${c.url}/devices`);
    expect(await page.textContent('#result-count')).toBe('1 device(s)');
    expect(await page.textContent('#device-table')).not.toContain('spare-laptop-7');
    await page.goto(`${c.url}/`);
    expect(await page.textContent('#archived-link')).toBe('1 archived device(s)');
    expect(await page.textContent('#state-cards .card .n')).toBe('1');
    await page.screenshot({ path: shot('fleet-archived-link'), fullPage: true });
    await page.click('#archived-link');
    await page.waitForSelector('#archived-view');
    expect(await page.textContent('#result-count')).toBe('1 device(s)');
    expect(await page.textContent('#device-table')).toContain('spare-laptop-7');
    await page.screenshot({ path: shot('devices-archived-view'), fullPage: true });

    await page.goto(`${c.url}/devices/${spare.deviceId}`);
    await answerAndNavigate(page, 'button[data-action=unarchive]', 'Issued to a new starter');
    expect(await page.$('#device-archived')).toBeNull();
    await page.goto(`${c.url}/devices`);
    expect(await page.textContent('#result-count')).toBe('2 device(s)');
    const a = (await c.api('/api/v1/audit?action=device.unarchive')).body.items;
    expect(a[0]).toMatchObject({ target: spare.deviceId, detail: { reason: 'Issued to a new starter' } });
    await page.close();
  }, 90_000);

  it('an admin deletes with a reason: the device is gone from the list and the API', async () => {
    const page = await browser.newPage();
    await signInWithToken(page, c.url);
    await page.goto(`${c.url}/devices/${spare.deviceId}`);
    page.once('dialog', (dlg) => void dlg.accept('  '));
    await page.click('button[data-action=delete-device]');
    await page.waitForSelector('#action-status:has-text("A reason is needed")');
    await answerAndNavigate(page, 'button[data-action=delete-device]', 'Laptop destroyed, ticket IT-4471');
    expect(new URL(page.url()).pathname).toBe('/devices');
    expect(await page.textContent('#result-count')).toBe('1 device(s)');
    expect(await page.textContent('#device-table')).not.toContain('spare-laptop-7');
    await page.screenshot({ path: shot('device-deleted-list'), fullPage: true });
    expect((await c.api(`/api/v1/devices/${spare.deviceId}`)).status).toBe(404);
    expect((await page.goto(`${c.url}/devices/${spare.deviceId}`))?.status()).toBe(404);
    const del = (await c.api('/api/v1/audit?action=device.delete')).body.items;
    expect(del[0]).toMatchObject({ target: spare.deviceId, detail: { hostname: 'spare-laptop-7', reason: 'Laptop destroyed, ticket IT-4471' } });
    await page.close();
  }, 90_000);

  it('the help desk may archive but is not offered delete; an auditor neither', async () => {
    const helpdesk = (await c.api('/api/v1/tokens', { method: 'POST', body: JSON.stringify({ role: 'helpdesk', label: 'browser helpdesk', expiresInDays: 1 }) })).body.token as string;
    const auditor = (await c.api('/api/v1/tokens', { method: 'POST', body: JSON.stringify({ role: 'auditor', label: 'browser auditor', expiresInDays: 1 }) })).body.token as string;
    const page = await browser.newPage();
    await signInWithToken(page, c.url, helpdesk);
    await page.goto(`${c.url}/devices/${desk.deviceId}`);
    expect(await page.$('button[data-action=archive]')).not.toBeNull();
    expect(await page.$('button[data-action=delete-device]')).toBeNull();
    await page.close();
    const p2 = await browser.newPage();
    await signInWithToken(p2, c.url, auditor);
    await p2.goto(`${c.url}/devices/${desk.deviceId}`);
    expect(await p2.$('button[data-action=archive]')).toBeNull();
    expect(await p2.$('button[data-action=delete-device]')).toBeNull();
    await p2.close();
  }, 90_000);
});
