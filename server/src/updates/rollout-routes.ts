/**
 * The rollout as people see and steer it: GET /api/v1/updates (fleet versions, rollout in
 * force, per-device update state, failures and rollbacks) for every role, and the help
 * desk's pause/resume (admin + helpdesk), each with a reason for the audit log.
 */
import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { audit } from '../audit/log.js';
import type { Ctx } from '../context.js';
import { ALL_ROLES, OPERATORS } from '../auth/roles.js';
import { fleetUpdates, UPDATE_RESULTS, type UpdateResult } from './fleet.js';

const ResultName = Type.Union(UPDATE_RESULTS.map((r) => Type.Literal(r)));
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
              result: Type.Optional(ResultName),
              limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
              offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (req) => fleetUpdates(ctx.db, ctx.policy, ctx.config.updatesDir, req.query),
    );

    // The whole fleet (or the devices with one result, e.g. `pending`) asked to check now: one
    // transaction and ONE audit entry, instead of a call (and an audit append) per device,
    // which caps a fleet-wide push at the audit chain's rate (docs/benchmarks.md, Session 4).
    // Offline devices get theirs when they connect (within 24 h, like any update-now).
    app.post<{ Body: { reason: string; result?: UpdateResult } }>(
      '/api/v1/updates/update-now',
      { config: { auth: OPERATORS }, schema: { body: Type.Object({ reason: Type.String({ minLength: 3, maxLength: 500 }), result: Type.Optional(ResultName) }, { additionalProperties: false }) } },
      async (req, reply) => {
        const ids = req.body.result
          ? (await fleetUpdates(ctx.db, ctx.policy, ctx.config.updatesDir, { result: req.body.result, limit: Number.MAX_SAFE_INTEGER })).devices.map((d) => d.deviceId)
          : (await ctx.db.query<{ id: string }>('SELECT id FROM devices WHERE revoked_at IS NULL')).rows.map((r) => r.id);
        const cmds = ids.map((device_id) => ({ id: `cmd_${randomUUID()}`, device_id }));
        await ctx.db.tx(async (q) => {
          if (cmds.length)
            await q.query(
              `INSERT INTO commands (id, device_id, command, created_by, delivered_at)
               SELECT x.id, x.device_id, 'update-now', $2, now() FROM jsonb_to_recordset($1::jsonb) AS x(id text, device_id text)
               WHERE EXISTS (SELECT 1 FROM devices d WHERE d.id = x.device_id AND d.revoked_at IS NULL)`,
              [JSON.stringify(cmds), req.principal!.actor],
            );
          await audit(q, { actor: req.principal!.actor, action: 'updates.update_now', target: 'updates:rollout', ip: req.ip, detail: { reason: req.body.reason.trim(), devices: cmds.length, ...(req.body.result ? { result: req.body.result } : {}) } });
        });
        for (const c of cmds) await ctx.hub.sendCommand(c.device_id, { type: 'command', commandId: c.id, command: 'update-now' });
        reply.code(202);
        return { devices: cmds.length, paused: ctx.policy.updatesHeldNow };
      },
    );

    for (const [action, paused] of [['pause', true], ['resume', false]] as const)
      app.post<{ Body: { reason: string } }>(`/api/v1/updates/${action}`, { config: { auth: OPERATORS }, schema: { body: Reason } }, async (req) => {
        const hold = await setHold(ctx.db, ctx.policy, { paused, reason: req.body.reason.trim(), actor: req.principal!.actor, ip: req.ip });
        return { hold };
      });
  };
}
