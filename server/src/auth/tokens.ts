/** API tokens: random bearer secrets, hashed at rest, scoped to a role, expiring, revocable. */
import type { Db, Queryable } from '../db/types.js';
import { newId, newSecret, sha256hex } from '../shared/crypto.js';
import type { Principal, Role } from './roles.js';

export async function createApiToken(
  q: Queryable,
  opts: { role: Role; label: string; createdBy: string; expiresAt?: Date | null; token?: string },
): Promise<{ id: string; token: string }> {
  const token = opts.token ?? newSecret(opts.role === 'admin' ? 'pst_adm' : 'pst_tok');
  const id = newId('tok');
  await q.query(
    'INSERT INTO api_tokens (id, token_hash, prefix, role, label, created_by, expires_at) VALUES ($1,$2,$3,$4,$5,$6,$7)',
    [id, sha256hex(token), token.slice(0, 12), opts.role, opts.label, opts.createdBy, opts.expiresAt ?? null],
  );
  return { id, token };
}

export async function principalFromToken(db: Db, token: string): Promise<Principal | null> {
  if (token.length < 16 || token.length > 200) return null;
  const r = await db.query<{ id: string; prefix: string; role: Role; label: string; expires_at: Date | null; revoked_at: Date | null }>(
    'SELECT id, prefix, role, label, expires_at, revoked_at FROM api_tokens WHERE token_hash = $1',
    [sha256hex(token)],
  );
  const row = r.rows[0];
  if (!row || row.revoked_at || (row.expires_at && new Date(row.expires_at).getTime() <= Date.now())) return null;
  // Not awaited: last-used is informational and must not slow every request.
  void db.query('UPDATE api_tokens SET last_used_at = now() WHERE id = $1', [row.id]).catch(() => {});
  return { kind: 'token', actor: `token:${row.prefix}…${row.label ? ` (${row.label})` : ''}`, role: row.role, tokenId: row.id, tokenExpiresAt: row.expires_at ? new Date(row.expires_at) : null };
}
