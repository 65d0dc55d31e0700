/**
 * Evidence API: a device's history over a period, and the signed export bundle (.tar.gz,
 * streamed from files built in a temp directory), plus the /evidence page.
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { policyCheckIds } from '#shared/checks/catalogue.js';
import { deviceHistory } from '#shared/evidence/history.js';
import { parseInstant, parsePeriod } from '#shared/evidence/period.js';
import type { Ctx } from '../context.js';
import { ALL_ROLES, type Role } from '../auth/roles.js';
import { ApiError, Errors } from '../shared/errors.js';
import { audit } from '../audit/log.js';
import { buildBundle } from './bundle.js';
import { getEvidenceDevice, historyInputs } from './dal.js';
import { tarGzStream } from './files.js';
import { evidencePage } from './page.js';
import { html } from '../dashboard/html.js';
import { layout } from '../dashboard/layout.js';

const PeriodQuery = Type.Object(
  { from: Type.Optional(Type.String({ maxLength: 40 })), to: Type.Optional(Type.String({ maxLength: 40 })) },
  { additionalProperties: false },
);
type PeriodQuery = Static<typeof PeriodQuery>;
/** The export's query: the period, and optionally one device group (a one-group bundle). */
const ExportQuery = Type.Object(
  { ...PeriodQuery.properties, group: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' })) },
  { additionalProperties: false },
);
type ExportQuery = Static<typeof ExportQuery>;
const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

/** Exports read the whole period; two at a time per collector keeps the database responsive. */
const MAX_CONCURRENT_EXPORTS = 2;
const DEFAULT_EXPORT_ROLES: readonly Role[] = ['admin', 'auditor'];

export function exportRoles(ctx: Ctx): readonly Role[] {
  return ctx.policy.policy.evidence?.exportRoles ?? DEFAULT_EXPORT_ROLES;
}

function period(q: PeriodQuery, defaultDays?: number): { from: Date; to: Date } {
  let { from, to } = q;
  // History: an open end means "until now", an open start the default span before the end
  // (`?from=2026-01-01` alone is the natural question "since January").
  if (defaultDays && (!from || !to)) {
    if (!to) to = new Date().toISOString();
    const end = parseInstant(to);
    if (!from && end) from = new Date(end.getTime() - defaultDays * 86_400_000).toISOString();
  }
  const p = parsePeriod(from, to);
  if (!p.ok) throw Errors.badRequest(p.error, 'POSTURE_ERR_VALIDATION');
  return p;
}

const day = (d: Date) => d.toISOString().slice(0, 10).replace(/-/g, '');

export function evidenceRoutes(ctx: Ctx) {
  let running = 0;
  return async (app: FastifyInstance) => {
    app.get<{ Params: { id: string }; Querystring: PeriodQuery }>(
      '/api/v1/devices/:id/history',
      { config: { auth: ALL_ROLES }, schema: { params: IdParams, querystring: PeriodQuery } },
      async (req) => {
        const { from, to } = period(req.query, 30);
        const d = await getEvidenceDevice(ctx.db, req.params.id);
        if (!d) throw Errors.notFound('Device');
        const stale = ctx.policy.policy.staleAfterHours;
        const inputs = await historyInputs(ctx.db, [d.id], from, to, stale);
        const h = deviceHistory({
          from, to, now: new Date(), enrolledAt: new Date(d.enrolled_at), revokedAt: d.revoked_at ? new Date(d.revoked_at) : null, staleAfterHours: stale,
          checkIds: policyCheckIds(ctx.policy.policy), events: inputs.events.get(d.id) ?? [], reportRuns: inputs.runs.get(d.id) ?? [], exclusions: inputs.exclusions.get(d.id) ?? [], keepSegments: true,
        });
        return { deviceId: d.id, hostname: d.hostname, period: { from: from.toISOString(), to: to.toISOString() }, staleAfterHours: stale, ...h };
      },
    );

    app.get<{ Querystring: ExportQuery }>('/api/v1/evidence', { config: { auth: ALL_ROLES }, schema: { querystring: ExportQuery } }, async (req, reply) => {
      const p = req.principal!;
      const roles = exportRoles(ctx);
      if (!roles.includes(p.role)) {
        await audit(ctx.db, { actor: p.actor, action: 'evidence.export', outcome: 'denied', ip: req.ip, detail: { from: req.query.from, to: req.query.to } });
        throw Errors.forbidden(`The policy allows evidence export to: ${roles.join(', ')}; you are ${p.role}.`);
      }
      const { from, to } = period(req.query);
      const group = req.query.group ?? null;
      if (group) {
        // A group that never existed would give an empty bundle that looks like "no devices": say so.
        const known = await ctx.db.query('SELECT 1 FROM device_groups WHERE lower(name) = lower($1) UNION ALL SELECT 1 FROM device_group_members WHERE lower(group_name) = lower($1) LIMIT 1', [group]);
        if (!known.rows.length) throw new ApiError(400, 'POSTURE_ERR_BAD_REQUEST', `group: no device group named ${group}`, { field: 'group' });
      }
      if (running >= MAX_CONCURRENT_EXPORTS) {
        // Refused exports are evidence too (README: every export attempt is in the audit log).
        await audit(ctx.db, { actor: p.actor, action: 'evidence.export', outcome: 'denied', ip: req.ip, detail: { reason: 'concurrency_cap', from: from.toISOString(), to: to.toISOString() } });
        throw new ApiError(429, 'POSTURE_ERR_RATE_LIMITED', 'Another evidence export is running; retry in a minute.', { retryAfterSec: 60 });
      }
      running++;
      const dir = await mkdtemp(join(tmpdir(), 'posture-evidence-'));
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        running--;
        void rm(dir, { recursive: true, force: true });
      };
      // A client that goes away stops the build at the next page and frees the slot.
      const abort = new AbortController();
      let streaming = false;
      reply.raw.once('close', () => {
        abort.abort();
        if (streaming) release();
      });
      try {
        const started = Date.now();
        const b = await buildBundle({ db: ctx.db, identity: ctx.identity, currentPolicy: ctx.policy.policy, version: ctx.version }, from, to, dir, new Date(), abort.signal, group);
        abort.signal.throwIfAborted();
        await audit(ctx.db, { actor: p.actor, action: 'evidence.export', target: `${from.toISOString()}/${to.toISOString()}`, ip: req.ip, detail: { counts: b.manifest.counts, ms: Date.now() - started, phases: b.timings, ...(group ? { group } : {}) } });
        const name = `posture-evidence-${group ? `${group}-` : ''}${day(from)}-${day(to)}`;
        const stream = tarGzStream(dir, b.files, name, new Date(b.manifest.generatedAt));
        streaming = true;
        stream.on('error', release);
        reply
          .type('application/gzip')
          .header('content-disposition', `attachment; filename="${name}.tar.gz"`)
          .header('x-posture-bundle-files', String(b.files.length))
          .header('x-posture-manifest-kid', b.manifest.collector.kid)
          .header('cache-control', 'no-store');
        return reply.send(stream);
      } catch (e) {
        release();
        if (abort.signal.aborted) return reply; // nobody is listening any more
        throw e;
      }
    });

    // What an export of this period would hold, so the Evidence page can warn before an empty one.
    app.get<{ Querystring: PeriodQuery }>(
      '/api/v1/evidence/preview',
      { config: { auth: ALL_ROLES }, schema: { querystring: PeriodQuery } },
      async (req) => {
        const p = req.principal!;
        const roles = exportRoles(ctx);
        if (!roles.includes(p.role)) throw Errors.forbidden(`The policy allows evidence export to: ${roles.join(', ')}; you are ${p.role}.`);
        const { from, to } = period(req.query);
        const r = await ctx.db.query<{ devices: string }>(
          'SELECT count(*)::text AS devices FROM devices WHERE enrolled_at < $2 AND (revoked_at IS NULL OR revoked_at >= $1)',
          [from.toISOString(), to.toISOString()],
        );
        return { from: from.toISOString(), to: to.toISOString(), devices: Number(r.rows[0]?.devices ?? 0) };
      },
    );

    // The page lives in its own scope so a browser that is not signed in is sent to the login page.
    await app.register(async (page) => {
      page.setErrorHandler((err: Error, req, reply) => {
        if (err instanceof ApiError && err.statusCode === 401) return reply.redirect(`/login?next=${encodeURIComponent(req.url)}`);
        if (err instanceof ApiError) return reply.code(err.statusCode).type('text/html').send(layout({ title: 'Error', principal: req.principal, body: html`<h1>${err.statusCode}</h1><p class="err">${err.message}</p>` }));
        throw err;
      });
      page.get('/evidence', { config: { auth: ALL_ROLES } }, async (req, reply) => {
        const roles = exportRoles(ctx);
        if (!roles.includes(req.principal!.role)) throw Errors.forbidden(`The policy allows evidence export to: ${roles.join(', ')}; you are ${req.principal!.role}.`);
        return reply.type('text/html').send(evidencePage(req.principal, ctx.identity.signingKid, roles));
      });
    });
  };
}
