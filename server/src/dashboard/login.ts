/** Sign-in (local user + password, or an API token) and sign-out for the dashboard. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Ctx } from '../context.js';
import { ALL_ROLES } from '../auth/roles.js';
import { principalFromToken } from '../auth/tokens.js';
import { createSession, deleteSession, SESSION_COOKIE, SESSION_TTL_MS } from '../auth/sessions.js';
import { verifyPassword, newId } from '../shared/crypto.js';
import { audit } from '../audit/log.js';
import { LoginThrottle } from '../auth/login-throttle.js';
import { html } from './html.js';
import { layout } from './layout.js';

import { randomBytes } from 'node:crypto';
import { parseCookies } from '../auth/sessions.js';
import { safeEqual } from '../shared/crypto.js';
import { collectorOrigin, cookiesSecure, sameOriginPath as safeNext } from '../http/origin.js';
import { CostCap } from '../http/semaphore.js';

/** Pre-session CSRF token for the sign-in form (login CSRF: a forged form must not sign the victim in as the attacker). */
export const LOGIN_CSRF_COOKIE = 'posture_login_csrf';
const loginCsrfCookie = (v: string, secure: boolean) => `${LOGIN_CSRF_COOKIE}=${v}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600${secure ? '; Secure' : ''}`;

export function loginPage(next: string, error?: string, oidc = false, csrf = ''): string {
  return layout({
    title: 'Sign in',
    principal: null,
    body: html`<h1>Sign in to Posture</h1>${error ? html`<p class="err" id="login-error">${error}</p>` : ''}
<form method="post" action="/login" class="stack">
<input type="hidden" name="next" value="${next}"><input type="hidden" name="_csrf" value="${csrf}">
<label>Username <input name="username" autocomplete="username"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<p class="muted">or</p>
<label>API token <input name="token" type="password" autocomplete="off"></label>
<button type="submit">Sign in</button></form>
${oidc ? html`<p><a href="/auth/oidc/login${next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}">Sign in with single sign-on</a></p>` : ''}`,
  });
}

export function sessionCookie(value: string, secure: boolean, maxAgeMs = SESSION_TTL_MS): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${Math.floor(maxAgeMs / 1000)}${secure ? '; Secure' : ''}`;
}

// scrypt of a random password: compared against when the username does not exist.
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$' + Buffer.alloc(32).toString('base64');

export function loginRoutes(ctx: Ctx) {
  const throttle = new LoginThrottle();
  // Two hashes at a time (2 cores), a few waiting; beyond that sign-in answers 429 (Retry-After) at once.
  const hashing = new CostCap(2, 8);
  return async (app: FastifyInstance) => {
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });

    app.get('/login', { config: { auth: 'public' } }, async (req: FastifyRequest<{ Querystring: { next?: string } }>, reply) => {
      const csrf = parseCookies(req.headers.cookie)[LOGIN_CSRF_COOKIE] || randomBytes(18).toString('base64url');
      return reply.header('set-cookie', loginCsrfCookie(csrf, cookiesSecure(ctx.config, req))).type('text/html').send(loginPage(safeNext(req.query.next), undefined, !!ctx.config.oidc, csrf));
    });

    app.post('/login', { config: { auth: 'public' } }, async (req: FastifyRequest<{ Body: Record<string, string> }>, reply) => {
      const b = (req.body ?? {}) as Record<string, string>;
      const next = safeNext(b.next);
      const csrf = parseCookies(req.headers.cookie)[LOGIN_CSRF_COOKIE] ?? '';
      // A browser (it sends Origin / Sec-Fetch-Site) must post from our own page with its form token;
      // a script without those headers cannot be a forged cross-site form.
      const origin = req.headers.origin;
      const fromBrowser = origin !== undefined || req.headers['sec-fetch-site'] !== undefined;
      if (fromBrowser && ((origin !== undefined && origin !== collectorOrigin(ctx.config, req)) || req.headers['sec-fetch-site'] === 'cross-site' || !csrf || !safeEqual(String(b._csrf ?? ''), csrf))) {
        ctx.refusals.record({ action: 'auth.login', source: req.ip, reason: 'csrf' });
        return reply.code(403).type('text/html').send(loginPage(next, 'This sign-in form has expired or did not come from this site; please try again.', !!ctx.config.oidc, csrf));
      }
      const keys = LoginThrottle.keys(b.username ? String(b.username) : undefined, req.ip);
      const wait = throttle.blockedFor(keys);
      if (wait > 0) {
        ctx.refusals.record({ action: 'auth.login', actor: `user:${String(b.username ?? '').slice(0, 100)}`, source: req.ip, reason: 'throttled' });
        return reply.code(429).header('retry-after', String(Math.ceil(wait / 1000))).type('text/html')
          .send(loginPage(next, `Too many failed sign-ins; try again in ${Math.ceil(wait / 60_000)} minute(s).`, !!ctx.config.oidc, csrf));
      }
      let userId: string | null = null;
      let boundToken: { id: string; expiresAt: Date | null } | undefined;
      let actor = `user:${String(b.username ?? '').slice(0, 100)}`;
      if (b.token) {
        const p = await principalFromToken(ctx.db, String(b.token));
        if (p) {
          // A token sign-in gets a session user named after the token, with the token's role.
          actor = p.actor;
          const name = p.actor.slice(0, 100);
          const u = await ctx.db.query<{ id: string }>(
            `INSERT INTO users (id, username, role, source) VALUES ($1, $2, $3, 'token')
             ON CONFLICT (username) DO UPDATE SET role = EXCLUDED.role RETURNING id`,
            [newId('usr'), name, p.role],
          );
          userId = u.rows[0].id;
          boundToken = { id: p.tokenId!, expiresAt: p.tokenExpiresAt ?? null };
        }
      } else if (b.username && b.password) {
        const u = await ctx.db.query<{ id: string; password_hash: string | null; disabled_at: Date | null }>(
          'SELECT id, password_hash, disabled_at FROM users WHERE username = $1 AND source = $2',
          [String(b.username).slice(0, 100), 'local'],
        );
        const row = u.rows[0];
        // Hash even for unknown users so response time does not reveal which usernames exist.
        const ok = await hashing.tryRun(() => verifyPassword(String(b.password).slice(0, 1000), row?.password_hash ?? DUMMY_HASH));
        if (ok === null) {
          ctx.refusals.record({ action: 'auth.login', source: req.ip, reason: 'busy' });
          return reply.code(429).header('retry-after', '2').type('text/html').send(loginPage(next, 'Sign-in is busy right now; try again in a few seconds.', !!ctx.config.oidc, csrf));
        }
        if (ok && row?.password_hash && !row.disabled_at) userId = row.id;
      }
      if (!userId) {
        throttle.fail(keys);
        await audit(ctx.db, { actor, action: 'auth.login', outcome: 'failed', ip: req.ip });
        return reply.code(401).type('text/html').send(loginPage(next, 'Sign-in failed: check the username and password, or the token.', !!ctx.config.oidc, csrf));
      }
      throttle.succeed(keys);
      const s = await createSession(ctx.db, userId, boundToken);
      await audit(ctx.db, { actor, action: 'auth.login', ip: req.ip });
      return reply.header('set-cookie', sessionCookie(s.cookie, cookiesSecure(ctx.config, req))).redirect(next, 303);
    });

    app.post('/logout', { config: { auth: ALL_ROLES } }, async (req, reply) => {
      if (req.principal?.sessionHash) await deleteSession(ctx.db, req.principal.sessionHash);
      await audit(ctx.db, { actor: req.principal!.actor, action: 'auth.logout', ip: req.ip });
      return reply.header('set-cookie', sessionCookie('', cookiesSecure(ctx.config, req), 0)).redirect('/login', 303);
    });
  };
}
