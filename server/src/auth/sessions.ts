/** Browser sessions: an opaque cookie (hashed at rest) plus a per-session CSRF token. */
import { randomBytes } from 'node:crypto';
import type { Db } from '../db/types.js';
import { sha256hex } from '../shared/crypto.js';
import type { Principal, Role } from './roles.js';

export const SESSION_COOKIE = 'posture_session';
export const SESSION_TTL_MS = 12 * 3600_000;

export async function createSession(db: Db, userId: string): Promise<{ cookie: string; csrf: string }> {
  const cookie = randomBytes(32).toString('base64url');
  const csrf = randomBytes(24).toString('base64url');
  await db.query('INSERT INTO sessions (id_hash, user_id, csrf, expires_at) VALUES ($1,$2,$3,$4)', [
    sha256hex(cookie),
    userId,
    csrf,
    new Date(Date.now() + SESSION_TTL_MS),
  ]);
  return { cookie, csrf };
}

export async function principalFromSession(db: Db, cookie: string): Promise<Principal | null> {
  if (cookie.length > 100) return null;
  const h = sha256hex(cookie);
  const r = await db.query<{ user_id: string; csrf: string; expires_at: Date; username: string; role: Role; disabled_at: Date | null }>(
    `SELECT s.user_id, s.csrf, s.expires_at, u.username, u.role, u.disabled_at FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1`,
    [h],
  );
  const row = r.rows[0];
  if (!row || row.disabled_at || new Date(row.expires_at).getTime() <= Date.now()) return null;
  return { kind: 'session', actor: `user:${row.username}`, role: row.role, userId: row.user_id, username: row.username, csrf: row.csrf, sessionHash: h };
}

export async function deleteSession(db: Db, sessionHash: string): Promise<void> {
  await db.query('DELETE FROM sessions WHERE id_hash = $1', [sessionHash]);
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const k = part.slice(0, i).trim();
    const v = part.slice(i + 1).trim();
    if (k && !(k in out)) {
      try {
        out[k] = decodeURIComponent(v);
      } catch {
        out[k] = v;
      }
    }
  }
  return out;
}
