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

const safeNext = (n: unknown) => (typeof n === 'string' && n.startsWith('/') && !n.startsWith('//') && n.length < 500 ? n : '/');

export function loginPage(next: string, error?: string, oidc = false): string {
  return layout({
    title: 'Sign in',
    principal: null,
    body: html`<h1>Sign in to Posture</h1>${error ? html`<p class="err" id="login-error">${error}</p>` : ''}
<form method="post" action="/login" class="stack">
<input type="hidden" name="next" value="${next}">
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
  return async (app: FastifyInstance) => {
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });

    app.get('/login', { config: { auth: 'public' } }, async (req: FastifyRequest<{ Querystring: { next?: string } }>, reply) =>
      reply.type('text/html').send(loginPage(safeNext(req.query.next), undefined, !!ctx.config.oidc)),
    );

    app.post('/login', { config: { auth: 'public' } }, async (req: FastifyRequest<{ Body: Record<string, string> }>, reply) => {
      const b = (req.body ?? {}) as Record<string, string>;
      const next = safeNext(b.next);
      const keys = [`ip:${req.ip}`, ...(b.username ? [`user:${String(b.username).slice(0, 100).toLowerCase()}`] : [])];
      const wait = throttle.blockedFor(keys);
      if (wait > 0) {
        await audit(ctx.db, { actor: `user:${String(b.username ?? '').slice(0, 100)}`, action: 'auth.login', outcome: 'denied', ip: req.ip, detail: { reason: 'throttled' } });
        return reply.code(429).header('retry-after', String(Math.ceil(wait / 1000))).type('text/html')
          .send(loginPage(next, `Too many failed sign-ins; try again in ${Math.ceil(wait / 60_000)} minute(s).`, !!ctx.config.oidc));
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
        const ok = await verifyPassword(String(b.password).slice(0, 1000), row?.password_hash ?? DUMMY_HASH);
        if (ok && row?.password_hash && !row.disabled_at) userId = row.id;
      }
      if (!userId) {
        throttle.fail(keys);
        await audit(ctx.db, { actor, action: 'auth.login', outcome: 'failed', ip: req.ip });
        return reply.code(401).type('text/html').send(loginPage(next, 'Sign-in failed: check the username and password, or the token.', !!ctx.config.oidc));
      }
      throttle.succeed(keys);
      const s = await createSession(ctx.db, userId, boundToken);
      await audit(ctx.db, { actor, action: 'auth.login', ip: req.ip });
      return reply.header('set-cookie', sessionCookie(s.cookie, !!ctx.config.tlsCert)).redirect(next, 303);
    });

    app.post('/logout', { config: { auth: ALL_ROLES } }, async (req, reply) => {
      if (req.principal?.sessionHash) await deleteSession(ctx.db, req.principal.sessionHash);
      await audit(ctx.db, { actor: req.principal!.actor, action: 'auth.logout', ip: req.ip });
      return reply.header('set-cookie', sessionCookie('', false, 0)).redirect('/login', 303);
    });
  };
}
