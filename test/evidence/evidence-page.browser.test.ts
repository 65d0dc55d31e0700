/**
 * The auditor's Evidence page in a real browser (issue 18 #13): the default period is the last
 * 90 days up to now, shown in the viewer's time zone; a period with no device warns before
 * exporting; the default export of a fleet enrolled today is not empty.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { ADMIN_TOKEN, startTestCollector, type TestCollector } from '../helpers/collector.js';
import { launchBrowser, shot, signInWithToken } from '../dashboard/browser.js';
import { enrollDevice } from '../helpers/device.js';
import { tempDir } from '../helpers/db.js';
import { unpackTarGz } from '../../scripts/evidence/unpack.js';

describe('Evidence page defaults (real browser, viewer in New York)', () => {
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

  async function signedIn() {
    const context = await browser.newContext({ timezoneId: 'America/New_York', acceptDownloads: true });
    const page = await context.newPage();
    await signInWithToken(page, c.url);
    await page.goto(`${c.url}/evidence`);
    return { context, page };
  }

  it('an empty period warns instead of downloading; the fields are local time', async () => {
    const { context, page } = await signedIn();
    const to = await page.inputValue('input[name=to]');
    const from = await page.inputValue('input[name=from]');
    // The field holds New York wall-clock time: read back as New York time it is "now" (±2 min);
    // were it UTC wall-clock time, it would be five hours off.
    const asUtc = await page.evaluate((v) => new Date(v).getTime(), to);
    expect(Math.abs(asUtc - Date.now())).toBeLessThan(120_000);
    const spanDays = ((await page.evaluate((v) => new Date(v).getTime(), to)) - (await page.evaluate((v) => new Date(v).getTime(), from))) / 86_400_000;
    expect(Math.round(spanDays)).toBe(90);
    expect(await page.textContent('#evidence-zone')).toContain('America/New_York');

    let downloaded = false;
    page.on('download', () => (downloaded = true));
    await page.click('#evidence-form button[type=submit]');
    await page.waitForSelector('#evidence-warning:not([hidden])');
    expect(await page.textContent('#evidence-warning')).toMatch(/No device was enrolled during this period/);
    await page.screenshot({ path: shot('evidence-empty-period-warning'), fullPage: true });
    await page.waitForTimeout(500);
    expect(downloaded).toBe(false);
    await context.close();
  }, 90_000);

  it('the default export of a device enrolled a moment ago contains it', async () => {
    const d = await enrollDevice(c.url, { hostname: 'auditor-default-export' });
    const { context, page } = await signedIn();
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.click('#evidence-form button[type=submit]')]);
    expect(await page.isHidden('#evidence-warning')).toBe(true);
    const file = join(tempDir('posture-evidence-page-'), 'bundle.tar.gz');
    await download.saveAs(file);
    const dir = tempDir('posture-evidence-page-x-');
    await unpackTarGz(createReadStream(file), dir);
    const devices = readFileSync(join(dir, 'devices.csv'), 'utf8');
    expect(devices).toContain(d.deviceId);
    expect(devices).toContain('auditor-default-export');
    await context.close();
  }, 120_000);

  it('the API reads a zone-less date-time as UTC and refuses a date that does not exist', async () => {
    const ok = await c.api('/api/v1/evidence/preview?from=2026-01-01T00:00&to=2026-02-01T12:30');
    expect(ok.status).toBe(200);
    expect(ok.body.from).toBe('2026-01-01T00:00:00.000Z');
    expect(ok.body.to).toBe('2026-02-01T12:30:00.000Z');
    const bad = await c.api('/api/v1/evidence/preview?from=2026-02-30&to=2026-03-10');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/"from" is not a date/);
  });
});
