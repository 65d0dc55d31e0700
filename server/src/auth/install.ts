/**
 * Authentication and authorization for every HTTP route. Each route declares what it
 * allows (config.auth); a route without a declaration fails at registration, so no route
 * can be public by accident. Bearer tokens work on every route, pages included, so a wall
 * screen or a script can use one; browser sessions must echo their CSRF token on writes.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '../db/types.js';
import { isDbUnavailable } from '../db/types.js';
import { ApiError, Errors } from '../shared/errors.js';
import { principalFromToken } from './tokens.js';
import { parseCookies, principalFromSession, SESSION_COOKIE } from './sessions.js';
import { safeEqual } from '../shared/crypto.js';
import type { RouteAuth } from './roles.js';

export interface RegisteredRoute {
  method: string;
  url: string;
  auth: RouteAuth;
  /** The route's declared schemas (body/querystring/params), for the route fuzz (test/attack). */
  schema?: { body?: unknown; querystring?: unknown; params?: unknown };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function installAuth(app: FastifyInstance, db: Db): RegisteredRoute[] {
  const routes: RegisteredRoute[] = [];
  app.decorateRequest('principal', null);

  app.addHook('onRoute', (opts) => {
    const auth = opts.config?.auth;
    if (!auth) throw new Error(`route ${opts.method} ${opts.url} does not declare config.auth`);
    for (const m of [opts.method].flat()) if (m !== 'HEAD') routes.push({ method: m, url: opts.url, auth, schema: opts.schema as RegisteredRoute['schema'] });
  });

  app.addHook('onRequest', async (req) => {
    const auth = req.routeOptions.config?.auth;
    if (!auth) return; // 404s: fastify's not-found handler has no route config
    req.principal = await resolvePrincipal(db, req).catch((e) => {
      if (isDbUnavailable(e)) throw Errors.dbUnavailable();
      throw e;
    });
    if (auth === 'public' || auth === 'device-link') return;
    const p = req.principal;
    if (!p) throw Errors.unauthorized();
    if (!auth.includes(p.role)) throw Errors.forbidden(`This needs one of the roles: ${auth.join(', ')}; you are ${p.role}.`);
  });

  // CSRF runs after body parsing so a plain HTML form can send the token as "_csrf".
  app.addHook('preHandler', async (req) => {
    const p = req.principal;
    if (!p || p.kind !== 'session' || SAFE_METHODS.has(req.method)) return;
    const auth = req.routeOptions.config?.auth;
    if (!auth || auth === 'public' || auth === 'device-link') return;
    const fromBody = (req.body as Record<string, unknown> | undefined)?._csrf;
    const sent = (req.headers['x-csrf-token'] as string | undefined) ?? (typeof fromBody === 'string' ? fromBody : '');
    if (!p.csrf || !safeEqual(sent, p.csrf)) throw new ApiError(403, 'POSTURE_ERR_CSRF', 'Missing or wrong CSRF token; reload the page and try again.');
  });
  return routes;
}

async function resolvePrincipal(db: Db, req: FastifyRequest) {
  const h = req.headers.authorization;
  if (h?.startsWith('Bearer ')) return principalFromToken(db, h.slice(7).trim());
  const cookie = parseCookies(req.headers.cookie)[SESSION_COOKIE];
  if (cookie) return principalFromSession(db, cookie);
  return null;
}
