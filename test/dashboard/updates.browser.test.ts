/**
 * Agent updates page in a real browser (issue 15): versions in the fleet, per-device state
 * with failures and rollbacks linked to their devices, and the help desk pausing the rollout
 * with a reason (audit-logged; a connected agent is told to hold) and resuming it. An auditor
 * sees the page without the pause form. Screenshots in test-artifacts/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCollector, type TestCollector } from '../helpers/collector.js';
import { connectDevice, enrollDevice, makePayload, nextMessage, signJson } from '../helpers/device.js';
import { signingKey } from '../../server/src/updates/tuf-keys.js';
import { addRelease, initRepo } from '../../server/src/updates/repo.js';
import { launchBrowser, shot, signInWithToken } from './browser.js';

const key = () => signingKey(generateKeyPairSync('ed25519').privateKey);

describe('Agent updates page (real browser)', () => {
  let dir: string;
  let c: TestCollector;
  let browser: Browser;
  const socks: Awaited<ReturnType<typeof connectDevice>>[] = [];
  const ids: Record<string, string> = {};
  let helpdesk: string;
  let auditor: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'posture-updpage-'));
    const repo = join(dir, 'repo');
    const k = { root: key(), targets: key(), snapshot: key(), timestamp: key() };
    initRepo(repo, k);
    mkdirSync(join(dir, 'a'));
    for (const v of ['1.4.0', '1.5.0']) {
      const f = join(dir, 'a', `posture-agent-${v}`);
      writeFileSync(f, `agent ${v}`);
      addRelease(repo, k, { version: v, channel: 'stable', artefacts: [{ target: 'linux-x64', file: f }] });
    }
    c = await startTestCollector('pglite', { POSTURE_UPDATES_DIR: repo });
    const tok = async (role: string) => (await c.api('/api/v1/tokens', { method: 'POST', body: JSON.stringify({ role, label: `updates page ${role}`, expiresInDays: 1 }) })).body.token;
    helpdesk = await tok('helpdesk');
    auditor = await tok('auditor');
    const now = Date.now();
    for (const [name, version, st] of [
      ['ws-updated', '1.5.0', { state: 'committed', from: '1.4.0', to: '1.5.0' }],
      ['ws-rolled', '1.4.0', { state: 'rolled-back', from: '1.4.0', to: '1.5.0', reason: 'version 1.5.0 did not deliver a report within 120s' }],
      ['ws-waiting', '1.4.0', null],
    ] as const) {
      const d = await enrollDevice(c.url, { hostname: name });
      const s = await connectDevice(d);
      socks.push(s);
      ids[name] = d.deviceId;
      await nextMessage(s.messages, (m) => m.type === 'features');
      const p = { ...makePayload(d, { hostname: name }), agentVersion: version };
      s.ws.send(JSON.stringify({ type: 'report', id: p.reportId, jws: await signJson(d.key, p) }));
      await nextMessage(s.messages, (m) => m.type === 'ack');
      if (st) s.ws.send(JSON.stringify({ type: 'update-status', ...st, at: new Date(now - 60_000).toISOString() }));
    }
    for (let i = 0; i < 100 && (await c.api('/api/v1/updates')).body.failures.length < 1; i++) await new Promise((r) => setTimeout(r, 50));
    browser = await launchBrowser();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    for (const s of socks) s.ws.close();
    await c?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows versions, states and the rollback; the help desk pauses and resumes with a reason', async () => {
    const page = await browser.newPage();
    await signInWithToken(page, c.url, helpdesk);
    await page.click('header nav a[href="/updates"]');
    await page.waitForSelector('#update-devices');
    expect(await page.textContent('#versions')).toMatch(/1\.4\.0\s*2[\s\S]*1\.5\.0\s*1/);
    expect(await page.textContent(`#update-devices tr[data-device-id="${ids['ws-rolled']}"]`)).toContain('rolled back');
    expect(await page.textContent(`#update-devices tr[data-device-id="${ids['ws-updated']}"]`)).toContain('updated');
    expect(await page.textContent(`#update-devices tr[data-device-id="${ids['ws-waiting']}"]`)).toMatch(/1\.4\.0\s*1\.5\.0\s*pending/);
    // The rollback is listed with a link to its device.
    expect(await page.getAttribute('#failures a', 'href')).toBe(`/devices/${ids['ws-rolled']}`);
    expect(await page.textContent('#failures')).toContain('did not deliver a report within 120s');
    await page.screenshot({ path: shot('updates-page'), fullPage: true });
    // The device link leads to the device page, which says what its last update did.
    await Promise.all([page.waitForURL(`${c.url}/devices/${ids['ws-rolled']}`), page.click('#failures a')]);
    expect(await page.textContent('#device-update')).toMatch(/rolled back \(1\.4\.0 kept, 1\.5\.0 failed\).*did not deliver a report within 120s/);
    await page.goto(`${c.url}/updates`);

    // Pause: the confirm dialog is accepted, the reason is required by the form.
    const waiting = socks[2];
    const mark = waiting.messages.length;
    page.on('dialog', (d) => void d.accept());
    await page.fill('#pause-form input[name=reason]', 'CHG-77: hold 1.5.0 until the VPN fix');
    await Promise.all([page.waitForEvent('framenavigated'), page.click('#pause-form button[type=submit]')]);
    await page.waitForSelector('#resume-form');
    expect(await page.textContent('#rollout-state')).toMatch(/paused by token:\S+.*CHG-77: hold 1\.5\.0 until the VPN fix/);
    expect(await page.textContent(`#update-devices tr[data-device-id="${ids['ws-waiting']}"]`)).toContain('held (paused)');
    const push = await nextMessage(waiting.messages, (m) => waiting.messages.indexOf(m) >= mark && m.command === 'policy-update');
    expect(push.policy.updates.paused).toBe(true);
    expect((await c.api('/api/v1/audit?action=updates.pause')).body.items[0].detail.reason).toBe('CHG-77: hold 1.5.0 until the VPN fix');
    await page.screenshot({ path: shot('updates-paused'), fullPage: true });

    await page.fill('#resume-form input[name=reason]', 'VPN fix shipped');
    await Promise.all([page.waitForEvent('framenavigated'), page.click('#resume-form button[type=submit]')]);
    await page.waitForSelector('#pause-form');
    expect(await page.textContent('#rollout-state')).toContain('running');
    expect(await page.textContent('#rollout-state')).toContain('VPN fix shipped');
    // Running again, the pending device is asked to check now (one call, one audit entry).
    await page.fill('#push-form input[name=reason]', 'take 1.5.0 now');
    await Promise.all([page.waitForEvent('framenavigated'), page.click('#push-form button[type=submit]')]);
    await nextMessage(waiting.messages, (m) => m.command === 'update-now');
    expect((await c.api('/api/v1/audit?action=updates.update_now')).body.items[0].detail).toMatchObject({ reason: 'take 1.5.0 now', devices: 1, result: 'pending' });
    await page.close();
  }, 90_000);

  it('an auditor sees the page but no pause form', async () => {
    const page = await browser.newPage();
    await signInWithToken(page, c.url, auditor);
    await page.goto(`${c.url}/updates?result=rolled-back`);
    expect(await page.$('#pause-form')).toBeNull();
    expect(await page.$$eval('#update-devices tr[data-device-id]', (rows) => rows.length)).toBe(1);
    await page.screenshot({ path: shot('updates-auditor-rolled-back'), fullPage: true });
    await page.close();
  }, 60_000);
});
