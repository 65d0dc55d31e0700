/** Health, metrics and the collector's public keys. */
import type { FastifyInstance } from 'fastify';
import type { Ctx } from '../context.js';
import { historyJwks, keyHistory } from '../meta/collector-keys.js';

export function systemRoutes(ctx: Ctx) {
  return async (app: FastifyInstance) => {
    app.get('/healthz', { config: { auth: 'public' } }, async (_req, reply) => {
      // Healthy = this process serves and its database answers; the socket count helps LB dashboards.
      let db = 'ok';
      try {
        await Promise.race([ctx.db.query('SELECT 1'), new Promise((_, rej) => setTimeout(() => rej(new Error('timeout')), 2000).unref())]);
      } catch {
        db = 'unavailable';
      }
      reply.code(db === 'ok' ? 200 : 503);
      return { status: db === 'ok' ? 'ok' : 'degraded', db, version: ctx.version, connectedAgents: ctx.hub.size };
    });

    // Browsers ask for it on every page; answering "no icon" keeps a 404 out of their consoles.
    app.get('/favicon.ico', { config: { auth: 'public' } }, async (_req, reply) => reply.code(204).header('cache-control', 'public, max-age=86400').send());

    // Every evidence key the collector has used, with its validity: bundles signed before a
    // rotation verify against this set (npm run verify-evidence -- BUNDLE --jwks URL).
    app.get('/.well-known/jwks.json', { config: { auth: 'public' } }, async () => historyJwks(await keyHistory(ctx.db)));

    app.get('/metrics', { config: { auth: ['admin', 'auditor', 'helpdesk'] } }, async (_req, reply) => {
      const r = await ctx.db.query<{ state: string; n: string }>('SELECT state, count(*) AS n FROM devices WHERE revoked_at IS NULL AND archived_at IS NULL GROUP BY state');
      const states = Object.fromEntries(r.rows.map((x) => [x.state, Number(x.n)]));
      ctx.metrics.connected = ctx.hub.size;
      reply.type('text/plain; version=0.0.4');
      return ctx.metrics.render(states);
    });
  };
}
