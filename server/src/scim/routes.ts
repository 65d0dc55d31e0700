/**
 * SCIM 2.0 service provider (RFC 7643/7644) at /scim/v2 for Okta, Microsoft Entra ID and any
 * other provisioning client. Authenticated by an API token with the role `scim` only; answers
 * in SCIM's own media type and error shape. Filters are parsed by scim2-parse-filter, PATCH
 * operations applied by scim-patch; both libraries are used as they are, not re-implemented.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { scimPatch, ScimError, type ScimPatchOperation } from 'scim-patch';
import type { Ctx } from '../context.js';
import { SCIM } from '../auth/roles.js';
import { ApiError } from '../shared/errors.js';
import { isDbUnavailable } from '../db/types.js';
import { LIST_SCHEMA, MAX_RESULTS, PATCH_SCHEMA, resourceTypes, schemas, serviceProviderConfig } from './discovery.js';
import { ScimHttpError, scimErrorBody } from './errors.js';
import { projection, shape } from './projection.js';
import { createScimUser, deleteScimUser, listScimUsers, readUser, scimUserById, toScimUsers, writeUser } from './users.js';
import { createScimGroup, deleteScimGroup, listScimGroups, readGroup, scimGroup, writeScimGroup } from './groups.js';
import { syncPeopleDevices } from '../groups/service.js';
import { alertKinds } from '../jobs/scheduler.js';

export const SCIM_PREFIX = '/scim/v2';
const MEDIA = 'application/scim+json';
type Query = Record<string, string | undefined>;
type Req = FastifyRequest<{ Params: { id: string }; Querystring: Query; Body: unknown }>;

export const SEARCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

/**
 * A POST /.search body (RFC 7644 §3.4.3) as the query parameters of the equivalent GET, so
 * one code path answers both. Refused with a 400 naming the member that is not as the RFC says.
 */
function searchQuery(body: unknown): Query {
  const b = body as Record<string, unknown> | null;
  if (!b || typeof b !== 'object' || !Array.isArray(b.schemas) || !b.schemas.includes(SEARCH_SCHEMA)) throw new ScimHttpError(400, `body: schemas must contain ${SEARCH_SCHEMA}`, 'invalidSyntax');
  const list = (k: string) => {
    const v = b[k];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new ScimHttpError(400, `${k}: a list of attribute paths`, 'invalidSyntax');
    return v.join(',');
  };
  const int = (k: string) => {
    const v = b[k];
    if (v === undefined) return undefined;
    if (!Number.isInteger(v)) throw new ScimHttpError(400, `${k}: an integer`, 'invalidValue');
    return String(v);
  };
  if (b.filter !== undefined && typeof b.filter !== 'string') throw new ScimHttpError(400, 'filter: a string', 'invalidFilter');
  return { filter: b.filter as string | undefined, startIndex: int('startIndex'), count: int('count'), attributes: list('attributes'), excludedAttributes: list('excludedAttributes') };
}

function paging(q: Record<string, string | undefined>) {
  const int = (v: string | undefined, d: number) => (v === undefined || v === '' ? d : /^-?\d{1,9}$/.test(v) ? Number(v) : NaN);
  const startIndex = int(q.startIndex, 1);
  const count = int(q.count, 100);
  if (Number.isNaN(startIndex) || Number.isNaN(count)) throw new ScimHttpError(400, 'startIndex and count must be integers', 'invalidValue');
  // RFC 7644 §3.4.2.4: values below 1 / below 0 are treated as 1 / 0.
  return { startIndex: Math.max(1, startIndex), count: Math.min(Math.max(0, count), MAX_RESULTS) };
}

function readPatch(body: unknown): ScimPatchOperation[] {
  const b = body as { schemas?: unknown; Operations?: unknown } | null;
  if (!b || !Array.isArray(b.schemas) || !b.schemas.includes(PATCH_SCHEMA)) throw new ScimHttpError(400, `body: schemas must contain ${PATCH_SCHEMA}`, 'invalidSyntax');
  if (!Array.isArray(b.Operations) || b.Operations.length === 0 || b.Operations.length > 1000) throw new ScimHttpError(400, 'Operations: 1 to 1000 operations', 'invalidSyntax');
  for (const [i, op] of (b.Operations as { op?: unknown }[]).entries())
    if (!op || typeof op.op !== 'string' || !/^(add|replace|remove)$/i.test(op.op)) throw new ScimHttpError(400, `Operations[${i}].op: add, replace or remove`, 'invalidSyntax');
  return b.Operations as ScimPatchOperation[];
}

const applyPatch = <T extends object>(resource: T, ops: ScimPatchOperation[]): T => {
  try {
    return scimPatch(resource as never, ops, { mutateDocument: false, treatMissingAsAdd: true }) as T;
  } catch (e) {
    if (e instanceof ScimError) throw new ScimHttpError(400, e.message, (e.scimCode as never) ?? 'invalidValue');
    throw e;
  }
};

/**
 * Entra removes members as `{op:"Remove", path:"members", value:[{value:id}]}`; scim-patch
 * matches such values by the whole member object (display, $ref included), so each is turned
 * into the equivalent `members[value eq "id"]` removal, which matches by id as RFC 7644 §3.5.2.2 means.
 */
function memberRemovalByValue(op: ScimPatchOperation): ScimPatchOperation[] {
  const v = (op as { value?: unknown }).value;
  if (!/^remove$/i.test(op.op) || !/^members$/i.test(op.path ?? '') || !Array.isArray(v)) return [op];
  return v.map((m: { value?: unknown }) => {
    if (typeof m?.value !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(m.value)) throw new ScimHttpError(400, 'members: each removed member needs a user id as value', 'invalidValue');
    return { op: 'remove', path: `members[value eq "${m.value}"]` } as ScimPatchOperation;
  });
}

export function scimRoutes(ctx: Ctx) {
  return async (app: FastifyInstance) => {
    app.addContentTypeParser(MEDIA, { parseAs: 'string' }, (_req, body, done) => {
      if (body === '') return done(null, undefined);
      try {
        done(null, JSON.parse(body as string));
      } catch {
        done(new ScimHttpError(400, 'body: not valid JSON', 'invalidSyntax'), undefined);
      }
    });
    app.addHook('onSend', async (_req, reply, payload) => {
      if (String(reply.getHeader('content-type') ?? '').startsWith('application/json')) reply.header('content-type', `${MEDIA}; charset=utf-8`);
      return payload;
    });
    app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown; code?: string }, req, reply) => {
      if (err instanceof ScimHttpError) return reply.code(err.status).send(scimErrorBody(err.status, err.message, err.scimType));
      if (err instanceof ApiError) {
        if (err.statusCode === 503) reply.header('retry-after', '5');
        return reply.code(err.statusCode).send(scimErrorBody(err.statusCode, err.message));
      }
      if (isDbUnavailable(err)) return reply.code(503).header('retry-after', '5').send(scimErrorBody(503, 'The database is unavailable; retry shortly.'));
      if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return reply.code(err.statusCode).send(scimErrorBody(err.statusCode, err.message, err.statusCode === 400 ? 'invalidSyntax' : undefined));
      req.log.error({ err }, 'SCIM request failed');
      return reply.code(500).send(scimErrorBody(500, 'Internal error; it has been logged.'));
    });

    // A bad attributes/excludedAttributes is refused before anything is written (a PATCH must
    // not be applied and then answered with a 400).
    app.addHook('preHandler', async (req) => {
      projection(req.query as Query);
    });
    const base = (req: FastifyRequest) => `${(ctx.config.publicUrl ?? `${req.protocol}://${req.host}`).replace(/\/+$/, '')}${SCIM_PREFIX}`;
    const actor = (req: FastifyRequest) => `scim:${req.principal!.actor}`;
    const auth = { config: { auth: SCIM } };
    const list = (total: number, startIndex: number, resources: unknown[]) => ({ schemas: [LIST_SCHEMA], totalResults: total, startIndex, itemsPerPage: resources.length, Resources: resources });
    /** attributes / excludedAttributes of the request, applied to every resource it returns (RFC 7644 §3.9). */
    const shaped = <T>(req: { query: Query }, r: T): T => shape(projection(req.query), r);
    const shapedList = (req: { query: Query }, total: number, startIndex: number, resources: unknown[]) => {
      const p = projection(req.query);
      return list(total, startIndex, resources.map((r) => shape(p, r)));
    };

    app.get(`${SCIM_PREFIX}/ServiceProviderConfig`, auth, async (req) => serviceProviderConfig(base(req)));
    app.get(`${SCIM_PREFIX}/ResourceTypes`, auth, async (req) => {
      const r = resourceTypes(base(req));
      return list(r.length, 1, r);
    });
    app.get(`${SCIM_PREFIX}/ResourceTypes/:id`, auth, async (req: Req) => {
      const r = resourceTypes(base(req)).find((x) => x.id === req.params.id);
      if (!r) throw new ScimHttpError(404, `no resource type ${req.params.id}`);
      return r;
    });
    app.get(`${SCIM_PREFIX}/Schemas`, auth, async (req) => {
      const s = schemas(base(req));
      return list(s.length, 1, s);
    });
    app.get(`${SCIM_PREFIX}/Schemas/:id`, auth, async (req: Req) => {
      const s = schemas(base(req)).find((x) => x.id === req.params.id);
      if (!s) throw new ScimHttpError(404, `no schema ${req.params.id}`);
      return s;
    });

    // ---- Users ----
    const listUsers = async (req: FastifyRequest, query: Query) => {
      const { startIndex, count } = paging(query);
      const r = await listScimUsers(ctx.db, query.filter, startIndex, count, base(req));
      return shapedList({ query }, r.total, startIndex, r.resources);
    };
    app.get(`${SCIM_PREFIX}/Users`, auth, async (req: Req) => listUsers(req, req.query));
    app.post(`${SCIM_PREFIX}/Users/.search`, auth, async (req: Req, reply) => reply.code(200).send(await listUsers(req, searchQuery(req.body))));
    // A person's department or IdP groups feed rule-based device groups: after a change, their
    // devices are re-matched and re-evaluated (groups/service.ts). After the commit, and never
    // failing the SCIM response for it (the IdP would retry a write that succeeded).
    const resync = async (req: Req, personIds: readonly string[]) => {
      await syncPeopleDevices(ctx.db, personIds, actor(req), () => ctx.policy.policy, () => alertKinds(ctx.webhooks)).catch((e) =>
        req.log.warn({ err: (e as Error).message }, 'device group re-match after a SCIM change failed; it follows at the next owner or rule change'),
      );
    };
    const groupMemberIds = async (groupId: string) =>
      groupId.length <= 64 ? (await ctx.db.query<{ person_id: string }>('SELECT person_id FROM idp_group_members WHERE group_id = $1', [groupId])).rows.map((r) => r.person_id) : [];
    const groupName = async (groupId: string) =>
      groupId.length <= 64 ? ((await ctx.db.query<{ n: string }>('SELECT display_name AS n FROM idp_groups WHERE id = $1', [groupId])).rows[0]?.n ?? null) : null;
    /** Who a group write affected: everyone when it was renamed (rules match the name), else those who joined or left. */
    const snapshot = async (groupId: string) => ({ name: await groupName(groupId), ids: await groupMemberIds(groupId) });
    const affected = (a: { name: string | null; ids: string[] }, b: { name: string | null; ids: string[] }) => {
      if (a.name !== b.name) return [...new Set([...a.ids, ...b.ids])];
      const x = new Set(a.ids), y = new Set(b.ids);
      return [...a.ids.filter((i) => !y.has(i)), ...b.ids.filter((i) => !x.has(i))];
    };
    const userOr404 = async (id: string, b: string) => {
      const p = id.length <= 64 ? await scimUserById(ctx.db, id) : null;
      if (!p) throw new ScimHttpError(404, `User ${id} not found`);
      return (await toScimUsers(ctx.db, [p], b))[0];
    };
    app.get(`${SCIM_PREFIX}/Users/:id`, auth, async (req: Req) => shaped(req, await userOr404(req.params.id, base(req))));
    app.post(`${SCIM_PREFIX}/Users`, auth, async (req: Req, reply) => {
      const u = readUser(req.body);
      const p = await ctx.db.tx((q) => createScimUser(q, u, actor(req), ctx.policy.policy));
      await resync(req, [p.id]);
      const out = (await toScimUsers(ctx.db, [p], base(req)))[0];
      return reply.code(201).header('location', out.meta.location).send(shaped(req, out));
    });
    app.put(`${SCIM_PREFIX}/Users/:id`, auth, async (req: Req) => {
      const u = readUser(req.body);
      await ctx.db.tx(async (q) => {
        if (!(await scimUserById(q, req.params.id))) throw new ScimHttpError(404, `User ${req.params.id} not found`);
        await writeUser(q, req.params.id, u, actor(req), ctx.policy.policy);
      });
      await resync(req, [req.params.id]);
      return shaped(req, await userOr404(req.params.id, base(req)));
    });
    app.patch(`${SCIM_PREFIX}/Users/:id`, auth, async (req: Req) => {
      const ops = readPatch(req.body);
      await ctx.db.tx(async (q) => {
        const p = req.params.id.length <= 64 ? await scimUserById(q, req.params.id) : null;
        if (!p) throw new ScimHttpError(404, `User ${req.params.id} not found`);
        const current = (await toScimUsers(q, [p], base(req)))[0];
        const patched = applyPatch(current, ops);
        await writeUser(q, p.id, readUser(patched), actor(req), ctx.policy.policy);
      });
      await resync(req, [req.params.id]);
      return shaped(req, await userOr404(req.params.id, base(req)));
    });
    app.delete(`${SCIM_PREFIX}/Users/:id`, auth, async (req: Req, reply) => {
      const ok = await ctx.db.tx((q) => deleteScimUser(q, req.params.id, actor(req), ctx.policy.policy));
      if (!ok) throw new ScimHttpError(404, `User ${req.params.id} not found`);
      return reply.code(204).send();
    });

    // ---- Groups ----
    // Members are not even read when excluded, or when `attributes` does not ask for them (big groups).
    const withMembers = (req: { query: Query }) =>
      !/(^|,)\s*members\s*(,|$)/i.test(req.query.excludedAttributes ?? '') && (req.query.attributes === undefined || /(^|,)\s*(urn:[^,]*:)?members(\.[^,]*)?\s*(,|$)/i.test(req.query.attributes));
    const listGroups = async (req: FastifyRequest, query: Query) => {
      const { startIndex, count } = paging(query);
      const r = await listScimGroups(ctx.db, query.filter, startIndex, count, base(req), withMembers({ query }));
      return shapedList({ query }, r.total, startIndex, r.resources);
    };
    app.get(`${SCIM_PREFIX}/Groups`, auth, async (req: Req) => listGroups(req, req.query));
    app.post(`${SCIM_PREFIX}/Groups/.search`, auth, async (req: Req, reply) => reply.code(200).send(await listGroups(req, searchQuery(req.body))));
    const groupOr404 = async (id: string, b: string, members = true) => {
      const g = id.length <= 64 ? await scimGroup(ctx.db, id, b, members) : null;
      if (!g) throw new ScimHttpError(404, `Group ${id} not found`);
      return g;
    };
    app.get(`${SCIM_PREFIX}/Groups/:id`, auth, async (req: Req) => shaped(req, await groupOr404(req.params.id, base(req), withMembers(req))));
    app.post(`${SCIM_PREFIX}/Groups`, auth, async (req: Req, reply) => {
      const g = readGroup(req.body);
      const id = await ctx.db.tx((q) => createScimGroup(q, g, actor(req)));
      await resync(req, await groupMemberIds(id));
      const out = await groupOr404(id, base(req));
      return reply.code(201).header('location', out.meta.location).send(shaped(req, out));
    });
    app.put(`${SCIM_PREFIX}/Groups/:id`, auth, async (req: Req) => {
      const g = readGroup(req.body);
      const before = await snapshot(req.params.id);
      await ctx.db.tx(async (q) => {
        if (!(await scimGroup(q, req.params.id, base(req), false))) throw new ScimHttpError(404, `Group ${req.params.id} not found`);
        await writeScimGroup(q, req.params.id, { ...g, members: g.members ?? [] }, actor(req));
      });
      await resync(req, affected(before, await snapshot(req.params.id)));
      return shaped(req, await groupOr404(req.params.id, base(req)));
    });
    app.patch(`${SCIM_PREFIX}/Groups/:id`, auth, async (req: Req, reply) => {
      const ops = readPatch(req.body);
      const before = await snapshot(req.params.id);
      await ctx.db.tx(async (q) => {
        const current = req.params.id.length <= 64 ? await scimGroup(q, req.params.id, base(req), true) : null;
        if (!current) throw new ScimHttpError(404, `Group ${req.params.id} not found`);
        const patched = applyPatch({ ...current, members: current.members ?? [] }, ops.flatMap(memberRemovalByValue));
        const g = readGroup(patched);
        await writeScimGroup(q, req.params.id, { ...g, members: g.members ?? [] }, actor(req));
      });
      await resync(req, affected(before, await snapshot(req.params.id)));
      // Okta and Entra send membership changes one after another; 204 saves re-reading big groups.
      if (req.query.attributes === undefined) return reply.code(204).send();
      return shaped(req, await groupOr404(req.params.id, base(req), withMembers(req)));
    });
    app.delete(`${SCIM_PREFIX}/Groups/:id`, auth, async (req: Req, reply) => {
      const before = await groupMemberIds(req.params.id);
      const ok = await ctx.db.tx((q) => deleteScimGroup(q, req.params.id, actor(req)));
      if (!ok) throw new ScimHttpError(404, `Group ${req.params.id} not found`);
      await resync(req, before);
      return reply.code(204).send();
    });
  };
}
