export const ROLES = ['admin', 'helpdesk', 'auditor'] as const;
export type Role = (typeof ROLES)[number];
export const isRole = (v: unknown): v is Role => typeof v === 'string' && (ROLES as readonly string[]).includes(v);

/**
 * What a route allows. Every route must declare one (checked when routes are registered):
 * a list of roles, 'public' (health, login page, agent enrollment — which authenticates itself),
 * or 'device-link' (the employee's My-device page, authenticated by a device-signed link token).
 */
export type RouteAuth = readonly Role[] | 'public' | 'device-link';

export const ALL_ROLES: readonly Role[] = ROLES;
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
