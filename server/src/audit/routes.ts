/** Audit log API (admin, auditor): filtered, keyset-paginated, and a CSV export for auditors. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { Ctx } from '../context.js';
import type { Role } from '../auth/roles.js';
import { csvField, presentAudit, queryAudit } from './query.js';

export const AUDIT_ROLES: readonly Role[] = ['admin', 'auditor'];

const Query = Type.Object(
  {
    actor: Type.Optional(Type.String({ maxLength: 200 })),
    action: Type.Optional(Type.String({ maxLength: 100 })),
    target: Type.Optional(Type.String({ maxLength: 200 })),
    outcome: Type.Optional(Type.Union([Type.Literal('ok'), Type.Literal('denied'), Type.Literal('failed')])),
    since: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })),
    until: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    before: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);
type Query = Static<typeof Query>;

export function auditRoutes(ctx: Ctx) {
  return async (app: FastifyInstance) => {
    app.get('/api/v1/audit', { config: { auth: AUDIT_ROLES }, schema: { querystring: Query } }, async (req: FastifyRequest<{ Querystring: Query }>) => {
      const r = await queryAudit(ctx.db, req.query);
      return { items: r.items.map(presentAudit), nextBefore: r.nextBefore };
    });

    app.get(
      '/api/v1/audit.csv',
      { config: { auth: AUDIT_ROLES }, schema: { querystring: Type.Omit(Query, ['limit']) } },
      async (req: FastifyRequest<{ Querystring: Query }>, reply) => {
        // Bounded: an export beyond 100,000 rows should be narrowed with since/until.
        const r = await queryAudit(ctx.db, { ...req.query, limit: 10_000 });
        const lines = ['id,at,actor,action,target,outcome,ip,detail'];
        let rows = r.items;
        let next = r.nextBefore;
        for (let pages = 0; ; pages++) {
          for (const a of rows.map(presentAudit)) lines.push([a.id, a.at, a.actor, a.action, a.target, a.outcome, a.ip, a.detail].map(csvField).join(','));
          if (!next || pages >= 9) break;
          const more = await queryAudit(ctx.db, { ...req.query, limit: 10_000, before: next });
          rows = more.items;
          next = more.nextBefore;
        }
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="posture-audit-${new Date().toISOString().slice(0, 10)}.csv"`)
          .send(lines.join('\r\n') + '\r\n');
      },
    );
  };
}
