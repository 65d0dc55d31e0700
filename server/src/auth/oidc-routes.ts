/** GET /auth/oidc/login and /auth/oidc/callback (public: they are the way in). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Ctx } from '../context.js';
import { audit } from '../audit/log.js';
import { newId } from '../shared/crypto.js';
import { ApiError } from '../shared/errors.js';
import { createSession, parseCookies } from './sessions.js';
import { OIDC_BROWSER_COOKIE, OidcClient } from './oidc.js';
import { sessionCookie } from '../dashboard/login.js';
import { loginPage } from '../dashboard/login.js';
import { addPageSecurityHeaders } from '../dashboard/security.js';

import { cookiesSecure, sameOriginPath as safeNext } from '../http/origin.js';

export function oidcRoutes(ctx: Ctx) {
  return async (app: FastifyInstance) => {
    addPageSecurityHeaders(app);
    const cfg = ctx.config.oidc;
    const client = cfg ? new OidcClient(cfg, ctx.db) : null;
    const redirectUri = (req: FastifyRequest) => cfg?.redirectUrl ?? `${ctx.config.publicUrl ?? `${req.protocol}://${req.host}`}/auth/oidc/callback`;
    const need = () => {
      if (!client) throw new ApiError(404, 'POSTURE_ERR_NOT_FOUND', 'Single sign-on is not configured (POSTURE_OIDC_ISSUER).');
      return client;
    };

    app.get('/auth/oidc/login', { config: { auth: 'public' } }, async (req: FastifyRequest<{ Querystring: { next?: string } }>, reply) => {
      const { url, browser } = await need().begin(redirectUri(req), safeNext(req.query.next));
      // Lax, so the cookie comes back on the provider's top-level redirect to the callback.
      reply.header('set-cookie', `${OIDC_BROWSER_COOKIE}=${browser}; Path=/auth/oidc; HttpOnly; SameSite=Lax; Max-Age=600${cookiesSecure(ctx.config, req) ? '; Secure' : ''}`);
      return reply.redirect(url, 302);
    });

    app.get(
      '/auth/oidc/callback',
      { config: { auth: 'public' } },
      async (req: FastifyRequest<{ Querystring: { code?: string; state?: string; error?: string } }>, reply) => {
        const q = req.query;
        const clear = `${OIDC_BROWSER_COOKIE}=; Path=/auth/oidc; HttpOnly; SameSite=Lax; Max-Age=0`;
        const fail = async (actor: string, message: string, detail?: object) => {
          await audit(ctx.db, { actor, action: 'auth.login', outcome: 'failed', ip: req.ip, detail: { method: 'oidc', reason: message, ...detail } });
          return reply.code(401).header('set-cookie', clear).type('text/html').send(loginPage('/', `Single sign-on failed: ${message}`, true));
        };
        let r;
        try {
          r = await need().finish({ ...q, browser: parseCookies(req.headers.cookie)[OIDC_BROWSER_COOKIE], redirectUri: redirectUri(req) });
        } catch (e) {
          if (e instanceof ApiError && e.statusCode === 404) throw e;
          return fail('oidc:unknown', (e as Error).message);
        }
        const sub = String(r.claims.sub);
        const name = String(r.claims.email ?? r.claims.preferred_username ?? r.claims.name ?? sub).slice(0, 200);
        // One users row per subject; the provider's claims are authoritative for the role on every sign-in.
        const username = `oidc:${sub}`.slice(0, 100);
        if (!r.role) return fail(`user:${username}`, 'your account is not mapped to any Posture role; ask an administrator.', { claim: ctx.config.oidc!.roleClaim, values: r.claims[ctx.config.oidc!.roleClaim] ?? null });
        const u = await ctx.db.query<{ id: string; disabled_at: Date | null }>(
          `INSERT INTO users (id, username, display_name, role, source) VALUES ($1,$2,$3,$4,'oidc')
           ON CONFLICT (username) DO UPDATE SET role = EXCLUDED.role, display_name = EXCLUDED.display_name RETURNING id, disabled_at`,
          [newId('usr'), username, name, r.role],
        );
        if (u.rows[0].disabled_at) return fail(`user:${username}`, 'this account is disabled in Posture.');
        const s = await createSession(ctx.db, u.rows[0].id);
        await audit(ctx.db, { actor: `user:${username}`, action: 'auth.login', ip: req.ip, detail: { method: 'oidc', role: r.role, name } });
        return reply.header('set-cookie', [clear, sessionCookie(s.cookie, cookiesSecure(ctx.config, req))]).redirect(safeNext(r.next), 303);
      },
    );
  };
}
