/**
 * Every registered route, against every role and against no credentials. The route list is
 * the one installAuth() collected while the app registered its routes, so a route added
 * later is covered without editing this test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../server/src/app.js';
import type { RegisteredRoute } from '../../server/src/auth/install.js';
import { ROLES, type Role } from '../../server/src/auth/roles.js';
import { startTestCollector, type TestCollector } from '../helpers/collector.js';
import { reportingDevice } from '../dashboard/fleet.js';

describe('route/role matrix (pglite)', () => {
  let c: TestCollector;
  let app: FastifyInstance;
  let routes: RegisteredRoute[];
  let deviceId: string;
  const tokens = {} as Record<Role, string>;

  beforeAll(async () => {
    c = await startTestCollector('pglite');
    const { log: _log, ...base } = c.ctx;
    ({ app, routes } = await buildApp(base));
    await app.ready();
    for (const role of ROLES) tokens[role] = (await c.api('/api/v1/tokens', { method: 'POST', body: JSON.stringify({ role, label: `matrix ${role}`, expiresInDays: 1 }) })).body.token;
    const dev = await reportingDevice(c.url, 'matrix-host');
    await dev.report();
    dev.close();
    deviceId = dev.deviceId;
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await c?.cleanup();
  });

  // Parameters: the real device for :id; anything else gets a value that exists nowhere.
  const urlOf = (r: RegisteredRoute, id: string) => r.url.replace(/:id\b/g, id).replace(/:[A-Za-z]+/g, 'nonexistent');
  const send = (r: RegisteredRoute, token: string | null, id = deviceId) =>
    app.inject({
      method: r.method as 'GET',
      url: urlOf(r, id),
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(r.method === 'GET' ? {} : { 'content-type': 'application/json' }) },
      ...(r.method === 'GET' ? {} : { payload: '{}' }),
    });
  const isPage = (r: RegisteredRoute) => r.method === 'GET' && !r.url.startsWith('/api/') && !r.url.startsWith('/scim/') && r.url !== '/metrics';

  it('collects every route, each with a declaration', () => {
    expect(routes.length).toBeGreaterThan(40);
    for (const r of routes) expect(r.auth === 'public' || r.auth === 'device-link' || (Array.isArray(r.auth) && r.auth.length > 0)).toBe(true);
    // Spot-check that this routes are in the registry.
    const keys = routes.map((r) => `${r.method} ${r.url}`);
    for (const k of ['GET /scim/v2/Users', 'PATCH /scim/v2/Users/:id', 'GET /scim/v2/ServiceProviderConfig', 'PUT /api/v1/devices/:id/owner', 'GET /api/v1/people', 'PUT /api/v1/policy', 'POST /api/v1/devices/:id/exclusions', 'GET /api/v1/audit.csv', 'GET /auth/oidc/callback', 'GET /audit', 'POST /api/v1/tokens', 'GET /api/v1/groups', 'POST /api/v1/groups', 'PATCH /api/v1/groups/:id', 'DELETE /api/v1/groups/:id', 'POST /api/v1/groups/:id/members', 'DELETE /api/v1/groups/:id/members/:deviceId', 'GET /api/v1/devices/:id/groups', 'POST /api/v1/collector/evidence-key/rotate', 'GET /api/v1/collector/evidence-keys'])
      expect(keys).toContain(k);
  });

  it('archive/unarchive: admin and helpdesk; delete: admin only (issue 13)', async () => {
    const auth = (k: string) => routes.find((r) => `${r.method} ${r.url}` === k)?.auth;
    expect(auth('POST /api/v1/devices/:id/archive')).toEqual(['admin', 'helpdesk']);
    expect(auth('POST /api/v1/devices/:id/unarchive')).toEqual(['admin', 'helpdesk']);
    expect(auth('DELETE /api/v1/devices/:id')).toEqual(['admin']);
    // Against the real device: helpdesk and auditor are refused deletion, and it is still there.
    for (const role of ['helpdesk', 'auditor'] as const) {
      const res = await app.inject({ method: 'DELETE', url: `/api/v1/devices/${deviceId}`, headers: { authorization: `Bearer ${tokens[role]}`, 'content-type': 'application/json' }, payload: JSON.stringify({ reason: 'matrix' }) });
      expect(res.statusCode, role).toBe(403);
    }
    const still = await app.inject({ method: 'GET', url: `/api/v1/devices/${deviceId}`, headers: { authorization: `Bearer ${tokens.auditor}` } });
    expect(still.statusCode).toBe(200);
  });

  it('without credentials: role routes refuse (401, or a redirect to /login for pages); public routes answer', async () => {
    const failures: string[] = [];
    for (const r of routes) {
      const res = await send(r, null);
      if (r.auth === 'public') {
        // A public route may refuse what it is sent (POST /login with no password is 401) but never for lack of a role.
        if (res.statusCode >= 500 || res.body.includes('POSTURE_ERR_AUTH_REQUIRED') || res.body.includes('POSTURE_ERR_FORBIDDEN')) failures.push(`${r.method} ${r.url}: public but ${res.statusCode}`);
      } else if (r.auth === 'device-link') {
        // Authenticated by a device-signed link, not a role: never served to an anonymous caller.
        if (res.statusCode < 400 && !(r.url.endsWith('.js') || r.url === '/my-device')) failures.push(`${r.method} ${r.url}: device-link answered ${res.statusCode} without a link`);
      } else if (isPage(r)) {
        if (res.statusCode !== 302 || !String(res.headers.location).startsWith('/login')) failures.push(`${r.method} ${r.url}: page gave ${res.statusCode}`);
      } else if (res.statusCode !== 401) failures.push(`${r.method} ${r.url}: expected 401, got ${res.statusCode}`);
    }
    expect(failures).toEqual([]);
  });

  it('each role is refused (403) where it is not listed', async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const r of routes) {
      if (!Array.isArray(r.auth)) continue;
      for (const role of ROLES.filter((x) => !(r.auth as readonly Role[]).includes(x))) {
        const res = await send(r, tokens[role]);
        checked++;
        if (res.statusCode !== 403) failures.push(`${r.method} ${r.url} as ${role}: expected 403, got ${res.statusCode}`);
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(20);
  });

  it('the scim token reaches /scim/v2 and nothing else; no other role reaches /scim/v2', () => {
    const scimRoutes = routes.filter((r) => Array.isArray(r.auth) && (r.auth as readonly Role[]).includes('scim'));
    expect(scimRoutes.length).toBeGreaterThan(10);
    for (const r of scimRoutes) {
      expect(r.url.startsWith('/scim/v2/'), r.url).toBe(true);
      expect(r.auth).toEqual(['scim']);
    }
    for (const r of routes.filter((x) => x.url.startsWith('/scim/'))) expect(r.auth).toEqual(['scim']);
  });

  it('each listed role gets past authorization', async () => {
    const failures: string[] = [];
    for (const r of routes) {
      if (!Array.isArray(r.auth)) continue;
      for (const role of r.auth as readonly Role[]) {
        // Writes go to an id that does not exist, so the matrix changes nothing (e.g. revoke).
        const res = await send(r, tokens[role], r.method === 'GET' ? deviceId : 'dev_nonexistent');
        // The role check's refusal names the route's roles; a handler may refuse further by policy
        // (evidence export follows policy.evidence.exportRoles), which is not a routing fault.
        const byRoute = res.body.includes('This needs one of the roles');
        if (res.statusCode === 401 || (res.statusCode === 403 && byRoute) || res.statusCode >= 500) failures.push(`${r.method} ${r.url} as ${role}: ${res.statusCode} ${res.body.slice(0, 120)}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
