/**
 * Device groups API: list/create/change/delete groups (admins), static membership (admin,
 * help desk), members, and a device's groups with its effective policy explained ("why is
 * this required here?"). Every change is audit-logged; the devices whose effective policy
 * changed are re-evaluated at once (service.ts), as they are when the policy's `groups:` change.
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { explainPolicy } from '#shared/policy/effective.js';
import { GROUP_NAME_PATTERN } from '#shared/policy/groups.js';
import type { Policy } from '#shared/policy/schema.js';
import type { Ctx } from '../context.js';
import { ADMIN, ALL_ROLES, OPERATORS } from '../auth/roles.js';
import { ApiError, Errors } from '../shared/errors.js';
import { audit } from '../audit/log.js';
import { newId } from '../shared/crypto.js';
import { alertKinds } from '../jobs/scheduler.js';
import { groupById, groupNamesOf, insertGroup, listGroups, listMembers, updateGroupRow, type GroupRow } from './dal.js';
import { GroupRule, ruleProblem } from './rule.js';
import { pushAgentPolicies } from './agent-policy.js';
import { addStaticMembers, allMembers, changedPolicyGroups, deleteGroup, reevaluateDevices, removeStaticMembers, syncGroup } from './service.js';

const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
const MemberParams = Type.Object({ id: Type.String({ maxLength: 64 }), deviceId: Type.String({ maxLength: 64 }) });
const CreateBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64, pattern: GROUP_NAME_PATTERN }),
    description: Type.Optional(Type.String({ maxLength: 500 })),
    kind: Type.Union([Type.Literal('static'), Type.Literal('rule')]),
    rule: Type.Optional(GroupRule),
  },
  { additionalProperties: false },
);
const PatchBody = Type.Object(
  { description: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])), rule: Type.Optional(GroupRule) },
  { additionalProperties: false, minProperties: 1 },
);
const MembersBody = Type.Object({ deviceIds: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 1000 }) }, { additionalProperties: false });
const PageQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })), offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000, default: 0 })) },
  { additionalProperties: false },
);

/** The group as the API shows it, with the policy's overrides for it (if any). */
export function presentGroup(g: GroupRow, policy: Policy) {
  const over = policy.groups?.find((x) => x.name === g.name) ?? null;
  return {
    id: g.id, name: g.name, description: g.description, kind: g.kind, rule: g.rule,
    members: g.members ?? null, createdAt: new Date(g.created_at).toISOString(), createdBy: g.created_by, updatedAt: new Date(g.updated_at).toISOString(),
    policyOverrides: over, policyOrder: over ? policy.groups!.indexOf(over) : null,
  };
}

export function groupRoutes(ctx: Ctx) {
  return async (app: FastifyInstance) => {
    // Devices whose groups changed: re-evaluated now, and their agents get the new interval
    // and thresholds (a policy change reaches agents through the collector's own broadcast).
    const reeval = async (ids: readonly string[], cause: Record<string, unknown>, push = true) => {
      const r = await reevaluateDevices(ctx.db, () => ctx.policy.policy, () => alertKinds(ctx.webhooks), ids, cause);
      if (push && ids.length) await pushAgentPolicies(ctx.db, ctx.policy, ctx.hub, ids).catch((e) => ctx.log.warn({ err: (e as Error).message }, 'policy push after a group change failed; agents get it at their next connect'));
      return r;
    };

    // A change to the policy's `groups:` re-evaluates those groups' members at once. One at a
    // time: a burst of policy saves queues behind the running pass instead of piling up.
    let lastPolicy: Policy | null = ctx.policy.policy;
    let chain: Promise<unknown> = Promise.resolve();
    ctx.policy.onChange((p) => {
      const names = changedPolicyGroups(lastPolicy, p);
      lastPolicy = p;
      if (!names.length) return;
      chain = chain.then(async () => {
        const groups = (await listGroups(ctx.db)).filter((g) => names.includes(g.name));
        const ids = (await Promise.all(groups.map((g) => allMembers(ctx.db, g.id)))).flat();
        const r = await reeval(ids, { policyGroupsChanged: names }, false);
        ctx.log.info({ groups: names, ...r }, 'group policy changed: members re-evaluated');
      }).catch((e) => ctx.log.warn({ err: (e as Error).message }, 'group policy re-evaluation failed; devices follow at their next report'));
    });
    app.addHook('onClose', async () => {
      await chain;
    });

    const load = async (id: string) => {
      const g = await groupById(ctx.db, id);
      if (!g) throw Errors.notFound('Group');
      return g;
    };
    const checkRule = (kind: string, rule: Static<typeof GroupRule> | undefined) => {
      if (kind === 'rule' && !rule) throw new ApiError(400, 'POSTURE_ERR_BAD_REQUEST', 'body/rule: a rule-based group needs a rule (platform, idpGroup, department, hostname or tag)', { field: 'rule' });
      if (kind === 'static' && rule) throw new ApiError(400, 'POSTURE_ERR_BAD_REQUEST', 'body/rule: a static group has no rule (its members are assigned)', { field: 'rule' });
      const bad = rule ? ruleProblem(rule) : null;
      if (bad) throw new ApiError(400, 'POSTURE_ERR_BAD_REQUEST', `body/${bad}`, { field: 'rule.hostname' });
    };

    app.get('/api/v1/groups', { config: { auth: ALL_ROLES } }, async () => ({ items: (await listGroups(ctx.db)).map((g) => presentGroup(g, ctx.policy.policy)) }));

    app.post<{ Body: Static<typeof CreateBody> }>('/api/v1/groups', { config: { auth: ADMIN }, schema: { body: CreateBody } }, async (req, reply) => {
      const b = req.body;
      checkRule(b.kind, b.rule);
      const actor = req.principal!.actor;
      const g = await ctx.db.tx(async (q) => {
        const made = await insertGroup(q, { id: newId('grp'), name: b.name, description: b.description ?? null, kind: b.kind, rule: b.rule ?? null, createdBy: actor });
        if (!made) throw Errors.conflict(`A group named ${b.name} already exists.`);
        await audit(q, { actor, action: 'group.create', target: `group:${made.id}`, ip: req.ip, detail: { name: made.name, kind: made.kind, rule: made.rule } });
        return made;
      });
      const changes = g.kind === 'rule' ? await syncGroup(ctx.db, g, actor) : [];
      const r = await reeval(changes.map((c) => c.deviceId), { groupCreated: g.name, by: actor });
      reply.code(201);
      return { ...presentGroup({ ...g, members: changes.length }, ctx.policy.policy), reevaluated: r.devices };
    });

    app.get<{ Params: { id: string } }>('/api/v1/groups/:id', { config: { auth: ALL_ROLES }, schema: { params: IdParams } }, async (req) => {
      const g = (await listGroups(ctx.db)).find((x) => x.id === req.params.id);
      if (!g) throw Errors.notFound('Group');
      return presentGroup(g, ctx.policy.policy);
    });

    app.patch<{ Params: { id: string }; Body: Static<typeof PatchBody> }>('/api/v1/groups/:id', { config: { auth: ADMIN }, schema: { params: IdParams, body: PatchBody } }, async (req) => {
      const g = await load(req.params.id);
      if (req.body.rule !== undefined) checkRule(g.kind, req.body.rule);
      const actor = req.principal!.actor;
      const next = { ...g, description: req.body.description !== undefined ? req.body.description : g.description, rule: req.body.rule ?? g.rule };
      await ctx.db.tx(async (q) => {
        await updateGroupRow(q, g.id, next.description, next.rule);
        await audit(q, { actor, action: 'group.update', target: `group:${g.id}`, ip: req.ip, detail: { name: g.name, before: { description: g.description, rule: g.rule }, after: { description: next.description, rule: next.rule } } });
      });
      const changes = g.kind === 'rule' && req.body.rule ? await syncGroup(ctx.db, next, actor) : [];
      const r = await reeval(changes.map((c) => c.deviceId), { groupChanged: g.name, by: actor });
      return { ...presentGroup(next, ctx.policy.policy), joined: changes.filter((c) => c.joined).length, left: changes.filter((c) => !c.joined).length, reevaluated: r.devices };
    });

    app.delete<{ Params: { id: string } }>('/api/v1/groups/:id', { config: { auth: ADMIN }, schema: { params: IdParams } }, async (req) => {
      const g = await load(req.params.id);
      const actor = req.principal!.actor;
      const ids = await ctx.db.tx(async (q) => {
        return deleteGroup(q, g, actor, req.ip);
      });
      const r = await reeval(ids, { groupDeleted: g.name, by: actor });
      return { ok: true, reevaluated: r.devices };
    });

    app.get<{ Params: { id: string }; Querystring: Static<typeof PageQuery> }>(
      '/api/v1/groups/:id/members',
      { config: { auth: ALL_ROLES }, schema: { params: IdParams, querystring: PageQuery } },
      async (req) => {
        await load(req.params.id);
        const r = await listMembers(ctx.db, req.params.id, req.query.limit ?? 100, req.query.offset ?? 0);
        return {
          total: r.total,
          items: r.items.map((m) => ({ deviceId: m.device_id, hostname: m.hostname, platform: m.platform, state: m.state, source: m.source, since: new Date(m.since).toISOString(), addedBy: m.added_by })),
        };
      },
    );

    app.post<{ Params: { id: string }; Body: Static<typeof MembersBody> }>(
      '/api/v1/groups/:id/members',
      { config: { auth: OPERATORS }, schema: { params: IdParams, body: MembersBody } },
      async (req) => {
        const g = await load(req.params.id);
        if (g.kind !== 'static') throw new ApiError(400, 'POSTURE_ERR_BAD_REQUEST', `body/deviceIds: ${g.name} is a rule-based group; its members follow its rule`, { field: 'deviceIds' });
        const ids = [...new Set(req.body.deviceIds)];
        const known = await ctx.db.query<{ id: string }>('SELECT id FROM devices WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb)) AND revoked_at IS NULL', [JSON.stringify(ids)]);
        const missing = ids.filter((id) => !known.rows.some((r) => r.id === id));
        if (missing.length) throw new ApiError(400, 'POSTURE_ERR_BAD_REQUEST', `body/deviceIds: unknown or revoked device ${missing[0]}${missing.length > 1 ? ` (and ${missing.length - 1} more)` : ''}`, { field: 'deviceIds', missing: missing.slice(0, 20) });
        const changes = await ctx.db.tx((q) => addStaticMembers(q, g, ids, req.principal!.actor, req.ip));
        const r = await reeval(changes.map((c) => c.deviceId), { groupJoined: g.name, by: req.principal!.actor });
        return { added: changes.length, reevaluated: r.devices, changedState: r.changed };
      },
    );

    app.delete<{ Params: { id: string; deviceId: string } }>(
      '/api/v1/groups/:id/members/:deviceId',
      { config: { auth: OPERATORS }, schema: { params: MemberParams } },
      async (req) => {
        const g = await load(req.params.id);
        if (g.kind !== 'static') throw new ApiError(400, 'POSTURE_ERR_BAD_REQUEST', `params/deviceId: ${g.name} is a rule-based group; its members follow its rule`, { field: 'deviceId' });
        const changes = await ctx.db.tx((q) => removeStaticMembers(q, g, [req.params.deviceId], req.principal!.actor, req.ip));
        if (!changes.length) throw Errors.notFound('Member');
        const r = await reeval([req.params.deviceId], { groupLeft: g.name, by: req.principal!.actor });
        return { removed: 1, reevaluated: r.devices, changedState: r.changed };
      },
    );

    app.get<{ Params: { id: string } }>('/api/v1/devices/:id/groups', { config: { auth: ALL_ROLES }, schema: { params: IdParams } }, async (req) => {
      const d = await ctx.db.query<{ platform: string }>('SELECT platform FROM devices WHERE id = $1 AND deleted_at IS NULL', [req.params.id]);
      if (!d.rows[0]) throw Errors.notFound('Device');
      const names = (await groupNamesOf(ctx.db, [req.params.id])).get(req.params.id) ?? [];
      const all = await listGroups(ctx.db);
      return {
        groups: names.map((n) => {
          const g = all.find((x) => x.name === n);
          return { name: n, id: g?.id ?? null, kind: g?.kind ?? null };
        }),
        // Which layer set each setting in force on this device (policy, platform, which group).
        effective: explainPolicy(ctx.policy.policy, d.rows[0].platform, names),
      };
    });
  };
}
