/**
 * The collector's configuration, read from the environment once at start and validated.
 * Every variable is documented in the README.
 */
import { resolve } from 'node:path';
import { weakAdminToken } from '../bootstrap.js';
import { verifyPoolSize } from '../ingest/verify-pool.js';

export interface CollectorConfig {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl?: string;
  adminToken?: string;
  enrollSecret?: string;
  policyFile?: string;
  webhookUrl?: string;
  /** HMAC-SHA256 key signing every webhook delivery (X-Posture-Signature). */
  webhookSecret?: string;
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
  /**
   * Addresses/CIDRs of reverse proxies whose X-Forwarded-For/-Proto/-Host are believed
   * (POSTURE_TRUSTED_PROXIES, comma-separated; default none: the socket's peer is the source).
   */
  trustedProxies: string[];
  /** Whole-request deadline (headers + body) in ms: a client that sends headers and never the body is cut off. */
  requestTimeoutMs: number;
  /** Unauthenticated requests in flight per source address before more are refused with 429. */
  maxPublicRequestsPerSource: number;
  /** Enrollments per source address per minute (per secret: ten times this). */
  enrollRatePerMin: number;
  /** Run the report projector in this process (default on); off for an ingest-only collector. */
  projector: boolean;
  /** Run the projector on a worker thread with its own pool (POSTURE_PROJECTOR_THREAD, default off; PostgreSQL only). */
  projectorThread: boolean;
  /** Worker threads verifying reports off the event loop (POSTURE_VERIFY_WORKERS: 0 = off, the default; `auto` = cores − 1, at least 1). */
  verifyWorkers: number;
}

/** An IPv4/IPv6 address or CIDR, as proxy-addr (fastify's trustProxy) accepts them. */
const PROXY_RE = /^(?:[0-9.]+|[0-9a-fA-F:.]+)(?:\/\d{1,3})?$|^(?:loopback|linklocal|uniquelocal)$/;

export class ConfigError extends Error {}

function int(name: string, v: string | undefined, def: number, min: number, max: number): number {
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${v}"`);
  return n;
}

function bool(name: string, v: string | undefined, def: boolean): boolean {
  if (v === undefined || v === '') return def;
  if (/^(1|true|on|yes)$/i.test(v)) return true;
  if (/^(0|false|off|no)$/i.test(v)) return false;
  throw new ConfigError(`${name} must be on or off, got "${v}"`);
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
  if (env.POSTURE_ADMIN_TOKEN) {
    const weak = weakAdminToken(env.POSTURE_ADMIN_TOKEN);
    if (weak) throw new ConfigError(`POSTURE_ADMIN_TOKEN ${weak}; generate one with: openssl rand -base64 32`);
  }
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
    webhookSecret: env.POSTURE_WEBHOOK_SECRET || undefined,
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
    trustedProxies: trustedProxies(env.POSTURE_TRUSTED_PROXIES),
    requestTimeoutMs: int('POSTURE_REQUEST_TIMEOUT_MS', env.POSTURE_REQUEST_TIMEOUT_MS, 30_000, 1_000, 600_000),
    enrollRatePerMin: int('POSTURE_ENROLL_RATE_PER_MIN', env.POSTURE_ENROLL_RATE_PER_MIN, 60, 1, 10_000_000),
    maxPublicRequestsPerSource: int('POSTURE_MAX_PUBLIC_REQUESTS_PER_SOURCE', env.POSTURE_MAX_PUBLIC_REQUESTS_PER_SOURCE, 32, 1, 10_000),
    projector: bool('POSTURE_PROJECTOR', env.POSTURE_PROJECTOR, true),
    projectorThread: bool('POSTURE_PROJECTOR_THREAD', env.POSTURE_PROJECTOR_THREAD, false),
    verifyWorkers: env.POSTURE_VERIFY_WORKERS === 'auto' ? verifyPoolSize('auto') : int('POSTURE_VERIFY_WORKERS', env.POSTURE_VERIFY_WORKERS, 0, 0, 64),
  };
}

function trustedProxies(v: string | undefined): string[] {
  const list = (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const a of list) if (!PROXY_RE.test(a)) throw new ConfigError(`POSTURE_TRUSTED_PROXIES: "${a}" is not an address or CIDR (e.g. 10.0.0.5,192.168.1.0/24)`);
  return list;
}
