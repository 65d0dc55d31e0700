/**
 * Domain plugins beyond the core, each a folder under server/src registered with its
 * own routes. Adding a domain is one line here.
 */
import type { FastifyInstance } from 'fastify';
import type { Ctx } from './context.js';
import { dashboardRoutes } from './dashboard/routes.js';
import { myDeviceRoutes } from './mydevice/routes.js';
import { myDeviceClaimRoutes } from './mydevice/claim-routes.js';
import { policyRoutes } from './policy/routes.js';
import { exclusionRoutes } from './exclusions/routes.js';
import { userRoutes } from './users/routes.js';
import { auditRoutes } from './audit/routes.js';
import { oidcRoutes } from './auth/oidc-routes.js';
import { evidenceRoutes } from './evidence/routes.js';
import { docsRoutes } from './docs/routes.js';
import { updateRoutes } from './updates/routes.js';
import { rolloutRoutes } from './updates/rollout-routes.js';
import { peopleRoutes } from './people/routes.js';
import { scimRoutes } from './scim/routes.js';
import { groupRoutes } from './groups/routes.js';
import { alertRoutes } from './alerts/routes.js';
import { collectorKeyRoutes } from './meta/routes.js';

const PLUGINS: ((ctx: Ctx) => (app: FastifyInstance) => Promise<void>)[] = [
  dashboardRoutes,
  myDeviceRoutes,
  myDeviceClaimRoutes,
  policyRoutes,
  exclusionRoutes,
  userRoutes,
  auditRoutes,
  oidcRoutes,
  evidenceRoutes,
  docsRoutes,
  updateRoutes,
  rolloutRoutes,
  peopleRoutes,
  scimRoutes,
  groupRoutes,
  alertRoutes,
  collectorKeyRoutes,
];

export async function registerDomainPlugins(app: FastifyInstance, ctx: Ctx): Promise<void> {
  for (const p of PLUGINS) await app.register(p(ctx));
}
