/**
 * First-start setup: a bootstrap admin token and an enrollment secret, stored hashed and
 * shown once, when created (the collector calls this only after it listens, so a start that
 * fails on a busy port loses nothing: the next start creates and shows them).
 *
 * POSTURE_ADMIN_TOKEN / POSTURE_ENROLL_SECRET pin them for automation, under two rules
 * (issue 11 #2, #12): the environment may only CREATE a value that does not exist yet, and a
 * value an administrator revoked or that expired stays so (the start says so in its log). A
 * new POSTURE_ADMIN_TOKEN value replaces the previous bootstrap token (how a lost one is
 * reset; `npm run admin -- reset-token` does the same without a restart).
 */
import type { Db } from './db/types.js';
import { sha256hex } from './shared/crypto.js';
import { createApiToken } from './auth/tokens.js';
import { createEnrollSecret } from './enrollment/secrets.js';
import { audit } from './audit/log.js';

export type EnvCredentialState = 'created' | 'active' | 'revoked' | 'expired';

export interface BootstrapResult {
  /** A generated value, set only when created now: the one time it can be shown. */
  adminToken?: string;
  enrollSecret?: string;
  /** What happened to a value pinned by the environment (never echoed back). */
  adminTokenFromEnv?: EnvCredentialState;
  enrollSecretFromEnv?: EnvCredentialState;
  /** Plain-words lines for the start log (e.g. a pinned value that stays revoked). */
  notices: string[];
}

export async function bootstrap(db: Db, opts: { adminToken?: string; enrollSecret?: string }): Promise<BootstrapResult> {
  const out: BootstrapResult = { notices: [] };
  await db.tx(async (q) => {
    await q.query('SELECT pg_advisory_xact_lock(7362002)');
    if (opts.adminToken) {
      const row = (await q.query<{ revoked_at: Date | null; expires_at: Date | null }>('SELECT revoked_at, expires_at FROM api_tokens WHERE token_hash = $1', [sha256hex(opts.adminToken)])).rows[0];
      if (!row) {
        await q.query(`UPDATE api_tokens SET revoked_at = now() WHERE label = 'bootstrap' AND revoked_at IS NULL`);
        const t = await createApiToken(q, { role: 'admin', label: 'bootstrap', createdBy: 'env:POSTURE_ADMIN_TOKEN', token: opts.adminToken });
        await audit(q, { actor: 'env:POSTURE_ADMIN_TOKEN', action: 'api_token.create', target: t.id, detail: { label: 'bootstrap', role: 'admin' } });
        out.adminTokenFromEnv = 'created';
      } else if (row.revoked_at || (row.expires_at && new Date(row.expires_at).getTime() <= Date.now())) {
        out.adminTokenFromEnv = row.revoked_at ? 'revoked' : 'expired';
        out.notices.push(`POSTURE_ADMIN_TOKEN names a token that was ${out.adminTokenFromEnv}; it stays ${out.adminTokenFromEnv} (set a new value, or run \`npm run admin -- reset-token\`).`);
      } else out.adminTokenFromEnv = 'active';
    } else {
      const exists = await q.query(`SELECT 1 FROM api_tokens WHERE label = 'bootstrap'`);
      if (!exists.rows.length) {
        const t = await createApiToken(q, { role: 'admin', label: 'bootstrap', createdBy: 'bootstrap' });
        await audit(q, { actor: 'bootstrap', action: 'api_token.create', target: t.id, detail: { label: 'bootstrap', role: 'admin' } });
        out.adminToken = t.token;
      }
    }
    if (opts.enrollSecret) {
      const row = (await q.query<{ revoked_at: Date | null; expires_at: Date | null }>('SELECT revoked_at, expires_at FROM enroll_secrets WHERE secret_hash = $1', [sha256hex(opts.enrollSecret)])).rows[0];
      if (!row) {
        const s = await createEnrollSecret(q, { label: 'initial', createdBy: 'env:POSTURE_ENROLL_SECRET', secret: opts.enrollSecret });
        await audit(q, { actor: 'env:POSTURE_ENROLL_SECRET', action: 'enroll_secret.create', target: s.id, detail: { label: 'initial' } });
        out.enrollSecretFromEnv = 'created';
      } else if (row.revoked_at || (row.expires_at && new Date(row.expires_at).getTime() <= Date.now())) {
        out.enrollSecretFromEnv = row.revoked_at ? 'revoked' : 'expired';
        out.notices.push(`POSTURE_ENROLL_SECRET names an enrollment secret that was ${out.enrollSecretFromEnv}; it stays ${out.enrollSecretFromEnv} and cannot enroll agents (create a new one on the Settings page).`);
      } else out.enrollSecretFromEnv = 'active';
    } else {
      const exists = await q.query(`SELECT 1 FROM enroll_secrets WHERE label = 'initial'`);
      if (!exists.rows.length) {
        const s = await createEnrollSecret(q, { label: 'initial', createdBy: 'bootstrap' });
        await audit(q, { actor: 'bootstrap', action: 'enroll_secret.create', target: s.id, detail: { label: 'initial' } });
        out.enrollSecret = s.secret;
      }
    }
  });
  return out;
}

/** POSTURE_ADMIN_TOKEN must be a real secret: ≥ 24 characters with some variety (≥ 10 distinct). */
export function weakAdminToken(t: string): string | null {
  if (t.length < 24) return 'must be at least 24 characters';
  if (new Set(t).size < 10) return 'is too repetitive (use at least 10 different characters)';
  if (/^(pst_adm_)?(change-?me|admin|password|secret|token|test)/i.test(t) && new Set(t).size < 16) return 'looks like a placeholder';
  return null;
}
