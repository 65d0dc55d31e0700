/** Browser sessions: an opaque cookie (hashed at rest) plus a per-session CSRF token. */
import { randomBytes } from 'node:crypto';
import type { Db } from '../db/types.js';
import { sha256hex } from '../shared/crypto.js';
import type { Principal, Role } from './roles.js';

export const SESSION_COOKIE = 'posture_session';
export const SESSION_TTL_MS = 12 * 3600_000;

/**
 * A new session for `userId`. Opened with an API token (`apiToken`), it is bound to that token:
 * it ends when the token is revoked or expires (checked on every request), and never outlives
 * the token's expiry.
 */
export async function createSession(db: Db, userId: string, apiToken?: { id: string; expiresAt: Date | null }): Promise<{ cookie: string; csrf: string }> {
  const cookie = randomBytes(32).toString('base64url');
  const csrf = randomBytes(24).toString('base64url');
  let expires = Date.now() + SESSION_TTL_MS;
  if (apiToken?.expiresAt) expires = Math.min(expires, apiToken.expiresAt.getTime());
  await db.query('INSERT INTO sessions (id_hash, user_id, csrf, expires_at, api_token_id) VALUES ($1,$2,$3,$4,$5)', [
    sha256hex(cookie),
    userId,
    csrf,
    new Date(expires),
    apiToken?.id ?? null,
  ]);
  return { cookie, csrf };
}

export async function principalFromSession(db: Db, cookie: string): Promise<Principal | null> {
  if (cookie.length > 100) return null;
  const h = sha256hex(cookie);
  const r = await db.query<{ user_id: string; csrf: string; expires_at: Date; username: string; role: Role; source: string; disabled_at: Date | null; api_token_id: string | null; token_revoked_at: Date | null; token_expires_at: Date | null }>(
    `SELECT s.user_id, s.csrf, s.expires_at, u.username, u.role, u.source, u.disabled_at, s.api_token_id,
            t.revoked_at AS token_revoked_at, t.expires_at AS token_expires_at
       FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN api_tokens t ON t.id = s.api_token_id WHERE s.id_hash = $1`,
    [h],
  );
  const row = r.rows[0];
  if (!row || row.disabled_at || new Date(row.expires_at).getTime() <= Date.now()) return null;
  // Opened with an API token: revoking or expiring the token ends the session at once.
  if (row.api_token_id && (row.token_revoked_at || (row.token_expires_at && new Date(row.token_expires_at).getTime() <= Date.now()))) return null;
  // A token sign-in's session user is named after its token ("token:pst_adm_ab… (label)"): the
  // audit log names it exactly as it names the token's API calls, not "user:token:…".
  const actor = row.source === 'token' ? row.username : `user:${row.username}`;
  return { kind: 'session', actor, role: row.role, userId: row.user_id, username: row.username, csrf: row.csrf, sessionHash: h };
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
