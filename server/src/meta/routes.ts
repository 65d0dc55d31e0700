/** The collector's own keys: rotating the evidence-signing key (admin only, audit-logged). */
import type { FastifyInstance } from 'fastify';
import type { Ctx } from '../context.js';
import { ADMIN } from '../auth/roles.js';
import { Errors } from '../shared/errors.js';
import { refreshSigningKey } from './collector-identity.js';
import { keyHistory, rotateSigningKey } from './collector-keys.js';

export function collectorKeyRoutes(ctx: Ctx) {
  return async (app: FastifyInstance) => {
    app.get('/api/v1/collector/evidence-keys', { config: { auth: ADMIN } }, async () => ({ keys: await keyHistory(ctx.db) }));

    app.post<{ Body: { reason?: unknown } | null | undefined }>('/api/v1/collector/evidence-key/rotate', { config: { auth: ADMIN } }, async (req) => {
      const body = req.body ?? {};
      if (typeof body !== 'object' || Array.isArray(body)) throw Errors.badRequest('The body must be a JSON object ({"reason": "..."}) or empty.', 'POSTURE_ERR_VALIDATION');
      const reason = body.reason;
      if (reason !== undefined && reason !== null && (typeof reason !== 'string' || reason.length > 500))
        throw Errors.badRequest('reason: must be a string of at most 500 characters.', 'POSTURE_ERR_VALIDATION');
      const r = await rotateSigningKey(ctx.db, { actor: req.principal!.actor, ip: req.ip, reason: (reason as string | undefined) ?? null });
      await refreshSigningKey(ctx.db, ctx.identity);
      return { kid: r.kid, previousKid: r.previousKid, validFrom: r.at, note: 'Bundles exported from now on are signed with the new key; the previous key stays in the published key history (/.well-known/jwks.json) with its validity.' };
    });
  };
}
