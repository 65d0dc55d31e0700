/**
 * The device page as the help desk reads it (issue 18 #9), in a real browser: one summary line
 * per check (a reason equal to the summary is not repeated), labelled timeline entries (state
 * changes and reports with check titles), "who did what" in words (no JSON), a searchable
 * software list, and the owner shown and editable.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { ADMIN_TOKEN, startTestCollector, type TestCollector } from '../helpers/collector.js';
import { launchBrowser, shot, signInWithToken } from './browser.js';
import { reportingDevice, type ReportingDevice } from './fleet.js';
import { sampleChecks } from '../helpers/device.js';

describe('device page reading (real browser)', () => {
  let c: TestCollector;
  let browser: Browser;
  let d: ReportingDevice;
  const software = [
    { name: 'firefox-esr', version: '128.5.0esr-1~deb12u1' },
    { name: 'openssh-server', version: '1:9.2p1-2+deb12u3' },
    { name: 'libreoffice-core', version: '4:7.4.7-1+deb12u5' },
    ...Array.from({ length: 40 }, (_, i) => ({ name: `lib-filler-${i}`, version: `1.${i}` })),
  ];
  beforeAll(async () => {
    c = await startTestCollector('pglite');
    d = await reportingDevice(c.url, 'reading-laptop');
    await d.report({
      software,
      checks: sampleChecks({ firewall: { status: 'fail', summary: 'No firewall is filtering inbound traffic', remediation: { steps: ['Turn the firewall on'] } } as never }),
    });
    const ex = await c.api(`/api/v1/devices/${d.deviceId}/exclusions`, {
      method: 'POST',
      body: JSON.stringify({ checkId: 'usb_storage', rationale: 'needs USB for the lab oscilloscope', expiresAt: new Date(Date.now() + 10 * 86_400_000).toISOString() }),
    });
    expect(ex.status).toBeLessThan(300);
    browser = await launchBrowser();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    d?.close();
    await c?.cleanup();
  });

  it('reads as words, with a searchable software list', async () => {
    const page = await browser.newPage();
    await signInWithToken(page, c.url);
    await page.goto(`${c.url}/devices/${d.deviceId}`);

    const fw = (await page.textContent('[data-check="firewall"]')) ?? '';
    expect(fw.split('No firewall is filtering inbound traffic').length - 1).toBe(1);

    const timeline = (await page.textContent('#timeline')) ?? '';
    expect(timeline).toMatch(/Report \(test\)/);
    expect(timeline).toMatch(/State change: device/);
    expect(timeline).toContain('Firewall');
    expect(timeline).not.toMatch(/\bfirewall\b/); // ids are not shown, titles are

    const who = (await page.textContent('#device-audit')) ?? '';
    expect(who).toContain('added an exclusion');
    expect(who).toContain('“needs USB for the lab oscilloscope”');
    expect(who).toContain('USB storage control');
    expect(who).not.toContain('{"');

    expect(await page.textContent('h3')).toContain(`(${software.length})`);
    expect(await page.getAttribute('#software-details', 'open')).toBeNull(); // 43 packages: folded
    await page.fill('#software-filter', 'openssh');
    expect(await page.getAttribute('#software-details', 'open')).not.toBeNull();
    await expect.poll(async () => page.locator('#software tr:not([hidden])').count()).toBe(2); // header + 1
    expect(await page.textContent('#software-count')).toBe('1 match');
    expect(await page.locator('#software tr:not([hidden]) td').first().textContent()).toBe('openssh-server');

    // The owner is shown and editable from the page.
    await page.fill('#owner-form input[name=email]', 'reading.owner@example.com');
    await page.click('#owner-form button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#owner-line')?.textContent?.includes('reading.owner@example.com'));
    await page.screenshot({ path: shot('device-page-reading'), fullPage: true });
    await page.close();
  }, 90_000);

  it('times show in the viewer\'s time zone; the exact UTC instant stays in datetime/title', async () => {
    const ctx = await browser.newContext({ timezoneId: 'Asia/Tokyo', locale: 'en-US' });
    const page = await ctx.newPage();
    await signInWithToken(page, c.url);
    for (const path of [`/devices/${d.deviceId}`, '/audit']) {
      await page.goto(c.url + path);
      const t = page.locator('time[data-local]').first();
      const dt = (await t.getAttribute('datetime'))!;
      expect(dt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
      const text = (await t.textContent())!;
      expect(text).toMatch(/GMT\+9/);
      const hourTokyo = new Date(dt).toLocaleString('en-US', { timeZone: 'Asia/Tokyo', hour: '2-digit', hourCycle: 'h23' }).slice(0, 2);
      expect(text).toContain(`${hourTokyo}:`);
    }
    await ctx.close();
  }, 60_000);
});
