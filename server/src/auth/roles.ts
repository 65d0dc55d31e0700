/**
 * Roles, most to least privileged. `scim` is not a person's role: it is held only by the
 * identity provider's provisioning token and reaches /scim/v2 and nothing else (no route
 * lists it except the SCIM plugin's; ALL_ROLES below leaves it out on purpose).
 */
export const ROLES = ['admin', 'helpdesk', 'auditor', 'scim'] as const;
export type Role = (typeof ROLES)[number];
export const isRole = (v: unknown): v is Role => typeof v === 'string' && (ROLES as readonly string[]).includes(v);

/**
 * What a route allows. Every route must declare one (checked when routes are registered):
 * a list of roles, 'public' (health, login page, agent enrollment — which authenticates itself),
 * or 'device-link' (the employee's My-device page, authenticated by a device-signed link token).
 */
export type RouteAuth = readonly Role[] | 'public' | 'device-link';

/** The roles people hold (users, sessions, SSO mapping). */
export const HUMAN_ROLES: readonly Role[] = ['admin', 'helpdesk', 'auditor'];
export const isHumanRole = (v: unknown): v is Role => isRole(v) && HUMAN_ROLES.includes(v);
/** Every human role; routes for "anyone signed in". Never includes `scim`. */
export const ALL_ROLES: readonly Role[] = HUMAN_ROLES;
export const SCIM: readonly Role[] = ['scim'];
export const ADMIN: readonly Role[] = ['admin'];
export const OPERATORS: readonly Role[] = ['admin', 'helpdesk'];

export interface Principal {
  kind: 'token' | 'session';
  /** Who, for the audit log: "user:alice", "token:pst_adm_ab…". */
  actor: string;
  role: Role;
  userId?: string;
  username?: string;
  csrf?: string;
  sessionHash?: string;
  /** For kind 'token': the api_tokens row, so a session opened with it can be bound to it. */
  tokenId?: string;
  tokenExpiresAt?: Date | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
}
