/**
 * Fleet numbers agree (issue 18 #8): "compliance by check" counts only current passes (an
 * excluded check is out of the denominator, a stale device's old pass is counted apart), a
 * noncompliant device reads "overdue", never a future deadline, a noncompliant device that goes
 * stale stays on the Noncompliant list, checks show by title and platforms by their names, the
 * OS filter matches names, and the fleet page fits a 390 px phone screen (real browser).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startTestCollector, type TestCollector } from '../helpers/collector.js';
import { launchBrowser, shot, signInWithToken } from './browser.js';
import { reportingDevice, type ReportingDevice } from './fleet.js';
import { DEFAULT_POLICY } from '../../shared/src/policy/default-policy.js';
import { markStale } from '../../server/src/jobs/stale.js';
import { ADMIN_TOKEN } from '../helpers/collector.js';
import { parseCsv } from '../../shared/src/evidence/csv.js';

describe('fleet numbers (pglite)', () => {
  let c: TestCollector;
  let browser: Browser;
  const devs: Record<string, ReportingDevice> = {};

  beforeAll(async () => {
    c = await startTestCollector('pglite');
    // Firewall overdue at once; USB storage has three days.
    const policy = structuredClone(DEFAULT_POLICY);
    policy.checks.firewall.graceHours = 0;
    policy.checks.usb_storage.graceHours = 72;
    expect((await c.api('/api/v1/policy', { method: 'PUT', body: JSON.stringify(policy) })).status).toBe(200);
    for (const h of ['all-pass', 'overdue', 'excluded-fw', 'went-stale', 'overdue-stale']) devs[h] = await reportingDevice(c.url, `fleetnum-${h}`);
    await devs['all-pass'].report();
    await devs['overdue'].report({ fail: ['firewall', 'usb_storage'] });
    const ex = await c.api(`/api/v1/devices/${devs['excluded-fw'].deviceId}/exclusions`, {
      method: 'POST',
      body: JSON.stringify({ checkId: 'firewall', rationale: 'lab machine behind a hardware firewall', expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString() }),
    });
    expect(ex.status).toBeLessThan(300);
    await devs['excluded-fw'].report({ fail: ['firewall'] });
    await devs['went-stale'].report();
    await devs['overdue-stale'].report({ fail: ['firewall'] });
    // Two devices stop reporting: their last report is two days old, then the stale job runs.
    for (const h of ['went-stale', 'overdue-stale']) {
      devs[h].close();
      await c.db.query("UPDATE devices SET last_report_at = now() - interval '2 days' WHERE id = $1", [devs[h].deviceId]);
    }
    expect(await markStale(c.db, 24, [])).toBe(2);
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    for (const d of Object.values(devs)) d.close();
    await c?.cleanup();
  });

  const page = async (path: string) => {
    const r = await c.api(path, { headers: { accept: 'text/html' } });
    expect(r.status).toBe(200);
    return String(r.body);
  };
  const row = (htmlText: string, tableId: string, cellText: string) => {
    const table = new RegExp(`<table id="${tableId}">([\\s\\S]*?)</table>`).exec(htmlText)?.[1] ?? '';
    return table.split('<tr>').filter((r) => r.includes(cellText)).map((r) => r.replace(/<[^>]+>/g, '|').replace(/\|+/g, '|'));
  };

  it('compliance by check: passing now ÷ devices where the check applies', async () => {
    const fleet = await page('/');
    const fw = row(fleet, 'by-check', '>Firewall<');
    expect(fw).toHaveLength(1);
    // 5 devices: all-pass passes; overdue fails; excluded-fw is excluded; went-stale passed but is stale;
    // overdue-stale is stale. Passing 1, Failing 1, Stale 2, Excluded 1, Devices 5, 1 ÷ 4 = 25 %.
    expect(fw[0]).toMatch(/\|Firewall\|Linux\|1\|1\|2\|1\|5\|25%\|/);
    expect(fleet).not.toMatch(/>linux</);
  });

  it('a noncompliant device reads overdue, not its next (future) deadline; titles, not ids', async () => {
    const list = await page('/devices?state=noncompliant');
    const r = row(list, 'device-table', 'fleetnum-overdue');
    expect(r).toHaveLength(1);
    expect(r[0]).toContain('overdue');
    expect(r[0]).not.toMatch(/\bin \d/); // the USB deadline is 3 days away: not shown as "in 2d 23h"
    expect(r[0]).toContain('Firewall, USB storage');
    expect(r[0]).not.toContain('usb_storage');
  });

  it('a noncompliant device that went stale stays on the fleet page\'s Noncompliant list', async () => {
    const fleet = await page('/');
    const nc = /<(?:table|p)[^>]*id="list-noncompliant"[\s\S]*?<\/(?:table|p)>/.exec(fleet)![0];
    expect(nc).toContain('fleetnum-overdue');
    expect(nc).toContain('fleetnum-overdue-stale');
    expect(nc).not.toContain('fleetnum-went-stale'); // stale, but it was passing
  });

  it('the OS filter matches names as people say them', async () => {
    const os = (await c.api(`/api/v1/devices/${devs['all-pass'].deviceId}`)).body;
    const name = String(os.os?.name ?? os.osName ?? '').split(' ')[0];
    expect(name.length).toBeGreaterThan(0);
    const byName = await page(`/devices?os=${encodeURIComponent(name.toLowerCase())}`);
    expect(byName).toMatch(/5 device\(s\)/);
    expect(await page('/devices?os=windows')).toMatch(/0 device\(s\)/);
    expect(await page('/devices?os=linux')).toMatch(/5 device\(s\)/);
  });

  it('the device list exports to CSV with the page\'s filters', async () => {
    const res = await fetch(`${c.url}/devices.csv?state=noncompliant`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="posture-devices-\d{4}-\d{2}-\d{2}\.csv"/);
    const rows = parseCsv(await res.text());
    expect(rows[0]).toEqual(['device_id', 'hostname', 'state', 'failing_checks', 'deadline', 'platform', 'os_name', 'os_version', 'owner', 'connected', 'last_seen', 'last_report']);
    expect(rows.slice(1).map((r) => r[1])).toEqual(['fleetnum-overdue']);
    expect(rows[1].slice(2, 6)).toEqual(['noncompliant', 'Firewall, USB storage control', 'overdue', 'Linux']);
    const all = parseCsv(await (await fetch(`${c.url}/devices.csv`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text());
    expect(all).toHaveLength(6);
  });

  it('the fleet page fits a 390 px wide phone', async () => {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const p = await ctx.newPage();
    await signInWithToken(p, c.url);
    for (const path of ['/', '/devices']) {
      await p.goto(c.url + path);
      const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `${path} scrolls sideways by ${overflow}px`).toBeLessThanOrEqual(0);
    }
    await p.goto(`${c.url}/`);
    await p.screenshot({ path: shot('fleet-390px'), fullPage: true });
    await ctx.close();
  }, 60_000);

  it('bulk actions on a selection: set owner, exclude a check, re-check (runs last: it changes the fleet)', async () => {
    const ctx = await browser.newContext();
    const p = await ctx.newPage();
    await signInWithToken(p, c.url);
    await p.goto(`${c.url}/devices?q=fleetnum-overdue`);
    expect(await p.textContent('#result-count')).toBe('2 device(s)');
    await p.check('#select-all');
    expect(await p.textContent('#bulk-count')).toBe('2 selected');
    await p.fill('#bulk-actions input[name=email]', 'bulk.owner@example.com');
    // The page reloads itself shortly after a bulk change: wait for it before navigating on.
    let reloaded = p.waitForEvent('framenavigated');
    await p.click('button[data-bulk-action=owner]');
    await p.waitForSelector('#bulk-status:has-text("Owner set on 2 of 2")');
    await reloaded;
    for (const h of ['overdue', 'overdue-stale']) expect((await c.api(`/api/v1/devices/${devs[h].deviceId}`)).body.owner).toBe('bulk.owner@example.com');

    await p.goto(`${c.url}/devices?q=fleetnum-overdue`);
    await p.check('#select-all');
    await p.selectOption('#bulk-actions select[name=checkId]', 'firewall');
    await p.fill('#bulk-actions input[name=rationale]', 'short');
    await p.click('button[data-bulk-action=exclude]');
    await p.waitForSelector('#bulk-status:has-text("at least 10 characters")');
    await p.fill('#bulk-actions input[name=rationale]', 'replacement laptops ordered, ticket IT-4711');
    reloaded = p.waitForEvent('framenavigated');
    await p.click('button[data-bulk-action=exclude]');
    await p.waitForSelector('#bulk-status:has-text("Excluded on 2 of 2")');
    await reloaded;
    for (const h of ['overdue', 'overdue-stale']) {
      const ex = (await c.api(`/api/v1/devices/${devs[h].deviceId}/exclusions`)).body;
      expect(JSON.stringify(ex)).toContain('IT-4711');
    }
    await p.goto(`${c.url}/devices?q=fleetnum-overdue`);
    await p.check('#select-all');
    await p.click('button[data-bulk-action=check-now]');
    await p.waitForSelector('#bulk-status:has-text("Re-check sent to 2 of 2")');
    await p.screenshot({ path: shot('devices-bulk-actions'), fullPage: true });
    // One audit entry per device, as if each had been excluded on its own page.
    const audit = (await c.api('/api/v1/audit?action=exclusion.create')).body.items as { target: string; detail: { rationale: string } }[];
    const bulkEntries = audit.filter((a) => a.detail.rationale.includes('IT-4711')).map((a) => a.target).sort();
    expect(bulkEntries).toEqual([devs['overdue'].deviceId, devs['overdue-stale'].deviceId].sort());
    await ctx.close();
  }, 90_000);
});
