/**
 * OIDC single sign-on against a real OpenID provider (oidc-provider) started here, driven
 * through its own login and consent pages by a real browser: authorization code + PKCE,
 * state bound to the browser, nonce, ID token verified against the provider's JWKS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import type { Browser } from 'playwright-core';
import { startTestCollector, type TestCollector } from '../helpers/collector.js';
import { launchBrowser, shot } from '../dashboard/browser.js';

const GROUPS: Record<string, string[]> = { alice: ['eng', 'it-helpdesk'], carol: ['it-admins', 'it-helpdesk'], mallory: ['contractors'] };

describe('OIDC sign-in (pglite)', () => {
  let c: TestCollector;
  let idp: Server;
  let issuer: string;
  let browser: Browser;

  beforeAll(async () => {
    // The issuer URL must be known before the provider exists: reserve the port first.
    idp = createServer();
    await new Promise<void>((r) => idp.listen(0, '127.0.0.1', r));
    issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
    c = await startTestCollector('pglite', {
      POSTURE_OIDC_ISSUER: issuer,
      POSTURE_OIDC_CLIENT_ID: 'posture',
      POSTURE_OIDC_CLIENT_SECRET: 'posture-client-secret-0123456789',
      POSTURE_OIDC_ROLE_CLAIM: 'groups',
      POSTURE_OIDC_ROLE_MAP: JSON.stringify({ 'it-admins': 'admin', 'it-helpdesk': 'helpdesk', auditors: 'auditor' }),
    });
    const provider = new Provider(issuer, {
      clients: [{
        client_id: 'posture', client_secret: 'posture-client-secret-0123456789',
        redirect_uris: [`${c.url}/auth/oidc/callback`], grant_types: ['authorization_code'], response_types: ['code'],
      }],
      // Any login name is accepted by the provider's development login form; claims come from here.
      findAccount: async (_ctx: unknown, id: string) => ({ accountId: id, claims: async () => ({ sub: id, email: `${id}@example.com`, groups: GROUPS[id] ?? [] }) }),
      claims: { openid: ['sub'], email: ['email'], groups: ['groups'] },
      cookies: { keys: ['oidc-test-cookie-key-0123456789'] },
      pkce: { required: () => true },
    } as never);
    idp.on('request', provider.callback());
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await c?.cleanup();
    await new Promise((r) => idp?.close(r));
  });

  async function signIn(login: string, name: string) {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${c.url}/login`);
    await page.click('text=Sign in with single sign-on');
    await page.waitForURL(new RegExp(`^${issuer}/interaction/`));
    await page.fill('input[name=login]', login);
    await page.fill('input[name=password]', 'any');
    await page.click('button[type=submit]');
    // Consent for the requested scopes, then back to the collector.
    await page.waitForURL(new RegExp(`^${issuer}/interaction/`));
    await page.click('button[type=submit]');
    await page.waitForURL(new RegExp(`^${c.url}/`));
    await page.screenshot({ path: shot(name) });
    return { ctx, page };
  }

  it('signs in through the provider and maps the most privileged group to a role', async () => {
    const { ctx, page } = await signIn('carol', 'oidc-admin-signed-in');
    expect(new URL(page.url()).pathname).toBe('/');
    await expect(page.locator('h1').first().textContent()).resolves.toBe('Fleet');
    expect(await page.locator('.who').textContent()).toContain('admin');
    const u = await c.db.query<{ role: string; source: string; display_name: string }>("SELECT role, source, display_name FROM users WHERE username = 'oidc:carol'");
    expect(u.rows[0]).toEqual({ role: 'admin', source: 'oidc', display_name: 'carol@example.com' });
    // The session works for the API too (same cookie).
    const res = await page.request.get(`${c.url}/api/v1/users`);
    expect(res.status()).toBe(200);
    const a = await c.api('/api/v1/audit?action=auth.login&actor=oidc:carol');
    expect(a.body.items[0].outcome).toBe('ok');
    expect(a.body.items[0].detail.method).toBe('oidc');
    await ctx.close();
  }, 60_000);

  it('a helpdesk group gets helpdesk, which cannot read users', async () => {
    const { ctx, page } = await signIn('alice', 'oidc-helpdesk-signed-in');
    expect(await page.locator('.who').textContent()).toContain('helpdesk');
    expect((await page.request.get(`${c.url}/api/v1/users`)).status()).toBe(403);
    await ctx.close();
  }, 60_000);

  it('refuses a user whose claims map to no role, and logs the failure', async () => {
    const { ctx, page } = await signIn('mallory', 'oidc-unmapped-refused');
    expect(await page.locator('#login-error').textContent()).toMatch(/not mapped to any Posture role/);
    expect((await page.request.get(`${c.url}/api/v1/devices`)).status()).toBe(401);
    const u = await c.db.query("SELECT 1 FROM users WHERE username = 'oidc:mallory'");
    expect(u.rows).toHaveLength(0);
    const a = await c.api('/api/v1/audit?action=auth.login&outcome=failed');
    expect(a.body.items[0].actor).toBe('user:oidc:mallory');
    expect(a.body.items[0].detail.values).toEqual(['contractors']);
    await ctx.close();
  }, 60_000);

  it('refuses a callback whose state is not bound to this browser', async () => {
    // Start a login to get a genuine state, then present it without the browser cookie.
    const start = await fetch(`${c.url}/auth/oidc/login`, { redirect: 'manual' });
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    const r = await fetch(`${c.url}/auth/oidc/callback?code=abc&state=${state}`, { redirect: 'manual' });
    expect(r.status).toBe(401);
    expect(r.headers.get('set-cookie') ?? '').not.toContain('posture_session=');
    const forged = await fetch(`${c.url}/auth/oidc/callback?code=abc&state=forged`, { redirect: 'manual', headers: { cookie: 'posture_oidc=whatever' } });
    expect(forged.status).toBe(401);
  });
});
