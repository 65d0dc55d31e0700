/**
 * Employee self-registration (issue 14) against a real OpenID provider (oidc-provider) started
 * on another site (localhost vs the collector on 127.0.0.1, so SameSite=Strict cookies are withheld
 * on its redirect back, as in production) and driven by Chromium through its login and consent pages: the employee opens the
 * My-device link, signs in with the company SSO and becomes the owner (source `employee`) with
 * the ID token's subject and email recorded; ten later signed reports leave the owner alone; an
 * owner set by IT is not replaced by a claim; the claim grants no dashboard access even to an
 * account the provider maps to admin; a claim started for one device is never applied to another.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestCollector, type TestCollector } from '../helpers/collector.js';
import { backends } from '../helpers/db.js';
import { deviceToken } from '../helpers/device.js';
import { MY_DEVICE_AUDIENCE_SUFFIX } from '../../shared/src/protocol/messages.js';
import { reportingDevice, type ReportingDevice } from '../dashboard/fleet.js';
import { launchBrowser, shot } from '../dashboard/browser.js';

// dana is an admin at the provider: the claim must still not make her a dashboard user.
const ACCOUNTS: Record<string, { email: string; groups: string[] }> = {
  dana: { email: 'Dana.Smith@Example.COM', groups: ['it-admins'] },
  erin: { email: 'erin@example.com', groups: [] },
  frank: { email: 'frank@example.com', groups: [] },
};

describe.each(backends())('claiming a device through company SSO on %s (real provider, real browser)', (backend) => {
  let c: TestCollector;
  let idp: Server;
  let issuer: string;
  let browser: Browser;
  const devices: Record<string, ReportingDevice> = {};

  beforeAll(async () => {
    idp = createServer();
    await new Promise<void>((r) => idp.listen(0, '127.0.0.1', r));
    // Another site than the collector (127.0.0.1), as a real provider is: the My-device cookie
    // (SameSite=Strict) is then withheld on the provider's redirect back, as it is in production.
    issuer = `http://localhost:${(idp.address() as AddressInfo).port}`;
    c = await startTestCollector(backend, {
      POSTURE_OIDC_ISSUER: issuer,
      POSTURE_OIDC_CLIENT_ID: 'posture',
      POSTURE_OIDC_CLIENT_SECRET: 'posture-client-secret-0123456789',
      POSTURE_OIDC_ROLE_CLAIM: 'groups',
      POSTURE_OIDC_ROLE_MAP: JSON.stringify({ 'it-admins': 'admin' }),
    });
    const provider = new Provider(issuer, {
      clients: [{
        client_id: 'posture', client_secret: 'posture-client-secret-0123456789',
        redirect_uris: [`${c.url}/auth/oidc/callback`, `${c.url}/my-device/claim/callback`], grant_types: ['authorization_code'], response_types: ['code'],
      }],
      findAccount: async (_ctx: unknown, id: string) => ({ accountId: id, claims: async () => ({ sub: id, email: ACCOUNTS[id]?.email ?? `${id}@example.com`, groups: ACCOUNTS[id]?.groups ?? [] }) }),
      claims: { openid: ['sub'], email: ['email'], groups: ['groups'] },
      // The email in the ID token itself (as Okta, Entra and Google issue it), not only in userinfo.
      conformIdTokenClaims: false,
      cookies: { keys: ['oidc-test-cookie-key-0123456789'] },
      pkce: { required: () => true },
    } as never);
    idp.on('request', provider.callback());
    for (const h of ['dana-laptop', 'it-laptop', 'frank-laptop', 'spare-laptop']) {
      devices[h] = await reportingDevice(c.url, h);
      await devices[h].report();
    }
    // The person exists already (lower-case, from an earlier import): the claim must match it.
    expect((await c.api('/api/v1/people', { method: 'POST', body: JSON.stringify({ email: 'dana.smith@example.com', displayName: 'Dana Smith' }) })).status).toBe(201);
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    for (const d of Object.values(devices)) d.close();
    await browser?.close();
    await c?.cleanup();
    await new Promise((r) => idp?.close(r));
  });

  const link = async (host: string) => {
    const d = devices[host];
    return `${c.url}/my-device?t=${await deviceToken(d.key, d.deviceId, d.audience + MY_DEVICE_AUDIENCE_SUFFIX, 600)}`;
  };
  async function openMyDevice(ctx: BrowserContext, host: string): Promise<Page> {
    const page = await ctx.newPage();
    await page.goto(await link(host));
    await page.waitForURL(`${c.url}/my-device`);
    return page;
  }
  /** Click the claim button and get to the provider's login form. */
  async function startClaim(page: Page) {
    await page.click('#claim');
    await page.waitForURL(new RegExp(`^${issuer}/interaction/`));
  }
  /** Log in at the provider and consent; resolves on the collector's page after the claim step. */
  async function finishAtProvider(page: Page, login: string) {
    await page.fill('input[name=login]', login);
    await page.fill('input[name=password]', 'any');
    await page.click('button[type=submit]');
    await page.waitForURL(new RegExp(`^${issuer}/interaction/`));
    await page.click('button[type=submit]');
    await page.waitForSelector('#claim-result');
    // The page leaves the single-use claim step's address, so a reload shows the page itself.
    await expect.poll(() => new URL(page.url()).pathname).toBe('/my-device');
  }
  const owner = async (host: string) =>
    (await c.db.query<{ owner: string | null; owner_source: string | null; owner_person_id: string | null; email: string | null }>(
      'SELECT d.owner, d.owner_source, d.owner_person_id, p.email FROM devices d LEFT JOIN people p ON p.id = d.owner_person_id WHERE d.id = $1',
      [devices[host].deviceId],
    )).rows[0];

  it('an employee claims the unclaimed device; the owner is set with source employee and survives ten reports', async () => {
    const ctx = await browser.newContext();
    const page = await openMyDevice(ctx, 'dana-laptop');
    expect(await page.locator('#owner').innerText()).toContain('Is this your laptop?');
    expect(await page.locator('#claim').innerText()).toContain(`Sign in with company SSO (${new URL(issuer).host})`);
    await page.screenshot({ path: shot(`my-device-claim-prompt${backend === 'pg' ? '-pg' : ''}`) });

    await startClaim(page);
    const callback = page.waitForRequest((r) => r.url().startsWith(`${c.url}/my-device/claim/callback?`));
    await finishAtProvider(page, 'dana');
    const callbackReq = await callback;
    const callbackUrl = callbackReq.url();
    // Cross-site return: only the Lax claim cookie came back, not the Strict My-device session.
    const sent = (await callbackReq.allHeaders()).cookie ?? '';
    expect(sent).toContain('posture_claim=');
    expect(sent).not.toContain('posture_my_device=');
    expect(await page.locator('#claim-result').getAttribute('data-ok')).toBe('1');
    expect(await page.locator('#claim-result').innerText()).toContain('now registered to dana.smith@example.com');
    expect(await page.locator('#owner').innerText()).toContain('registered to dana.smith@example.com');
    await page.screenshot({ path: shot(`my-device-claimed${backend === 'pg' ? '-pg' : ''}`) });
    await page.reload();
    expect(await page.locator('#claim-result').count()).toBe(0);
    expect(await page.locator('#owner').getAttribute('data-owner-source')).toBe('employee');

    // The existing person (matched case-insensitively), source employee.
    const person = (await c.db.query<{ id: string }>("SELECT id FROM people WHERE lower(email) = 'dana.smith@example.com'")).rows;
    expect(person).toHaveLength(1);
    expect(await owner('dana-laptop')).toEqual({ owner: 'dana.smith@example.com', owner_source: 'employee', owner_person_id: person[0].id, email: 'dana.smith@example.com' });
    // Recorded with the ID token's subject and email: a device event and an audit entry.
    const ev = (await c.db.query<{ actor: string; detail: Record<string, unknown> }>("SELECT actor, detail FROM device_events WHERE device_id = $1 AND kind = 'owner.changed'", [devices['dana-laptop'].deviceId])).rows;
    expect(ev).toHaveLength(1);
    expect(ev[0].detail).toMatchObject({ sub: 'dana', email: 'Dana.Smith@Example.COM', issuer, to: { personId: person[0].id, source: 'employee' } });
    const au = await c.api(`/api/v1/audit?action=device.owner_set`);
    const entry = au.body.items.find((x: { target: string }) => x.target === devices['dana-laptop'].deviceId);
    expect(entry.actor).toBe('employee:Dana.Smith@Example.COM');
    expect(entry.detail).toMatchObject({ sub: 'dana', email: 'Dana.Smith@Example.COM' });

    // No dashboard access from the claim, though the provider maps dana to admin.
    await page.goto(`${c.url}/`);
    expect(new URL(page.url()).pathname).toBe('/login');
    expect((await page.request.get(`${c.url}/api/v1/devices`)).status()).toBe(401);
    expect((await c.db.query("SELECT 1 FROM users WHERE username LIKE 'oidc:%'")).rows).toHaveLength(0);
    expect((await c.db.query('SELECT count(*)::int AS n FROM sessions')).rows[0]).toEqual({ n: 0 });
    expect((await ctx.cookies()).map((k) => k.name)).not.toContain('posture_session');

    // Ten later reports (each naming "alice" as the logged-in user) leave the claimed owner alone.
    for (let i = 0; i < 10; i++) await devices['dana-laptop'].report();
    const after = await c.db.query<{ n: number }>('SELECT count(*)::int AS n FROM reports WHERE device_id = $1', [devices['dana-laptop'].deviceId]);
    expect(after.rows[0].n).toBeGreaterThanOrEqual(11);
    expect(await owner('dana-laptop')).toMatchObject({ owner: 'dana.smith@example.com', owner_source: 'employee', owner_person_id: person[0].id });
    expect((await c.db.query<{ inferred_owner: string }>('SELECT inferred_owner FROM devices WHERE id = $1', [devices['dana-laptop'].deviceId])).rows[0].inferred_owner).toBe('alice');

    // The provider's callback URL replayed in another browser holding another device's session: refused, nothing changes.
    const other = await browser.newContext();
    const p2 = await openMyDevice(other, 'spare-laptop');
    const res = await p2.goto(callbackUrl);
    expect(res!.status()).toBe(401);
    expect(await owner('spare-laptop')).toMatchObject({ owner_person_id: null });
    await other.close();
    await ctx.close();
  }, 180_000);

  it('an owner set by IT is not overwritten by a claim, and the page says so', async () => {
    const ctx = await browser.newContext();
    const page = await openMyDevice(ctx, 'it-laptop');
    await startClaim(page);
    // While the employee is at the provider, IT assigns the device.
    const put = await c.api(`/api/v1/devices/${devices['it-laptop'].deviceId}/owner`, { method: 'PUT', body: JSON.stringify({ email: 'it-choice@example.com' }) });
    expect(put.status).toBe(200);
    await finishAtProvider(page, 'erin');
    expect(await page.locator('#claim-result').getAttribute('data-ok')).toBe('0');
    expect(await page.locator('#claim-result').innerText()).toContain('does not change an owner set by IT');
    expect(await page.locator('#owner').innerText()).toContain('IT assigned this computer to it-choice@example.com');
    expect(await page.locator('#claim').count()).toBe(0);
    await page.screenshot({ path: shot(`my-device-claim-admin-owner${backend === 'pg' ? '-pg' : ''}`) });
    expect(await owner('it-laptop')).toMatchObject({ owner: 'it-choice@example.com', owner_source: 'admin' });
    // The refused claim is audited and created no person for the claimer.
    const au = await c.api('/api/v1/audit?action=device.owner_claim&outcome=failed');
    expect(au.body.items.some((x: { target: string; detail: { sub: string } }) => x.target === devices['it-laptop'].deviceId && x.detail.sub === 'erin')).toBe(true);
    expect((await c.db.query("SELECT 1 FROM people WHERE email = 'erin@example.com'")).rows).toHaveLength(0);
    // Starting a claim on an IT-owned device is refused outright.
    const start = await page.evaluate(async () => {
      const r = await fetch('/my-device/claim/start', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': document.getElementById('recheck')!.getAttribute('data-csrf')! }, body: '{}' });
      return { status: r.status, body: await r.json() };
    });
    expect(start.status).toBe(409);
    expect(start.body.error.code).toBe('POSTURE_ERR_OWNER_OUTRANKED');
    await ctx.close();
  }, 180_000);

  it('a claim started for device A is not applied to device B', async () => {
    const ctx = await browser.newContext();
    const pageA = await openMyDevice(ctx, 'frank-laptop');
    await startClaim(pageA);
    // Same browser: device B's link is opened meanwhile, so the My-device session is now B's.
    const pageB = await openMyDevice(ctx, 'spare-laptop');
    expect(await pageB.locator('h1').innerText()).toContain('spare-laptop');
    await finishAtProvider(pageA, 'frank');
    expect(await pageA.locator('h1').innerText()).toContain('spare-laptop');
    expect(await pageA.locator('#claim-result').getAttribute('data-ok')).toBe('0');
    expect(await pageA.locator('#claim-result').innerText()).toContain('started for another computer');
    await pageA.screenshot({ path: shot(`my-device-claim-other-device${backend === 'pg' ? '-pg' : ''}`) });
    expect(await owner('spare-laptop')).toMatchObject({ owner_person_id: null });
    expect(await owner('frank-laptop')).toMatchObject({ owner_person_id: null });
    const au = await c.api('/api/v1/audit?action=device.owner_claim&outcome=failed');
    const entry = au.body.items.find((x: { target: string }) => x.target === devices['spare-laptop'].deviceId);
    expect(entry.detail).toMatchObject({ claimedFor: devices['frank-laptop'].deviceId, sub: 'frank' });
    await ctx.close();
  }, 180_000);

  it('a claim sign-in cannot be finished at the dashboard callback (and so never becomes a login)', async () => {
    const ctx = await browser.newContext();
    const page = await openMyDevice(ctx, 'frank-laptop');
    const started = await page.evaluate(async () => {
      const r = await fetch('/my-device/claim/start', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': document.getElementById('recheck')!.getAttribute('data-csrf')! }, body: '{}' });
      return (await r.json()) as { url: string };
    });
    const u = new URL(started.url);
    expect(u.searchParams.get('redirect_uri')).toBe(`${c.url}/my-device/claim/callback`);
    expect(u.searchParams.get('code_challenge_method')).toBe('S256');
    expect(u.searchParams.get('nonce')).toBeTruthy();
    const browserCookie = (await ctx.cookies(`${c.url}/my-device/claim/callback`)).find((k) => k.name === 'posture_claim')!.value;
    const r = await fetch(`${c.url}/auth/oidc/callback?code=abc&state=${u.searchParams.get('state')}`, { redirect: 'manual', headers: { cookie: `posture_oidc=${browserCookie}` } });
    expect(r.status).toBe(401);
    expect(await r.text()).toContain('Unknown or mismatched sign-in state');
    expect(r.headers.get('set-cookie') ?? '').not.toContain('posture_session=');
    await ctx.close();
  }, 60_000);
});
