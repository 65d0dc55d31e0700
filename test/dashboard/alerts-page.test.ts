/**
 * Issue 18 #6 in real chromium: an admin adds webhooks on the Alerts page (URL, events, own or
 * generated secret shown once), presses Send test and sees the receiver's answer, and the
 * delivery log shows delivered and failed tests with the HTTP status and error. The test
 * message reaching the real receiver verifies with the secret the page showed. The help desk
 * has no Alerts page. Edit changes URL, events and enabled with the refused field's message
 * beside it, audited as a diff. Screenshots in test-artifacts/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestCollector, type TestCollector } from '../helpers/collector.js';
import { verifyWebhook } from '../../server/src/alerts/signature.js';
import { receiver } from '../helpers/webhook-receiver.js';
import { launchBrowser, shot } from './browser.js';

describe('Alerts page in chromium (pglite)', () => {
  let c: TestCollector;
  let browser: Browser;
  let ok: Awaited<ReturnType<typeof receiver>>, broken: typeof ok;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    ok = await receiver(() => 200);
    broken = await receiver(() => 500);
    c = await startTestCollector('pglite');
    for (const [username, role] of [['ada', 'admin'], ['hugo', 'helpdesk']])
      expect((await c.api('/api/v1/users', { method: 'POST', body: JSON.stringify({ username, password: `${username}-long-password-1`, role }) })).status).toBe(201);
    browser = await launchBrowser();
  }, 90_000);
  afterAll(async () => {
    for (const x of contexts) await x.close().catch(() => {});
    await browser?.close();
    await c?.cleanup();
    for (const r of [ok, broken]) await r?.close();
  });

  async function signedIn(username: string): Promise<Page> {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    contexts.push(ctx);
    const page = await ctx.newPage();
    await page.goto(`${c.url}/login`);
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', `${username}-long-password-1`);
    await page.click('button[type=submit]');
    await page.waitForURL(`${c.url}/`);
    return page;
  }

  it('admin: add a webhook, Send test reaches the receiver signed with the shown secret; a failing one is logged as failed', async () => {
    const page = await signedIn('ada');
    await page.click('header nav a[href="/alerts"]');
    await page.waitForURL(`${c.url}/alerts`);
    expect(await page.locator('#no-webhooks').count()).toBe(1);

    // No event ticked: refused with the field named, nothing stored.
    await page.fill('#webhook-form input[name=url]', ok.url);
    for (const e of ['noncompliant', 'stale']) await page.uncheck(`#webhook-form input[name=events][value=${e}]`);
    await page.click('#webhook-form button[type=submit]');
    await expect(page.locator('#webhook-form .form-status').innerText()).resolves.toContain('events');
    expect((await c.api('/api/v1/webhooks')).body.items).toEqual([]);

    await page.fill('#webhook-form input[name=label]', 'IT channel');
    for (const e of ['noncompliant', 'recovered']) await page.check(`#webhook-form input[name=events][value=${e}]`);
    await page.click('#webhook-form button[type=submit]');
    await page.locator('#webhook-result').waitFor({ state: 'visible' });
    const secret = await page.locator('#webhook-result-value').innerText();
    expect(secret).toMatch(/^whsec_/);
    const row = page.locator('#webhooks-table tr[data-webhook-id]');
    await expect(row.count()).resolves.toBe(1);
    expect(await row.innerText()).toContain('noncompliant, recovered');
    expect(await row.innerText()).not.toContain(ok.url); // masked: origin only
    await page.screenshot({ path: shot('alerts-page-created'), fullPage: true });
    const stored = (await c.api('/api/v1/webhooks')).body.items;
    expect(stored).toMatchObject([{ label: 'IT channel', url: ok.url, events: ['noncompliant', 'recovered'] }]);

    await row.locator('button[data-action="webhook-test"]').click();
    await page.waitForFunction(() => /Test (delivered|failed)/.test(document.getElementById('action-status')?.textContent ?? ''));
    expect(await page.locator('#action-status').innerText()).toMatch(/^Test delivered: the receiver answered HTTP 200 in \d+ ms\.$/);
    expect(ok.hits).toHaveLength(1);
    const h = ok.hits[0];
    expect(h.body).toMatchObject({ kind: 'test', test: true });
    expect(h.body.text).toContain('sent by user:ada');
    expect(verifyWebhook(secret, String(h.headers['x-posture-timestamp']), h.raw, String(h.headers['x-posture-signature']))).toBe(true);

    // A second webhook with its own secret, whose receiver is broken.
    await page.reload();
    await page.fill('#webhook-form input[name=label]', 'SIEM');
    await page.fill('#webhook-form input[name=url]', broken.url);
    await page.fill('#webhook-form input[name=secret]', 'siem-own-secret-0123456789');
    await page.click('#webhook-form button[type=submit]');
    await page.locator('#webhook-result').waitFor({ state: 'visible' });
    expect(await page.locator('#webhook-result-value').innerText()).toBe('siem-own-secret-0123456789');
    const siem = page.locator('#webhooks-table tr[data-webhook-id]').nth(1);
    await siem.locator('button[data-action="webhook-test"]').click();
    await page.waitForFunction(() => /Test (delivered|failed)/.test(document.getElementById('action-status')?.textContent ?? ''));
    expect(await page.locator('#action-status').innerText()).toBe('Test failed: HTTP 500.');
    expect(verifyWebhook('siem-own-secret-0123456789', String(broken.hits[0].headers['x-posture-timestamp']), broken.hits[0].raw, String(broken.hits[0].headers['x-posture-signature']))).toBe(true);

    await page.reload();
    const log = page.locator('#deliveries-table tr[data-delivery-id]');
    expect(await log.count()).toBe(2);
    const failed = page.locator('#deliveries-table tr[data-status="failed"]');
    expect(await failed.innerText()).toContain('SIEM');
    expect(await failed.innerText()).toContain('HTTP 500');
    const delivered = page.locator('#deliveries-table tr[data-status="delivered"]');
    expect(await delivered.innerText()).toContain('IT channel');
    expect(await delivered.innerText()).toContain('200');
    await page.locator('#deliveries').screenshot({ path: shot('alerts-page-delivery-log') });
    await page.screenshot({ path: shot('alerts-page-full'), fullPage: true });

    // Rotate the first webhook's secret from the page: the new one is shown once and signs from then on.
    page.once('dialog', (d) => void d.accept());
    await page.locator('#webhooks-table tr[data-webhook-id]').first().locator('form.rotate-secret button').click();
    await page.waitForFunction((old) => {
      const v = document.getElementById('webhook-result-value')?.textContent ?? '';
      return !document.getElementById('webhook-result')?.hidden && v !== '' && v !== old;
    }, secret);
    const rotated = await page.locator('#webhook-result-value').innerText();
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(secret);
    const audit = (await c.api('/api/v1/audit?action=webhook.rotate_secret')).body.items;
    expect(audit).toHaveLength(1);
    const before = ok.hits.length;
    await page.locator('#webhooks-table tr[data-webhook-id]').first().locator('button[data-action="webhook-test"]').click();
    await expect.poll(() => ok.hits.length, { timeout: 20_000 }).toBe(before + 1);
    const last = ok.hits.at(-1)!;
    expect(verifyWebhook(rotated, String(last.headers['x-posture-timestamp']), last.raw, String(last.headers['x-posture-signature']))).toBe(true);
    expect(verifyWebhook(secret, String(last.headers['x-posture-timestamp']), last.raw, String(last.headers['x-posture-signature']))).toBe(false);
  }, 120_000);

  it('admin: Edit changes URL, events and enabled; a refused field shows its message beside it; audited as a diff; the secret is not shown', async () => {
    const made = await c.api('/api/v1/webhooks', { method: 'POST', body: JSON.stringify({ label: 'To edit', url: `${ok.url}/old-path-credential`, events: ['stale'] }) });
    expect(made.status).toBe(201);
    const id = made.body.id as string;
    const page = await signedIn('ada');
    await page.goto(`${c.url}/alerts`);
    const row = page.locator(`#webhooks-table tr[data-webhook-id="${id}"]`);
    expect(await row.innerHTML()).not.toContain(made.body.secret);
    expect(await row.innerHTML()).not.toContain('old-path-credential'); // the URL's path is not on the page, even in the form
    await row.locator('details.webhook-edit summary').click();
    const form = row.locator('form[data-webhook-edit]');
    expect(await form.locator('input[name=url]').inputValue()).toBe('');
    expect(await form.locator('input[name=events][value=stale]').isChecked()).toBe(true);

    // A URL the API refuses: the message is beside the URL field, nothing changes.
    await form.locator('input[name=url]').fill('ftp://files.example.com/drop');
    await form.locator('button[type=submit]').click();
    await expect.poll(() => form.locator('[data-error-for=url]').innerText()).toContain('http');
    expect(await form.locator('input[name=url]').getAttribute('aria-invalid')).toBe('true');
    expect(await form.locator('[data-error-for=events]').innerText()).toBe('');
    await row.screenshot({ path: shot('alerts-page-edit-refused-url') });
    // No event ticked: the message is beside the events.
    await form.locator('input[name=url]').fill('');
    await form.locator('input[name=events][value=stale]').uncheck();
    await form.locator('button[type=submit]').click();
    await expect.poll(() => form.locator('[data-error-for=events]').innerText()).toContain('events');
    expect(await form.locator('[data-error-for=url]').innerText()).toBe('');
    const unchanged = (await c.api('/api/v1/webhooks')).body.items.find((w: any) => w.id === id);
    expect(unchanged).toMatchObject({ url: `${ok.url}/old-path-credential`, events: ['stale'], enabled: true });

    // A valid change: new URL, two events, disabled.
    await form.locator('input[name=url]').fill(`${broken.url}/new`);
    await form.locator('input[name=events][value=noncompliant]').check();
    await form.locator('input[name=events][value=recovered]').check();
    await form.locator('input[name=enabled]').uncheck();
    const nav = page.waitForEvent('framenavigated');
    await form.locator('button[type=submit]').click();
    await nav;
    await page.waitForLoadState('load');
    const after = (await c.api('/api/v1/webhooks')).body.items.find((w: any) => w.id === id);
    expect(after).toMatchObject({ label: 'To edit', url: `${broken.url}/new`, events: ['noncompliant', 'recovered'], enabled: false });
    const fresh = page.locator(`#webhooks-table tr[data-webhook-id="${id}"]`);
    expect(await fresh.innerText()).toContain('noncompliant, recovered');
    expect(await fresh.innerText()).toContain('disabled');
    await page.screenshot({ path: shot('alerts-page-edited'), fullPage: true });

    // Audited with a readable diff (origins only), shown one line per setting on the audit page.
    const entry = (await c.api(`/api/v1/audit?action=webhook.update&target=${id}`)).body.items[0];
    const origin = (u: string) => new URL(u).origin;
    expect(entry.detail.changes).toEqual([
      { path: 'url', from: `${origin(ok.url)}/…`, to: `${origin(broken.url)}/…` },
      { path: 'events', from: ['stale'], to: ['noncompliant', 'recovered'] },
      { path: 'enabled', from: true, to: false },
    ]);
    expect(JSON.stringify(entry)).not.toContain('old-path-credential');
    await page.goto(`${c.url}/audit?action=webhook.update`);
    const cell = await page.locator('#audit-table ul.changes').first().innerText();
    expect(cell).toContain('enabled: true → false');
    expect(cell).toContain('events: ["stale"] → ["noncompliant","recovered"]');
    await page.locator('#audit-table').screenshot({ path: shot('alerts-page-edit-audit') });

    // Enable and disable go through the same audited change (one service function).
    expect((await c.api(`/api/v1/webhooks/${id}/enable`, { method: 'POST', body: '{}' })).body).toEqual({ ok: true, enabled: true });
    const en = (await c.api(`/api/v1/audit?action=webhook.enable&target=${id}`)).body.items[0];
    expect(en.detail.changes).toEqual([{ path: 'enabled', from: false, to: true }]);
  }, 120_000);

  it('the help desk has no Alerts page', async () => {
    const page = await signedIn('hugo');
    expect(await page.locator('header nav a').allTextContents()).not.toContain('Alerts');
    const res = await page.goto(`${c.url}/alerts`);
    expect(res?.status()).toBe(403);
  }, 60_000);
});
