/** Archive, un-archive and delete a device (server/src/devices/lifecycle.ts; docs/api.md "Devices"). */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Ctx } from '../context.js';
import { ADMIN, OPERATORS } from '../auth/roles.js';
import { archiveDevice, deleteDevice, unarchiveDevice } from './lifecycle.js';

const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
// A reason is required: the audit log and the evidence bundle show it to the auditor.
const Reason = Type.String({ minLength: 1, maxLength: 500, pattern: '\\S' });
const ReasonBody = Type.Object({ reason: Reason }, { additionalProperties: false });
const OptionalReasonBody = Type.Optional(Type.Object({ reason: Type.Optional(Reason) }, { additionalProperties: false }));

export function deviceLifecycleRoutes(ctx: Ctx) {
  return async (app: FastifyInstance) => {
    app.post<{ Params: { id: string }; Body: { reason: string } }>(
      '/api/v1/devices/:id/archive',
      { config: { auth: OPERATORS }, schema: { params: IdParams, body: ReasonBody } },
      async (req) => {
        const r = await ctx.db.tx((q) => archiveDevice(q, req.params.id, req.body.reason.trim(), { actor: req.principal!.actor, ip: req.ip }));
        return { ok: true, archivedAt: r.archivedAt.toISOString() };
      },
    );

    app.post<{ Params: { id: string }; Body?: { reason?: string } }>(
      '/api/v1/devices/:id/unarchive',
      { config: { auth: OPERATORS }, schema: { params: IdParams, body: OptionalReasonBody } },
      async (req) => {
        await ctx.db.tx((q) => unarchiveDevice(q, req.params.id, req.body?.reason?.trim() ?? null, { actor: req.principal!.actor, ip: req.ip }));
        return { ok: true };
      },
    );

    app.delete<{ Params: { id: string }; Body: { reason: string } }>(
      '/api/v1/devices/:id',
      { config: { auth: ADMIN }, schema: { params: IdParams, body: ReasonBody } },
      async (req) => {
        const r = await ctx.db.tx((q) => deleteDevice(q, req.params.id, req.body.reason.trim(), { actor: req.principal!.actor, ip: req.ip }));
        // Its key is revoked: the live socket closes at once, here or on whichever collector holds it.
        await ctx.hub.deviceChanged(req.params.id, 'revoked');
        return { ok: true, deletedAt: r.deletedAt.toISOString() };
      },
    );
  };
}
