/**
 * Exclusions: a device (or one of its checks) is excused from the policy for a stated reason
 * until a date. Creating or revoking one re-evaluates the device from its latest report in the
 * same transaction (see reevaluate.ts), so the dashboard shows the effect at once and the
 * state change lands in state_events like any other; the audit log records who and why.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { CheckIdSchema } from '#shared/checks/ids.js';
import { policyCheckIds } from '#shared/checks/catalogue.js';
import type { Ctx } from '../context.js';
import { ALL_ROLES, OPERATORS } from '../auth/roles.js';
import { Errors } from '../shared/errors.js';
import { newId } from '../shared/crypto.js';
import { audit } from '../audit/log.js';
import { alertKinds } from '../jobs/scheduler.js';
import { reevaluateDevice } from './reevaluate.js';

const MAX_DAYS = 366;
const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
const Body = Type.Object(
  {
    checkId: Type.Union([CheckIdSchema, Type.Literal('*')]),
    rationale: Type.String({ minLength: 10, maxLength: 2000 }),
    expiresAt: Type.String({ format: 'date-time', maxLength: 40 }),
  },
  { additionalProperties: false },
);
type Body = Static<typeof Body>;

const present = (e: Record<string, any>) => ({
  id: e.id,
  deviceId: e.device_id,
  checkId: e.check_id,
  rationale: e.rationale,
  approvedBy: e.approved_by,
  createdAt: new Date(e.created_at).toISOString(),
  expiresAt: new Date(e.expires_at).toISOString(),
  revokedAt: e.revoked_at ? new Date(e.revoked_at).toISOString() : null,
  revokedBy: e.revoked_by ?? null,
  active: !e.revoked_at && new Date(e.expires_at).getTime() > Date.now(),
});

export function exclusionRoutes(ctx: Ctx) {
  return async (app: FastifyInstance) => {
    app.post<{ Params: { id: string }; Body: Body }>(
      '/api/v1/devices/:id/exclusions',
      { config: { auth: OPERATORS }, schema: { params: IdParams, body: Body } },
      async (req, reply) => {
        const b = req.body;
        // A custom id must be one the policy declares: an exclusion of nothing would mislead auditors.
        if (b.checkId !== '*' && !(policyCheckIds(ctx.policy.policy) as string[]).includes(b.checkId))
          throw Errors.badRequest(`checkId: the policy in force declares no check ${b.checkId}.`, 'POSTURE_ERR_VALIDATION');
        if (b.rationale.trim().length < 10) throw Errors.badRequest('The rationale must say why, in at least 10 characters.', 'POSTURE_ERR_VALIDATION');
        const exp = new Date(b.expiresAt);
        if (exp.getTime() <= Date.now()) throw Errors.badRequest('expiresAt must be in the future.', 'POSTURE_ERR_VALIDATION');
        if (exp.getTime() > Date.now() + MAX_DAYS * 86_400_000) throw Errors.badRequest('An exclusion can last at most one year; renew it when it expires.', 'POSTURE_ERR_VALIDATION');
        const actor = req.principal!.actor;
        const id = newId('exc');
        const result = await ctx.db.tx(async (q) => {
          const d = await q.query('SELECT 1 FROM devices WHERE id = $1 AND revoked_at IS NULL', [req.params.id]);
          if (!d.rows[0]) throw Errors.notFound('Active device');
          const r = await q.query('INSERT INTO exclusions (id, device_id, check_id, rationale, approved_by, expires_at) VALUES ($1,$2,$3,$4,$5,$6) RETURNING *', [
            id, req.params.id, b.checkId, b.rationale.trim(), actor, exp,
          ]);
          await audit(q, { actor, action: 'exclusion.create', target: req.params.id, ip: req.ip, detail: { exclusionId: id, checkId: b.checkId, rationale: b.rationale.trim(), expiresAt: exp.toISOString() } });
          const change = await reevaluateDevice(q, ctx.policy.policy, req.params.id, alertKinds(ctx.webhooks), { exclusion: id, by: actor });
          return { row: r.rows[0], change };
        });
        reply.code(201);
        return { ...present(result.row), deviceState: result.change?.to };
      },
    );

    app.get<{ Params: { id: string }; Querystring: { all?: boolean } }>(
      '/api/v1/devices/:id/exclusions',
      { config: { auth: ALL_ROLES }, schema: { params: IdParams, querystring: Type.Object({ all: Type.Optional(Type.Boolean()) }) } },
      async (req) => {
        // An unknown device is a 404, as for its reports and events, not "no exclusions".
        if (!(await ctx.db.query('SELECT 1 FROM devices WHERE id = $1 AND deleted_at IS NULL', [req.params.id])).rows[0]) throw Errors.notFound('Device');
        const r = await ctx.db.query(
          `SELECT * FROM exclusions WHERE device_id = $1 ${req.query.all ? '' : 'AND revoked_at IS NULL AND expires_at > now()'} ORDER BY created_at DESC LIMIT 500`,
          [req.params.id],
        );
        return { items: r.rows.map(present) };
      },
    );

    app.get('/api/v1/exclusions', { config: { auth: ALL_ROLES } }, async () => {
      const r = await ctx.db.query('SELECT * FROM exclusions WHERE revoked_at IS NULL AND expires_at > now() ORDER BY expires_at LIMIT 1000');
      return { items: r.rows.map(present) };
    });

    app.delete(
      '/api/v1/devices/:id/exclusions/:exclusionId',
      { config: { auth: OPERATORS }, schema: { params: Type.Object({ id: Type.String({ maxLength: 64 }), exclusionId: Type.String({ maxLength: 64 }) }) } },
      async (req: FastifyRequest<{ Params: { id: string; exclusionId: string } }>) => {
        const actor = req.principal!.actor;
        const change = await ctx.db.tx(async (q) => {
          const r = await q.query('UPDATE exclusions SET revoked_at = now(), revoked_by = $3 WHERE id = $1 AND device_id = $2 AND revoked_at IS NULL', [
            req.params.exclusionId, req.params.id, actor,
          ]);
          if (!r.rowCount) throw Errors.notFound('Active exclusion');
          await audit(q, { actor, action: 'exclusion.revoke', target: req.params.id, ip: req.ip, detail: { exclusionId: req.params.exclusionId } });
          return reevaluateDevice(q, ctx.policy.policy, req.params.id, alertKinds(ctx.webhooks), { exclusionRevoked: req.params.exclusionId, by: actor });
        });
        return { ok: true, deviceState: change?.to };
      },
    );
  };
}
