/** Dashboard pages (server-rendered; every value escaped by the html tag; strict CSP, see security.ts). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Ctx } from '../context.js';
import { ADMIN, ALL_ROLES, OPERATORS } from '../auth/roles.js';
import { ApiError } from '../shared/errors.js';
import { AUDIT_ROLES } from '../audit/routes.js';
import { html, qs } from './html.js';
import { layout } from './layout.js';
import { loginRoutes } from './login.js';
import { APP_JS } from './app-js.js';
import { APP_CSS } from './app-css.js';
import { addPageSecurityHeaders } from './security.js';
import { fleetPage } from './fleet-page.js';
import { devicesCsv, devicesPage, parseDeviceFilters } from './devices-page.js';
import { devicePage } from './device-page.js';
import { policyPage } from './policy-page.js';
import { auditPage, parseAuditFilters } from './audit-page.js';
import { settingsPage } from './settings-page.js';
import { peoplePage } from './people-page.js';
import { groupsPage } from './groups-page.js';
import { alertsPage } from './alerts-page.js';
import { updatesPage } from './updates-page.js';
import { fleetUpdates, UPDATE_RESULTS, type UpdateResult } from '../updates/fleet.js';

type Q = FastifyRequest<{ Querystring: Record<string, string | undefined> }>;

export function dashboardRoutes(ctx: Ctx) {
  return async (app: FastifyInstance) => {
    addPageSecurityHeaders(app);
    // Browsers that are not signed in go to the login page instead of seeing JSON.
    app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
      if (err instanceof ApiError && err.statusCode === 401 && req.method === 'GET') return reply.redirect(`/login${qs({ next: req.url })}`);
      if (err instanceof ApiError) return reply.code(err.statusCode).type('text/html').send(layout({ title: 'Error', principal: req.principal, body: html`<h1>${err.statusCode}</h1><p class="err" id="error-message">${err.message}</p>` }));
      throw err;
    });

    await app.register(loginRoutes(ctx));

    app.get('/static/app.js', { config: { auth: 'public' } }, async (_req, reply) => reply.type('application/javascript').header('cache-control', 'no-cache').send(APP_JS));
    app.get('/static/app.css', { config: { auth: 'public' } }, async (_req, reply) => reply.type('text/css').header('cache-control', 'no-cache').send(APP_CSS));

    const page = (title: string, req: FastifyRequest, body: ReturnType<typeof html>) => layout({ title, principal: req.principal, body });

    app.get('/', { config: { auth: ALL_ROLES } }, async (req, reply) => reply.type('text/html').send(page('Fleet', req, await fleetPage(ctx.db, ctx.policy.policy))));

    app.get('/devices', { config: { auth: ALL_ROLES } }, async (req: Q, reply) =>
      reply.type('text/html').send(page('Devices', req, await devicesPage(ctx.db, parseDeviceFilters(req.query, ctx.policy.policy), ctx.policy.policy, OPERATORS.includes(req.principal!.role)))),
    );

    app.get('/devices.csv', { config: { auth: ALL_ROLES } }, async (req: Q, reply) =>
      reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="posture-devices-${new Date().toISOString().slice(0, 10)}.csv"`)
        .send(await devicesCsv(ctx.db, { ...parseDeviceFilters(req.query, ctx.policy.policy), offset: 0 }, ctx.policy.policy)),
    );

    app.get('/devices/:id', { config: { auth: ALL_ROLES } }, async (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
      const p = req.params.id.length <= 64 ? await devicePage(ctx.db, req.params.id, req.principal, ctx.policy.policy) : null;
      if (!p) throw new ApiError(404, 'POSTURE_ERR_NOT_FOUND', 'Device not found.');
      return reply.type('text/html').send(page(p.title, req, p.body));
    });

    app.get('/people', { config: { auth: ALL_ROLES } }, async (req: Q, reply) => reply.type('text/html').send(page('People', req, await peoplePage(ctx.db, req.query, req.principal))));

    app.get('/groups', { config: { auth: ALL_ROLES } }, async (req, reply) => reply.type('text/html').send(page('Groups', req, await groupsPage(ctx.db, ctx.policy.policy, req.principal))));

    app.get('/updates', { config: { auth: ALL_ROLES } }, async (req: Q, reply) => {
      const result = UPDATE_RESULTS.find((r) => r === req.query.result) as UpdateResult | undefined;
      const u = await fleetUpdates(ctx.db, ctx.policy, ctx.config.updatesDir, { result, limit: 500 });
      return reply.type('text/html').send(page('Agent updates', req, updatesPage(u, req.principal, result)));
    });

    app.get('/policy', { config: { auth: ALL_ROLES } }, async (req, reply) => reply.type('text/html').send(page('Policy', req, await policyPage(ctx.policy, req.principal))));

    app.get('/settings', { config: { auth: ADMIN } }, async (req, reply) => {
      // The enrollment command shown with a new secret must name the URL agents reach us at.
      const publicUrl = ctx.config.publicUrl ?? `${req.protocol}://${req.host}`;
      return reply.type('text/html').header('cache-control', 'no-store').send(page('Settings', req, await settingsPage(ctx.db, publicUrl, req.principal?.userId)));
    });

    app.get('/alerts', { config: { auth: ADMIN } }, async (req, reply) =>
      reply.type('text/html').header('cache-control', 'no-store').send(page('Alerts', req, await alertsPage(ctx.db, ctx.webhooks))),
    );

    app.get('/audit', { config: { auth: AUDIT_ROLES } }, async (req: Q, reply) =>
      reply.type('text/html').send(page('Audit log', req, await auditPage(ctx.db, parseAuditFilters(req.query)))),
    );
  };
}
