/**
 * People page and the device page's owner block in real Chromium: the help desk sets an owner
 * on the device page, sees the person with the device on the People page, offboards them and
 * sees the device among the leavers' devices. Screenshots go to test-artifacts/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, type TestCollector } from '../helpers/collector.js';
import { reportingDevice } from '../dashboard/fleet.js';
import * as B from '../dashboard/browser.js';

describe('People page and owner editing (chromium)', () => {
  let c: TestCollector;
  beforeAll(async () => {
    c = await startTestCollector('pglite');
  }, 180_000);
  afterAll(async () => c?.cleanup());

  it('owner set on the device page shows on the People page; offboarding lists the device to return', async () => {
    const dev = await reportingDevice(c.url, 'people-page-laptop');
    await dev.report();
    dev.close();
    await c.api('/api/v1/users', { method: 'POST', body: JSON.stringify({ username: 'hd', password: 'hd-long-password-1', role: 'helpdesk' }) });
    const browser = await B.launchBrowser();
    try {
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
      await page.goto(`${c.url}/login`);
      await page.fill('input[name=username]', 'hd');
      await page.fill('input[name=password]', 'hd-long-password-1');
      await Promise.all([page.waitForURL(`${c.url}/`), page.click('button[type=submit]')]);
      await page.goto(`${c.url}/devices/${dev.deviceId}`);
      expect(await page.textContent('#owner-line')).toContain('alice');
      expect(await page.textContent('#owner-line')).toContain('inferred from the logged-in user');
      await page.fill('#owner-form input[name=email]', 'hannah@example.com');
      await Promise.all([page.waitForEvent('load'), page.click('#owner-form button[type=submit]')]);
      expect(await page.textContent('#owner-line')).toContain('hannah@example.com');
      expect(await page.textContent('#owner-line')).toContain('set by the help desk');
      expect(await page.textContent('#owner-history')).toContain('hannah@example.com');
      await page.screenshot({ path: B.shot('people-device-owner'), fullPage: true });
      await page.goto(`${c.url}/people?q=hannah`);
      const row = page.locator('tr[data-person="hannah@example.com"]');
      expect(await row.textContent()).toContain('people-page-laptop');
      await row.locator('select[name=status]').selectOption('offboarded');
      await Promise.all([page.waitForEvent('load'), row.locator('button[type=submit]').click()]);
      expect(await page.textContent('#leaver-devices')).toContain('people-page-laptop');
      await page.setViewportSize({ width: 390, height: 844 });
      await page.screenshot({ path: B.shot('people-page-390'), fullPage: true });
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.screenshot({ path: B.shot('people-page'), fullPage: true });
      await page.goto(`${c.url}/devices/${dev.deviceId}`);
      expect(await page.textContent('#owner-offboarded')).toContain('Return or wipe by');
    } finally {
      await browser.close();
    }
  });
});
