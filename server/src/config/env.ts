/**
 * The collector's configuration, read from the environment once at start and validated.
 * Every variable is documented in the README.
 */
import { resolve } from 'node:path';

export interface CollectorConfig {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl?: string;
  adminToken?: string;
  enrollSecret?: string;
  policyFile?: string;
  webhookUrl?: string;
  tlsCert?: string;
  tlsKey?: string;
  /** Public URL agents and browsers use (defaults to http://HOST:PORT). */
  publicUrl?: string;
  logLevel: string;
  oidc?: { issuer: string; clientId: string; clientSecret: string; roleClaim: string; roleMap: Record<string, string>; redirectUrl?: string };
  /** Stale-marking and outbox job period. */
  jobIntervalMs: number;
  dbPoolMax: number;
  /** How long to wait for an unreachable database at start before giving up. */
  dbWaitSec: number;
  /** TUF update repository served at /updates/ (POSTURE_UPDATES_DIR, default <data>/updates). */
  updatesDir: string;
  /** Online timestamp key (PEM) the collector re-signs timestamp.json with (POSTURE_UPDATES_TIMESTAMP_KEY). */
  updatesTimestampKey?: string;
}

export class ConfigError extends Error {}

function int(name: string, v: string | undefined, def: number, min: number, max: number): number {
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${v}"`);
  return n;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): CollectorConfig {
  const oidcIssuer = env.POSTURE_OIDC_ISSUER;
  let roleMap: Record<string, string> = {};
  if (env.POSTURE_OIDC_ROLE_MAP) {
    try {
      roleMap = JSON.parse(env.POSTURE_OIDC_ROLE_MAP);
    } catch {
      throw new ConfigError('POSTURE_OIDC_ROLE_MAP must be JSON, e.g. {"it-admins":"admin","helpdesk":"helpdesk"}');
    }
  }
  if (oidcIssuer && (!env.POSTURE_OIDC_CLIENT_ID || !env.POSTURE_OIDC_CLIENT_SECRET))
    throw new ConfigError('POSTURE_OIDC_ISSUER needs POSTURE_OIDC_CLIENT_ID and POSTURE_OIDC_CLIENT_SECRET');
  if (!!env.POSTURE_TLS_CERT !== !!env.POSTURE_TLS_KEY) throw new ConfigError('POSTURE_TLS_CERT and POSTURE_TLS_KEY go together');
  return {
    port: int('PORT', env.PORT, 8080, 0, 65535),
    host: env.HOST || '127.0.0.1',
    dataDir: resolve(env.POSTURE_DATA_DIR || './data'),
    databaseUrl: env.DATABASE_URL || undefined,
    adminToken: env.POSTURE_ADMIN_TOKEN || undefined,
    enrollSecret: env.POSTURE_ENROLL_SECRET || undefined,
    policyFile: env.POSTURE_POLICY_FILE || undefined,
    webhookUrl: env.POSTURE_WEBHOOK_URL || undefined,
    tlsCert: env.POSTURE_TLS_CERT || undefined,
    tlsKey: env.POSTURE_TLS_KEY || undefined,
    publicUrl: env.POSTURE_PUBLIC_URL || undefined,
    logLevel: env.LOG_LEVEL || 'info',
    oidc: oidcIssuer
      ? {
          issuer: oidcIssuer,
          clientId: env.POSTURE_OIDC_CLIENT_ID!,
          clientSecret: env.POSTURE_OIDC_CLIENT_SECRET!,
          roleClaim: env.POSTURE_OIDC_ROLE_CLAIM || 'groups',
          roleMap,
          redirectUrl: env.POSTURE_OIDC_REDIRECT_URL || undefined,
        }
      : undefined,
    jobIntervalMs: int('POSTURE_JOB_INTERVAL_MS', env.POSTURE_JOB_INTERVAL_MS, 30_000, 100, 3_600_000),
    dbPoolMax: int('POSTURE_DB_POOL_MAX', env.POSTURE_DB_POOL_MAX, 10, 1, 200),
    dbWaitSec: int('POSTURE_DB_WAIT_SEC', env.POSTURE_DB_WAIT_SEC, 60, 0, 3600),
    updatesDir: resolve(env.POSTURE_UPDATES_DIR || resolve(env.POSTURE_DATA_DIR || './data', 'updates')),
    updatesTimestampKey: env.POSTURE_UPDATES_TIMESTAMP_KEY || undefined,
  };
}
