/**
 * First-start setup: a bootstrap admin token and an enrollment secret. Both are stored
 * hashed; they are printed once, when created. POSTURE_ADMIN_TOKEN / POSTURE_ENROLL_SECRET
 * pin them for automation (and reset a lost one).
 */
import type { Db } from './db/types.js';
import { sha256hex } from './shared/crypto.js';
import { createApiToken } from './auth/tokens.js';
import { createEnrollSecret } from './enrollment/secrets.js';

export interface BootstrapResult {
  /** Set only when created now (or pinned by env): the one time it can be shown. */
  adminToken?: string;
  enrollSecret?: string;
}

export async function bootstrap(db: Db, opts: { adminToken?: string; enrollSecret?: string }): Promise<BootstrapResult> {
  const out: BootstrapResult = {};
  await db.tx(async (q) => {
    await q.query('SELECT pg_advisory_xact_lock(7362002)');
    if (opts.adminToken) {
      const exists = await q.query('SELECT 1 FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL', [sha256hex(opts.adminToken)]);
      if (!exists.rows.length) {
        await q.query(`UPDATE api_tokens SET revoked_at = now() WHERE label = 'bootstrap' AND revoked_at IS NULL`);
        await createApiToken(q, { role: 'admin', label: 'bootstrap', createdBy: 'env:POSTURE_ADMIN_TOKEN', token: opts.adminToken });
      }
      out.adminToken = opts.adminToken;
    } else {
      const exists = await q.query(`SELECT 1 FROM api_tokens WHERE label = 'bootstrap'`);
      if (!exists.rows.length) out.adminToken = (await createApiToken(q, { role: 'admin', label: 'bootstrap', createdBy: 'bootstrap' })).token;
    }
    if (opts.enrollSecret) {
      await createEnrollSecret(q, { label: 'initial', createdBy: 'env:POSTURE_ENROLL_SECRET', secret: opts.enrollSecret });
      out.enrollSecret = opts.enrollSecret;
    } else {
      const exists = await q.query(`SELECT 1 FROM enroll_secrets WHERE label = 'initial'`);
      if (!exists.rows.length) out.enrollSecret = (await createEnrollSecret(q, { label: 'initial', createdBy: 'bootstrap' })).secret;
    }
  });
  return out;
}
