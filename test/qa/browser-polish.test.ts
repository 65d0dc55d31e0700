/**
 * Acceptance QA in a real browser: signing in and walking the help-desk pages leaves nothing in the
 * console (the missing favicon was a 404 on every page), and a stale link shows a page, not JSON.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { ADMIN_TOKEN, startTestCollector, type TestCollector } from '../helpers/collector.js';
import { launchBrowser } from '../dashboard/browser.js';
import { enrollDevice } from '../helpers/device.js';

describe('dashboard in a real browser: console clean, friendly 404', () => {
  let c: TestCollector;
  let browser: Browser;
  let deviceId: string;
  beforeAll(async () => {
    c = await startTestCollector('pglite');
    deviceId = (await enrollDevice(c.url)).deviceId;
    browser = await launchBrowser();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await c?.cleanup();
  });

  it('walks login → fleet → devices → device → settings → policy → audit → evidence with no console errors', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(`${page.url()}: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`${page.url()}: ${e.message}`));
    page.on('response', (r) => r.status() >= 400 && problems.push(`${r.status()} ${r.url()}`));
    await page.goto(`${c.url}/login`);
    await page.fill('input[name=token]', ADMIN_TOKEN);
    await Promise.all([page.waitForURL(`${c.url}/`), page.click('button[type=submit]')]);
    for (const p of ['/', '/devices', `/devices/${deviceId}`, '/settings', '/policy', '/audit', '/evidence']) {
      await page.goto(c.url + p);
      await page.waitForLoadState('networkidle');
    }
    expect(problems).toEqual([]);
    await page.close();
  }, 90_000);

  it('an unknown page is an HTML "not found" page; an unknown API route stays JSON', async () => {
    const page = await browser.newPage();
    const res = await page.goto(`${c.url}/devcies`);
    expect(res!.status()).toBe(404);
    expect(res!.headers()['content-type']).toMatch(/text\/html/);
    expect(await page.textContent('h1')).toMatch(/not found/i);
    await page.close();
    const api = await c.api('/api/v1/devcies');
    expect(api.status).toBe(404);
    expect(api.body.error.code).toBe('POSTURE_ERR_NOT_FOUND');
  }, 60_000);
});
