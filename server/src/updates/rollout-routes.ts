/**
 * The rollout as people see and steer it: GET /api/v1/updates (fleet versions, rollout in
 * force, per-device update state, failures and rollbacks) for every role, and the help
 * desk's pause/resume (admin + helpdesk), each with a reason for the audit log.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Ctx } from '../context.js';
import { ALL_ROLES, OPERATORS } from '../auth/roles.js';
import { fleetUpdates, UPDATE_RESULTS, type UpdateResult } from './fleet.js';
import { setHold, watchHold } from './hold.js';

const Reason = Type.Object({ reason: Type.String({ minLength: 3, maxLength: 500 }) }, { additionalProperties: false });

export function rolloutRoutes(ctx: Ctx) {
  return async (app: FastifyInstance) => {
    const unwatch = await watchHold(ctx.db, ctx.policy, app.log);
    app.addHook('onClose', async () => unwatch());

    app.get<{ Querystring: { result?: UpdateResult; limit?: number; offset?: number } }>(
      '/api/v1/updates',
      {
        config: { auth: ALL_ROLES },
        schema: {
          querystring: Type.Object(
            {
              result: Type.Optional(Type.Union(UPDATE_RESULTS.map((r) => Type.Literal(r)))),
              limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
              offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (req) => fleetUpdates(ctx.db, ctx.policy, ctx.config.updatesDir, req.query),
    );

    for (const [action, paused] of [['pause', true], ['resume', false]] as const)
      app.post<{ Body: { reason: string } }>(`/api/v1/updates/${action}`, { config: { auth: OPERATORS }, schema: { body: Reason } }, async (req) => {
        const hold = await setHold(ctx.db, ctx.policy, { paused, reason: req.body.reason.trim(), actor: req.principal!.actor, ip: req.ip });
        return { hold };
      });
  };
}
