/**
 * Alert webhooks API (admin): list (stored + the read-only environment entry), create (the
 * secret is returned once), change, rotate the secret, delete, Send test, and the delivery
 * log. Every change is audit-logged; no secret is ever logged or listed.
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { Ctx } from '../context.js';
import { ADMIN } from '../auth/roles.js';
import { audit } from '../audit/log.js';
import { ApiError, Errors } from '../shared/errors.js';
import { ALERT_EVENTS, ENV_WEBHOOK_ID, auditUrl, changeWebhook, createWebhook, deleteWebhook, envView, listStoredWebhooks, rotateWebhookSecret, setWebhookEnabled, storedTarget } from './webhooks.js';
import { listDeliveries, sendTest } from './worker.js';

const Events = Type.Array(Type.Union(ALERT_EVENTS.map((e) => Type.Literal(e))), { minItems: 1, maxItems: 3, uniqueItems: true });
const Create = Type.Object(
  {
    label: Type.Optional(Type.String({ maxLength: 100 })),
    url: Type.String({ minLength: 8, maxLength: 1000 }),
    events: Events,
    /** Optional: your own signing secret (at least 16 characters); otherwise one is generated. */
    secret: Type.Optional(Type.String({ minLength: 16, maxLength: 200 })),
  },
  { additionalProperties: false },
);
const Patch = Type.Object(
  { label: Type.Optional(Type.String({ maxLength: 100 })), url: Type.Optional(Type.String({ minLength: 8, maxLength: 1000 })), events: Type.Optional(Events), enabled: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
const Id = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const DeliveryQuery = Type.Object({ webhookId: Type.Optional(Type.String({ maxLength: 64 })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })) }, { additionalProperties: false });


const readOnly = () => new ApiError(409, 'POSTURE_ERR_CONFLICT', 'The environment webhook (POSTURE_WEBHOOK_URL or the policy) is read-only here; change it where it is configured.');

export function alertRoutes(ctx: Ctx) {
  return async (app: FastifyInstance) => {
    app.get('/api/v1/webhooks', { config: { auth: ADMIN } }, async () => {
      const env = ctx.webhooks.envTarget();
      return { items: [...(env ? [envView(env)] : []), ...(await listStoredWebhooks(ctx.db))], events: ALERT_EVENTS };
    });

    app.post<{ Body: Static<typeof Create> }>('/api/v1/webhooks', { config: { auth: ADMIN }, schema: { body: Create } }, async (req, reply) => {
      const created = await ctx.db.tx(async (q) => {
        const w = await createWebhook(q, { ...req.body, createdBy: req.principal!.actor });
        await audit(q, { actor: req.principal!.actor, action: 'webhook.create', target: w.id, ip: req.ip, detail: { label: req.body.label ?? '', url: auditUrl(req.body.url), events: req.body.events, ownSecret: !!req.body.secret } });
        return w;
      });
      await ctx.webhooks.refresh();
      reply.code(201);
      // The only time the secret is shown: the receiver needs it to verify signatures.
      return { id: created.id, secret: created.secret };
    });

    app.patch<{ Params: Static<typeof Id>; Body: Static<typeof Patch> }>('/api/v1/webhooks/:id', { config: { auth: ADMIN }, schema: { params: Id, body: Patch } }, async (req) => {
      if (req.params.id === ENV_WEBHOOK_ID) throw readOnly();
      const changes = await ctx.db.tx((q) => changeWebhook(q, req.params.id, req.body, req.principal!.actor, req.ip));
      if (!changes) throw Errors.notFound('Webhook');
      await ctx.webhooks.refresh();
      return { ok: true, changes };
    });

    for (const [path, enabled] of [['enable', true], ['disable', false]] as const)
      app.post<{ Params: Static<typeof Id> }>(`/api/v1/webhooks/:id/${path}`, { config: { auth: ADMIN }, schema: { params: Id } }, async (req) => {
        if (req.params.id === ENV_WEBHOOK_ID) throw readOnly();
        const changes = await ctx.db.tx((q) => setWebhookEnabled(q, req.params.id, enabled, req.principal!.actor, req.ip));
        if (!changes) throw Errors.notFound('Webhook');
        await ctx.webhooks.refresh();
        return { ok: true, enabled };
      });

    app.post<{ Params: Static<typeof Id> }>('/api/v1/webhooks/:id/rotate-secret', { config: { auth: ADMIN }, schema: { params: Id } }, async (req) => {
      if (req.params.id === ENV_WEBHOOK_ID) throw readOnly();
      const secret = await ctx.db.tx(async (q) => {
        const s = await rotateWebhookSecret(q, req.params.id);
        if (s) await audit(q, { actor: req.principal!.actor, action: 'webhook.rotate_secret', target: req.params.id, ip: req.ip });
        return s;
      });
      if (!secret) throw Errors.notFound('Webhook');
      await ctx.webhooks.refresh();
      return { id: req.params.id, secret };
    });

    app.delete<{ Params: Static<typeof Id> }>('/api/v1/webhooks/:id', { config: { auth: ADMIN }, schema: { params: Id } }, async (req) => {
      if (req.params.id === ENV_WEBHOOK_ID) throw readOnly();
      const ok = await ctx.db.tx(async (q) => {
        const r = await deleteWebhook(q, req.params.id);
        if (r) await audit(q, { actor: req.principal!.actor, action: 'webhook.delete', target: req.params.id, ip: req.ip });
        return r;
      });
      if (!ok) throw Errors.notFound('Webhook');
      await ctx.webhooks.refresh();
      return { ok: true };
    });

    // Send test: one signed message now; the answer says what the receiver did.
    app.post<{ Params: Static<typeof Id> }>(
      '/api/v1/webhooks/:id/test',
      { config: { auth: ADMIN, rateLimit: { max: 20, timeWindow: 60_000 } }, schema: { params: Id } },
      async (req) => {
        const target = req.params.id === ENV_WEBHOOK_ID ? ctx.webhooks.envTarget() : await storedTarget(ctx.db, req.params.id);
        if (!target) throw Errors.notFound('Webhook');
        const r = await sendTest(ctx.db, target, req.principal!.actor, ctx.config.publicUrl);
        await audit(ctx.db, { actor: req.principal!.actor, action: 'webhook.test', target: target.id, ip: req.ip, outcome: r.ok ? 'ok' : 'failed', detail: { status: r.status, error: r.error } });
        return { ok: r.ok, status: r.status, error: r.error, ms: r.ms, deliveryId: r.deliveryId };
      },
    );

    app.get<{ Querystring: Static<typeof DeliveryQuery> }>('/api/v1/webhooks/deliveries', { config: { auth: ADMIN }, schema: { querystring: DeliveryQuery } }, async (req) => ({
      items: await listDeliveries(ctx.db, { webhookId: req.query.webhookId, limit: req.query.limit }),
    }));
  };
}
