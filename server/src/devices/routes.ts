/** Device inventory and compliance API: list, detail, report history, timeline, actions. */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { randomUUID } from 'node:crypto';
import { CheckIdSchema } from '#shared/checks/ids.js';
import { MAX_CUSTOM_CHECKS } from '#shared/custom-checks/schema.js';
import { DEVICE_STATES } from '#shared/policy/evaluate.js';
import type { Ctx } from '../context.js';
import { ALL_ROLES, OPERATORS } from '../auth/roles.js';
import { Errors } from '../shared/errors.js';
import { audit } from '../audit/log.js';
import { deviceEventsPage, deviceReports, getDevice, listDevices } from './dal.js';
import { checkNowDelivery, issueCheckNow } from './check-now.js';
import { presentCheck, presentDevice } from './present.js';
import { presentRemediation } from '../mydevice/remediation.js';
import type { CheckId } from '#shared/checks/ids.js';
import { groupNamesOf } from '../groups/dal.js';
import { LIVE_SQL } from './lifecycle.js';

const ListQuery = Type.Object(
  {
    state: Type.Optional(Type.Union([...DEVICE_STATES, 'revoked'].map((s) => Type.Literal(s)))),
    failingCheck: Type.Optional(CheckIdSchema),
    platform: Type.Optional(Type.String({ maxLength: 32 })),
    /** Only current members of this device group (server/src/groups/). */
    group: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' })),
    osVersion: Type.Optional(Type.String({ maxLength: 64 })),
    q: Type.Optional(Type.String({ maxLength: 200 })),
    seenBefore: Type.Optional(Type.String({ format: 'date-time' })),
    seenAfter: Type.Optional(Type.String({ format: 'date-time' })),
    sort: Type.Optional(Type.Union(['hostname', 'last_seen', 'state', 'os', 'owner', 'deadline'].map((s) => Type.Literal(s)))),
    order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000, default: 0 })),
    includeRevoked: Type.Optional(Type.Boolean()),
    /** true: only archived devices (hidden otherwise). */
    archived: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
type ListQuery = Static<typeof ListQuery>;
const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

export function deviceRoutes(ctx: Ctx) {
  return async (app: FastifyInstance) => {
    app.get<{ Querystring: ListQuery }>('/api/v1/devices', { config: { auth: ALL_ROLES }, schema: { querystring: ListQuery } }, async (req) => {
      const q = req.query;
      const r = await listDevices(ctx.db, q as never);
      return { total: r.total, limit: q.limit ?? 50, offset: q.offset ?? 0, items: r.items.map(presentDevice) };
    });

    app.get<{ Params: { id: string } }>('/api/v1/devices/:id', { config: { auth: ALL_ROLES }, schema: { params: IdParams } }, async (req) => {
      const d = await getDevice(ctx.db, req.params.id);
      if (!d) throw Errors.notFound('Device');
      return {
        ...presentDevice(d),
        inventory: d.inventory,
        connected: d.connected === true || ctx.hub.isLocal(d.id),
        reportsApplied: Number(d.reports_projected),
        spoolEvicted: Number(d.spool_evicted),
        // Remediation as the employee sees it: the policy's company steps/link override the agent's.
        checks: d.checks.map((c) => ({ ...presentCheck(c), remediation: presentRemediation(ctx.policy.policy, d.platform, c.id as CheckId, c.remediation) })),
        exclusions: d.exclusions,
        // Its device groups (their policy overrides apply; GET /api/v1/devices/:id/groups explains them).
        groups: (await groupNamesOf(ctx.db, [d.id])).get(d.id) ?? [],
      };
    });

    app.get<{ Params: { id: string }; Querystring: { limit?: number; cursor?: string; verbatim?: boolean } }>(
      '/api/v1/devices/:id/reports',
      {
        config: { auth: ALL_ROLES },
        schema: {
          params: IdParams,
          querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 20 })), cursor: Type.Optional(Type.String({ maxLength: 200 })), verbatim: Type.Optional(Type.Boolean()) }),
        },
      },
      async (req) => {
        await requireDevice(ctx, req.params.id);
        const r = await deviceReports(ctx.db, req.params.id, req.query.limit ?? 20, req.query.cursor);
        return {
          items: r.items.map((x) => ({
            reportId: x.report_id,
            collectedAt: new Date(x.collected_at).toISOString(),
            receivedAt: new Date(x.received_at).toISOString(),
            seq: Number(x.seq),
            kid: x.kid,
            trigger: x.trigger,
            summary: x.summary,
            ...(req.query.verbatim ? { jws: x.jws } : {}),
          })),
          nextCursor: r.nextCursor,
        };
      },
    );

    app.get<{ Params: { id: string }; Querystring: { limit?: number; before?: string } }>(
      '/api/v1/devices/:id/events',
      {
        config: { auth: ALL_ROLES },
        schema: { params: IdParams, querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 200 })), before: Type.Optional(Type.String({ maxLength: 100 })) }) },
      },
      async (req) => {
        await requireDevice(ctx, req.params.id);
        // A long-lived laptop has more than one page of state changes; nextBefore fetches the older ones.
        return deviceEventsPage(ctx.db, req.params.id, req.query.limit ?? 200, req.query.before);
      },
    );

    app.post<{ Params: { id: string }; Body: { checks?: string[] } }>(
      '/api/v1/devices/:id/check-now',
      {
        config: { auth: OPERATORS },
        schema: { params: IdParams, body: Type.Optional(Type.Object({ checks: Type.Optional(Type.Array(CheckIdSchema, { maxItems: 6 + MAX_CUSTOM_CHECKS })) }, { additionalProperties: false })) },
      },
      async (req, reply) => {
        const commandId = await issueCheckNow(ctx, req.params.id, req.principal!.actor, req.body?.checks, req.ip);
        reply.code(202);
        return { commandId, ...(await checkNowDelivery(ctx, req.params.id)) };
      },
    );

    app.post<{ Params: { id: string }; Body: { reason?: string } }>(
      '/api/v1/devices/:id/revoke',
      { config: { auth: OPERATORS }, schema: { params: IdParams, body: Type.Optional(Type.Object({ reason: Type.Optional(Type.String({ maxLength: 500 })) })) } },
      async (req) => {
        const ok = await ctx.db.tx(async (q) => {
          const r = await q.query('UPDATE devices SET revoked_at = now(), revoked_by = $2 WHERE id = $1 AND revoked_at IS NULL AND deleted_at IS NULL', [req.params.id, req.principal!.actor]);
          if (r.rowCount === 0) return false;
          await q.query('UPDATE device_keys SET revoked_at = now() WHERE device_id = $1 AND revoked_at IS NULL', [req.params.id]);
          await audit(q, { actor: req.principal!.actor, action: 'device.revoke', target: req.params.id, ip: req.ip, detail: { reason: req.body?.reason ?? null } });
          return true;
        });
        if (!ok) {
          const exists = await ctx.db.query('SELECT 1 FROM devices WHERE id = $1 AND deleted_at IS NULL', [req.params.id]);
          throw exists.rows.length ? Errors.conflict('This device is already revoked.', 'POSTURE_ERR_CONFLICT') : Errors.notFound('Device');
        }
        // Closes the live socket at once, here or on whichever collector holds it.
        await ctx.hub.deviceChanged(req.params.id, 'revoked');
        return { ok: true };
      },
    );

    app.post<{ Params: { id: string } }>('/api/v1/devices/:id/restore', { config: { auth: ['admin'] }, schema: { params: IdParams } }, async (req) => {
      // Restoring lets the machine enroll again with a NEW key; revoked keys stay revoked. A deleted
      // device is never restored (devices/lifecycle.ts): its machine enrolls as a new device.
      const ok = await ctx.db.tx(async (q) => {
        const r = await q.query('UPDATE devices SET revoked_at = NULL, revoked_by = NULL WHERE id = $1 AND revoked_at IS NOT NULL AND deleted_at IS NULL', [req.params.id]);
        if (r.rowCount) await audit(q, { actor: req.principal!.actor, action: 'device.restore', target: req.params.id, ip: req.ip });
        return r.rowCount > 0;
      });
      if (!ok) throw Errors.notFound('Revoked device');
      await ctx.hub.deviceChanged(req.params.id, 'keys-changed');
      return { ok: true };
    });

    app.post<{ Params: { id: string } }>('/api/v1/devices/:id/rotate-key', { config: { auth: ['admin'] }, schema: { params: IdParams } }, async (req, reply) => {
      // The agent generates a new key and proves possession of old and new; see commands/rotate-key.ts.
      const commandId = `cmd_${randomUUID()}`;
      await ctx.db.tx(async (q) => {
        const d = await q.query('SELECT 1 FROM devices WHERE id = $1 AND revoked_at IS NULL', [req.params.id]);
        if (!d.rows[0]) throw Errors.notFound('Active device');
        await q.query('INSERT INTO commands (id, device_id, command, created_by, delivered_at) VALUES ($1,$2,$3,$4, now())', [commandId, req.params.id, 'rotate-key', req.principal!.actor]);
        await audit(q, { actor: req.principal!.actor, action: 'device.rotate_key', target: req.params.id, ip: req.ip, detail: { commandId } });
      });
      await ctx.hub.sendCommand(req.params.id, { type: 'command', commandId, command: 'rotate-key' });
      reply.code(202);
      return { commandId };
    });

    app.get<{ Params: { id: string; commandId: string } }>('/api/v1/devices/:id/commands/:commandId', { config: { auth: ALL_ROLES } }, async (req) => {
      await requireDevice(ctx, req.params.id);
      const r = await ctx.db.query('SELECT id, command, created_at, delivered_at, completed_at, result FROM commands WHERE id = $1 AND device_id = $2', [req.params.commandId, req.params.id]);
      if (!r.rows[0]) throw Errors.notFound('Command');
      return r.rows[0];
    });
  };
}

/** 404 for an unknown device id, so an empty history is not mistaken for "no reports yet". */
async function requireDevice(ctx: Ctx, id: string): Promise<void> {
  const r = await ctx.db.query(`SELECT 1 FROM devices WHERE id = $1 AND ${LIVE_SQL}`, [id]);
  if (!r.rows[0]) throw Errors.notFound('Device');
}
