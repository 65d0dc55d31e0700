/**
 * Help desk: connected/offline and since when, "last seen" as the last contact, and a re-check
 * on an offline device that says it is queued (until when) and stays pending until the result
 * arrives — in the API and in real Chromium (screenshots in test-artifacts/).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startTestCollector, type TestCollector } from '../helpers/collector.js';
import { connectDevice, enrollDevice, nextMessage, signedReport } from '../helpers/device.js';
import { waitFor } from '../helpers/agent.js';
import { launchBrowser, shot } from './browser.js';
import { reportingDevice } from './fleet.js';

describe('online state and re-check', () => {
  let c: TestCollector;
  let browser: Browser;
  beforeAll(async () => {
    c = await startTestCollector('pglite');
    await c.api('/api/v1/users', { method: 'POST', body: JSON.stringify({ username: 'hugo', password: 'hugo-long-password-1', role: 'helpdesk' }) });
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await c?.cleanup();
  });

  it('the API says connected true/false (never null) with since when; last seen is the last contact', async () => {
    const online = await reportingDevice(c.url, 'online-laptop');
    await online.report();
    const offline = await enrollDevice(c.url, { hostname: 'never-connected' });
    await waitFor(async () => (await c.api(`/api/v1/devices/${online.deviceId}`)).body.connected === true, 10_000, 100);
    const on = (await c.api(`/api/v1/devices/${online.deviceId}`)).body;
    expect(on.connectedSince).toEqual(expect.any(String));
    expect(on.offlineSince).toBeNull();
    const off = (await c.api(`/api/v1/devices/${offline.deviceId}`)).body;
    expect(off.connected).toBe(false);
    const list = (await c.api('/api/v1/devices?limit=50')).body.items;
    expect(list.find((d: { id: string }) => d.id === offline.deviceId).connected).toBe(false);
    expect(list.find((d: { id: string }) => d.id === online.deviceId).connected).toBe(true);

    // Reported a while ago, disconnected now: last seen is the disconnect, not the report.
    const reportAt = on.lastReportAt;
    await new Promise((r) => setTimeout(r, 1200));
    const closedAt = Date.now();
    online.close();
    await waitFor(async () => (await c.api(`/api/v1/devices/${online.deviceId}`)).body.connected === false, 10_000, 100);
    const after = (await c.api(`/api/v1/devices/${online.deviceId}`)).body;
    expect(Date.parse(after.offlineSince)).toBeGreaterThanOrEqual(closedAt - 50);
    expect(Date.parse(after.lastSeenAt)).toBeGreaterThan(Date.parse(reportAt) + 1000);
    expect(after.lastReportAt).toBe(reportAt);
    const cn = await c.api(`/api/v1/devices/${online.deviceId}/check-now`, { method: 'POST', body: '{}' });
    expect(cn.status).toBe(202);
    expect(cn.body.connected).toBe(false);
    expect(Date.parse(cn.body.queuedUntil) - Date.now()).toBeGreaterThan(23.9 * 3600_000);
  }, 60_000);

  it('a collector that died leaves its devices offline since its last heartbeat', async () => {
    const d = await enrollDevice(c.url);
    const beat = new Date(Date.now() - 120_000);
    await c.db.query('INSERT INTO collector_instances (id, heartbeat_at) VALUES ($1, $2)', ['ci_dead', beat]);
    await c.db.query(`UPDATE devices SET connected_via = 'ci_dead', connected_since = $2 WHERE id = $1`, [d.deviceId, new Date(Date.now() - 600_000)]);
    expect((await c.api(`/api/v1/devices/${d.deviceId}`)).body.connected).toBe(false);
    // Any live collector reaps it on its heartbeat.
    const { Presence } = await import('../../server/src/gateway/presence.js');
    const p = new Presence(c.db);
    await p.start();
    await p.heartbeat();
    await p.stop();
    const r = await c.db.query<{ connected_via: string | null; disconnected_at: Date }>('SELECT connected_via, disconnected_at FROM devices WHERE id = $1', [d.deviceId]);
    expect(r.rows[0].connected_via).toBeNull();
    expect(new Date(r.rows[0].disconnected_at).getTime()).toBe(beat.getTime());
  });

  it('help desk: re-check on an offline device is queued, pending, then shows the result when the device reports', async () => {
    const d = await enrollDevice(c.url, { hostname: 'lid-closed-laptop' });
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${c.url}/`);
    await page.waitForURL(/\/login/);
    await page.fill('input[name=username]', 'hugo');
    await page.fill('input[name=password]', 'hugo-long-password-1');
    await page.click('button[type=submit]');
    await page.waitForURL(`${c.url}/`);
    await page.goto(`${c.url}/devices`);
    expect(await page.textContent('#device-table')).toContain('offline');
    await page.goto(`${c.url}/devices/${d.deviceId}`);
    expect(await page.getAttribute('#presence', 'data-presence')).toBe('offline');
    await page.click('button[data-action="check-now"]');
    await page.waitForFunction(() => /queued/.test(document.getElementById('action-status')?.textContent ?? ''));
    expect(await page.textContent('#action-status')).toMatch(/offline: the re-check is queued and runs when it reconnects \(until .+\)\. Pending/);
    // Still pending after well over the old fixed 4-second reload.
    await page.reload();
    expect(await page.textContent('#recheck-status')).toMatch(/queued: it runs when the device reconnects \(until /);
    await page.screenshot({ path: shot('device-recheck-queued-offline'), fullPage: true });
    await new Promise((r) => setTimeout(r, 4500));
    expect(await page.locator('#recheck-status').count()).toBe(1);

    // The laptop wakes up: it gets the queued re-check and reports; the page reloads with the result.
    const s = await connectDevice(d);
    const cmd = await nextMessage(s.messages, (m) => m.type === 'command' && m.command === 'check-now');
    const r = await signedReport(d, { trigger: `check-now:${cmd.commandId}` });
    s.ws.send(JSON.stringify({ type: 'report', id: r.id, jws: r.jws }));
    await nextMessage(s.messages, (m) => m.type === 'ack' && m.id === r.id);
    await page.waitForSelector('#presence[data-presence="connected"]', { timeout: 20_000 });
    expect(await page.locator('#recheck-status').count()).toBe(0);
    expect(await page.textContent('#presence')).toMatch(/connected since/);
    await page.screenshot({ path: shot('device-recheck-result-connected'), fullPage: true });
    s.ws.close();
    await ctx.close();
  }, 90_000);
});
