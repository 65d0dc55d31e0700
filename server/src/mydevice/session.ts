/**
 * The My-device cookie session. The link token is exchanged for it once, so the token does
 * not stay in the address bar or history. Scoped to one device, short-lived, HttpOnly,
 * SameSite=Strict, path /my-device; stored hashed with a per-session CSRF token.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Db } from '../db/types.js';
import { parseCookies } from '../auth/sessions.js';
import { safeEqual, sha256hex } from '../shared/crypto.js';

export const MY_DEVICE_COOKIE = 'posture_my_device';
export const MY_DEVICE_SESSION_TTL_SEC = 30 * 60;

export interface MyDeviceSession {
  deviceId: string;
  csrf: string;
  expiresAt: Date;
  /** The device was revoked after the session began: callers refuse with a clear message. */
  revoked: boolean;
}

export async function createMyDeviceSession(db: Db, deviceId: string): Promise<{ cookie: string; csrf: string }> {
  const cookie = randomBytes(32).toString('base64url');
  const csrf = randomBytes(24).toString('base64url');
  // Opportunistic cleanup keeps the table small without a separate job.
  await db.query('DELETE FROM my_device_sessions WHERE expires_at < now()');
  await db.query('INSERT INTO my_device_sessions (id_hash, device_id, csrf, expires_at) VALUES ($1,$2,$3,$4)', [
    sha256hex(cookie),
    deviceId,
    csrf,
    new Date(Date.now() + MY_DEVICE_SESSION_TTL_SEC * 1000),
  ]);
  return { cookie, csrf };
}

/** The session behind the request's cookie, if valid and unexpired. */
export async function sessionFromRequest(db: Db, req: FastifyRequest): Promise<MyDeviceSession | null> {
  const c = parseCookies(req.headers.cookie)[MY_DEVICE_COOKIE];
  if (!c || c.length > 100) return null;
  const r = await db.query<{ device_id: string; csrf: string; expires_at: Date; revoked_at: Date | null }>(
    `SELECT s.device_id, s.csrf, s.expires_at, d.revoked_at FROM my_device_sessions s JOIN devices d ON d.id = s.device_id WHERE s.id_hash = $1`,
    [sha256hex(c)],
  );
  const row = r.rows[0];
  if (!row || new Date(row.expires_at).getTime() <= Date.now()) return null;
  return { deviceId: row.device_id, csrf: row.csrf, expiresAt: new Date(row.expires_at), revoked: !!row.revoked_at };
}

export function cookieHeader(value: string, secure: boolean, maxAgeSec = MY_DEVICE_SESSION_TTL_SEC): string {
  return `${MY_DEVICE_COOKIE}=${value}; Path=/my-device; Max-Age=${maxAgeSec}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

/**
 * CSRF for the cookie: SameSite=Strict already keeps cross-site requests from carrying it;
 * the per-session token in a header (which a form cannot set) and a same-origin check cover
 * browsers or proxies that do not honour SameSite.
 */
export function csrfOk(req: FastifyRequest, s: MyDeviceSession): boolean {
  const sent = req.headers['x-csrf-token'];
  if (typeof sent !== 'string' || !safeEqual(sent, s.csrf)) return false;
  const origin = req.headers.origin;
  if (origin && origin !== 'null') {
    try {
      if (new URL(origin).host !== req.headers.host) return false;
    } catch {
      return false;
    }
  }
  return true;
}
