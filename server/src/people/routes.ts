/**
 * People and device owners: list/search people with their devices, create people by hand,
 * change a person's status (offboarding), assign a device's owner (one device, a selection,
 * or a CSV upload), and record a leaver's device outcome. Every change is audit-logged.
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { parse as parseCsv } from 'csv-parse/sync';
import type { Ctx } from '../context.js';
import { ALL_ROLES, OPERATORS } from '../auth/roles.js';
import { ApiError, Errors } from '../shared/errors.js';
import { audit } from '../audit/log.js';
import { syncDevices } from '../groups/service.js';
import { reevaluateDevice } from '../exclusions/reevaluate.js';
import { alertKinds } from '../jobs/scheduler.js';
import type { Queryable } from '../db/types.js';
import { EMAIL_RE, findOrCreatePerson, insertPerson, personByEmail, personById, PERSON_STATUSES } from './dal.js';
import { assignOwner, closeOffboarding, OFFBOARD_OUTCOMES, setPersonStatus, type AssignResult } from './owners.js';
import { deviceEvents, listPeople, offboardedDevices, presentPerson, presentPersonDevice, unownedDevices, withDevices } from './query.js';

const Email = Type.String({ minLength: 3, maxLength: 320, pattern: '^[^\\s@]+@[^\\s@]+$' });
const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
const ListQuery = Type.Object(
  {
    q: Type.Optional(Type.String({ maxLength: 200 })),
    status: Type.Optional(Type.Union(PERSON_STATUSES.map((s) => Type.Literal(s)))),
    noDevice: Type.Optional(Type.Boolean()),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000, default: 0 })),
  },
  { additionalProperties: false },
);
const PersonBody = Type.Object(
  {
    email: Email,
    displayName: Type.Optional(Type.String({ maxLength: 200 })),
    department: Type.Optional(Type.String({ maxLength: 200 })),
    manager: Type.Optional(Type.String({ maxLength: 320 })),
  },
  { additionalProperties: false },
);
const StatusBody = Type.Object({ status: Type.Union(PERSON_STATUSES.map((s) => Type.Literal(s))) }, { additionalProperties: false });
/** `email: null` clears the owner. An unknown email creates the person (source admin). */
const OwnerBody = Type.Object({ email: Type.Union([Email, Type.Null()]) }, { additionalProperties: false });
const BulkOwnerBody = Type.Object(
  { deviceIds: Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: 500 }), email: Type.Union([Email, Type.Null()]) },
  { additionalProperties: false },
);
const CsvBody = Type.Object({ csv: Type.String({ minLength: 1, maxLength: 1_000_000 }) }, { additionalProperties: false });
const OutcomeBody = Type.Object({ outcome: Type.Union(OFFBOARD_OUTCOMES.filter((o) => o !== 'owner_reactivated').map((o) => Type.Literal(o))) }, { additionalProperties: false });

export function peopleRoutes(ctx: Ctx) {
  return async (app: FastifyInstance) => {
    app.get<{ Querystring: Static<typeof ListQuery> }>('/api/v1/people', { config: { auth: ALL_ROLES }, schema: { querystring: ListQuery } }, async (req) => {
      const r = await listPeople(ctx.db, req.query);
      return { total: r.total, items: r.items.map(presentPerson) };
    });

    app.get('/api/v1/people/unowned-devices', { config: { auth: ALL_ROLES } }, async () => {
      const r = await unownedDevices(ctx.db);
      return { total: r.total, items: r.items.map((d) => ({ id: d.id, hostname: d.hostname, platform: d.platform, state: d.state, inferredOwner: d.inferred_owner })) };
    });

    app.get('/api/v1/people/offboarded-devices', { config: { auth: ALL_ROLES } }, async () => ({
      items: (await offboardedDevices(ctx.db)).map((d) => ({ ...presentPersonDevice(d), ownerEmail: d.email })),
    }));

    app.get<{ Params: { id: string } }>('/api/v1/people/:id', { config: { auth: ALL_ROLES }, schema: { params: IdParams } }, async (req) => {
      const p = await personById(ctx.db, req.params.id);
      if (!p || p.deleted_at) throw Errors.notFound('Person');
      return presentPerson((await withDevices(ctx.db, [p]))[0]);
    });

    app.post<{ Body: Static<typeof PersonBody> }>('/api/v1/people', { config: { auth: OPERATORS }, schema: { body: PersonBody } }, async (req, reply) => {
      const b = req.body;
      const p = await ctx.db.tx(async (q) => {
        const made = await insertPerson(q, { email: b.email, displayName: b.displayName, department: b.department, manager: b.manager, source: 'admin' });
        if (!made) throw Errors.conflict(`A person with the email ${b.email} already exists.`);
        await audit(q, { actor: req.principal!.actor, action: 'person.create', target: `person:${made.id}`, ip: req.ip, detail: { email: made.email } });
        return made;
      });
      reply.code(201);
      return presentPerson(p);
    });

    app.post<{ Params: { id: string }; Body: Static<typeof StatusBody> }>(
      '/api/v1/people/:id/status',
      { config: { auth: OPERATORS }, schema: { params: IdParams, body: StatusBody } },
      async (req) => {
        const r = await ctx.db.tx(async (q) => {
          const p = await personById(q, req.params.id);
          if (!p || p.deleted_at) throw Errors.notFound('Person');
          return setPersonStatus(q, p.id, req.body.status, req.principal!.actor, ctx.policy.policy, req.ip);
        });
        return { ok: true, ...r };
      },
    );

    app.put<{ Params: { id: string }; Body: Static<typeof OwnerBody> }>(
      '/api/v1/devices/:id/owner',
      { config: { auth: OPERATORS }, schema: { params: IdParams, body: OwnerBody } },
      async (req) => {
        const r = await ctx.db.tx((q) => setOwnerByEmail(q, ctx, req.params.id, req.body.email, req.principal!.actor, req.ip));
        return ownerResult(r);
      },
    );

    app.post<{ Body: Static<typeof BulkOwnerBody> }>('/api/v1/devices/owner', { config: { auth: OPERATORS }, schema: { body: BulkOwnerBody } }, async (req) => {
      const results = await ctx.db.tx(async (q) => {
        const out: { deviceId: string; ok: boolean; reason?: string }[] = [];
        for (const id of [...new Set(req.body.deviceIds)]) {
          const r = await setOwnerByEmail(q, ctx, id, req.body.email, req.principal!.actor, req.ip);
          out.push({ deviceId: id, ok: r.ok, ...(r.ok ? {} : { reason: r.reason }) });
        }
        return out;
      });
      return { items: results, updated: results.filter((r) => r.ok).length };
    });

    // CSV upload: "hostname or device id, owner email" per line, a header row optional.
    app.post<{ Body: Static<typeof CsvBody> }>('/api/v1/devices/owners.csv', { config: { auth: OPERATORS }, schema: { body: CsvBody } }, async (req) => {
      let rows: string[][];
      try {
        rows = parseCsv(req.body.csv, { relax_column_count: true, skip_empty_lines: true, trim: true, bom: true, to: 10_001 }) as string[][];
      } catch (e) {
        throw Errors.badRequest(`csv: ${(e as Error).message}`, 'POSTURE_ERR_VALIDATION');
      }
      if (rows.length > 10_000) throw Errors.badRequest('csv: at most 10,000 rows per upload.', 'POSTURE_ERR_VALIDATION');
      if (rows[0] && !EMAIL_RE.test(rows[0][1] ?? '')) rows = rows.slice(1); // header
      const results = await ctx.db.tx(async (q) => {
        const out: { line: number; device: string; email: string; ok: boolean; reason?: string }[] = [];
        for (const [i, row] of rows.entries()) {
          const [device = '', email = ''] = row;
          if (!EMAIL_RE.test(email)) {
            out.push({ line: i + 1, device, email, ok: false, reason: 'not an email address' });
            continue;
          }
          const d = await q.query<{ id: string }>('SELECT id FROM devices WHERE (id = $1 OR lower(hostname) = lower($1)) AND revoked_at IS NULL ORDER BY id LIMIT 2', [device]);
          if (d.rows.length !== 1) {
            out.push({ line: i + 1, device, email, ok: false, reason: d.rows.length ? 'hostname matches more than one device; use the device id' : 'no such device' });
            continue;
          }
          const r = await setOwnerByEmail(q, ctx, d.rows[0].id, email, req.principal!.actor, req.ip, { via: 'csv' });
          out.push({ line: i + 1, device, email, ok: r.ok, ...(r.ok ? {} : { reason: r.reason }) });
        }
        return out;
      });
      return { items: results, updated: results.filter((r) => r.ok).length, refused: results.filter((r) => !r.ok).length };
    });

    app.get<{ Params: { id: string } }>('/api/v1/devices/:id/owner-events', { config: { auth: ALL_ROLES }, schema: { params: IdParams } }, async (req) => ({
      items: (await deviceEvents(ctx.db, req.params.id)).map((e) => ({ id: Number(e.id), at: new Date(e.at).toISOString(), kind: e.kind, actor: e.actor, detail: e.detail })),
    }));

    app.post<{ Params: { id: string }; Body: Static<typeof OutcomeBody> }>(
      '/api/v1/devices/:id/offboarding',
      { config: { auth: OPERATORS }, schema: { params: IdParams, body: OutcomeBody } },
      async (req) => {
        const ok = await ctx.db.tx((q) => closeOffboarding(q, req.params.id, req.body.outcome, req.principal!.actor, req.ip));
        if (!ok) throw Errors.notFound('Device waiting for return or wipe');
        return { ok: true };
      },
    );
  };
}

/** Assign with source `admin` (help desk or admin by hand). */
async function setOwnerByEmail(q: Queryable, ctx: Ctx, deviceId: string, email: string | null, actor: string, ip?: string, detail?: Record<string, unknown>): Promise<AssignResult> {
  let personId: string | null = null;
  if (email) {
    const existing = await personByEmail(q, email);
    if (existing?.deleted_at) return { ok: false, reason: 'no_person' };
    personId = existing?.id ?? (await findOrCreatePerson(q, email, 'admin')).person.id;
  }
  const r = await assignOwner(q, { deviceId, personId, source: 'admin', actor, ip, policy: ctx.policy.policy, detail });
  if (r.ok && r.changed) {
    // The owner's department and IdP groups feed rule-based groups, and owner_assigned follows
    // the owner: both take effect now, not at the device's next report.
    await syncDevices(q, [deviceId], actor);
    await reevaluateDevice(q, ctx.policy.policy, deviceId, alertKinds(ctx.webhooks), { ownerChanged: true, by: actor });
  }
  return r;
}

function ownerResult(r: AssignResult) {
  if (r.ok) return { ok: true, changed: r.changed };
  if (r.reason === 'no_device') throw Errors.notFound('Device');
  if (r.reason === 'no_person') throw Errors.notFound('Person');
  throw new ApiError(409, 'POSTURE_ERR_OWNER_OUTRANKED', `The owner was set by a more trusted source (${r.current}); it cannot be replaced from here.`);
}
