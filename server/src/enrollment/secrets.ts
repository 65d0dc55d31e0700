/**
 * Enrollment secrets: shown once at creation, stored as SHA-256 (they are high-entropy
 * random strings, so a fast hash is enough), listed by prefix only, expirable and revocable.
 */
import type { Db, Queryable } from '../db/types.js';
import { newId, newSecret, sha256hex } from '../shared/crypto.js';

export interface EnrollSecretRow {
  id: string;
  prefix: string;
  label: string;
  created_at: Date;
  created_by: string;
  expires_at: Date | null;
  revoked_at: Date | null;
  uses: number;
  last_used_at: Date | null;
}

export async function createEnrollSecret(
  q: Queryable,
  opts: { label?: string; createdBy: string; expiresAt?: Date | null; secret?: string },
): Promise<{ id: string; secret: string }> {
  const secret = opts.secret ?? newSecret('pst_enr');
  const id = newId('es');
  await q.query(
    // Plain INSERT: an existing secret is never revived (a revoked or expired one stays so).
    `INSERT INTO enroll_secrets (id, secret_hash, prefix, label, created_by, expires_at) VALUES ($1,$2,$3,$4,$5,$6)`,
    [id, sha256hex(secret), secret.slice(0, 12), opts.label ?? '', opts.createdBy, opts.expiresAt ?? null],
  );
  return { id, secret };
}

export async function listEnrollSecrets(db: Db): Promise<EnrollSecretRow[]> {
  const r = await db.query<EnrollSecretRow>(
    'SELECT id, prefix, label, created_at, created_by, expires_at, revoked_at, uses::int AS uses, last_used_at FROM enroll_secrets ORDER BY created_at DESC',
  );
  return r.rows;
}

export async function revokeEnrollSecret(q: Queryable, id: string): Promise<boolean> {
  const r = await q.query('UPDATE enroll_secrets SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [id]);
  return r.rowCount > 0;
}

export async function expireEnrollSecret(q: Queryable, id: string, at: Date): Promise<boolean> {
  const r = await q.query('UPDATE enroll_secrets SET expires_at = $2 WHERE id = $1', [id, at]);
  return r.rowCount > 0;
}

export type SecretCheck = { ok: true; id: string } | { ok: false; reason: 'unknown' | 'revoked' | 'expired' };

export async function useEnrollSecret(q: Queryable, secret: string): Promise<SecretCheck> {
  const r = await q.query<{ id: string; revoked_at: Date | null; expires_at: Date | null }>(
    'SELECT id, revoked_at, expires_at FROM enroll_secrets WHERE secret_hash = $1',
    [sha256hex(secret)],
  );
  const row = r.rows[0];
  if (!row) return { ok: false, reason: 'unknown' };
  if (row.revoked_at) return { ok: false, reason: 'revoked' };
  if (row.expires_at && new Date(row.expires_at).getTime() <= Date.now()) return { ok: false, reason: 'expired' };
  await q.query('UPDATE enroll_secrets SET uses = uses + 1, last_used_at = now() WHERE id = $1', [row.id]);
  return { ok: true, id: row.id };
}
