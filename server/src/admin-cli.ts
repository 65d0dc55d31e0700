/**
 * `npm run admin -- reset-token`: a local operator command (it needs the collector's data
 * directory or DATABASE_URL, i.e. the operator's access to this machine) that revokes the
 * bootstrap admin token and prints a new one, once. The way back in when the one-time token of
 * the first start was lost. Audit-logged as actor "local-operator".
 *
 * `npm run rotate-evidence-key [-- --reason TEXT]` (= `npm run admin -- rotate-evidence-key`):
 * rotates the collector's evidence-signing key (meta/collector-keys.ts), audit-logged the same way.
 * With PostgreSQL it can run while collectors serve (they pick the new key up by NOTIFY and every
 * export reads the current key); the embedded store must be stopped first, as for reset-token.
 *
 * `npm run admin -- prune [--dry-run]`: runs retention now (retention/prune.ts) under the policy
 * version in force (the newest recorded, else the built-in default), without waiting for the
 * daily job; `--dry-run` only prints which months, partitions and rows would go.
 */
import { userInfo } from 'node:os';
import { ConfigError, loadConfig } from './config/env.js';
import { openDb } from './db/open.js';
import { migrate } from './db/migrate.js';
import { DataDirLockedError } from './db/dir-lock.js';
import { createApiToken } from './auth/tokens.js';
import { audit } from './audit/log.js';
import { applyStorePermissions } from './db/permissions.js';
import { ensureSigningKey, rotateSigningKey } from './meta/collector-keys.js';
import { runRetention } from './retention/prune.js';
import { DEFAULT_POLICY } from '#shared/policy/default-policy.js';
import type { Policy } from '#shared/policy/schema.js';

const USAGE = 'Usage: npm run admin -- reset-token\n  Revokes the bootstrap admin token and prints a new one (shown once).\n' +
  '       npm run rotate-evidence-key [-- --reason TEXT]\n  Rotates the evidence-signing key; the old one stays in the key history with its validity.\n' +
  '       npm run admin -- prune [--dry-run]\n  Runs retention now (digests, then old months of reports and state events, then the audit log); --dry-run prints what would go.';
const COMMANDS = ['reset-token', 'rotate-evidence-key', 'prune'];

async function main(argv: string[]): Promise<number> {
  if (!COMMANDS.includes(argv[0] ?? '')) {
    console.error(USAGE);
    return argv[0] === '--help' || argv[0] === '-h' ? 0 : 2;
  }
  let config;
  try {
    config = loadConfig({ ...process.env, POSTURE_ADMIN_TOKEN: '' });
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`posture admin: configuration error: ${e.message}`);
      return 2;
    }
    throw e;
  }
  if (!config.databaseUrl) applyStorePermissions(config.dataDir);
  let db;
  try {
    db = await openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax: 1 });
  } catch (e) {
    if (e instanceof DataDirLockedError) {
      console.error(`posture admin: the collector is running on ${config.dataDir} (the embedded store has one owner). Stop it, run this again, then start it.`);
      return 1;
    }
    throw e;
  }
  try {
    await migrate(db);
    const actor = `local-operator:${userInfo().username}`;
    if (argv[0] === 'rotate-evidence-key') {
      const i = argv.indexOf('--reason');
      const reason = i >= 0 ? argv[i + 1] : null;
      if (i >= 0 && (!reason || reason.length > 500)) {
        console.error('posture admin: --reason needs a text of at most 500 characters');
        return 2;
      }
      await ensureSigningKey(db);
      const r = await rotateSigningKey(db, { actor, reason });
      console.log(`Evidence-signing key rotated at ${r.at}:\n  new key      ${r.kid}\n  previous key ${r.previousKid} (kept in the key history, valid until ${r.at})`);
      return 0;
    }
    if (argv[0] === 'prune') {
      const dryRun = argv.includes('--dry-run');
      const pv = await db.query<{ policy: Policy }>('SELECT policy FROM policy_versions ORDER BY id DESC LIMIT 1');
      await ensureSigningKey(db);
      const r = await runRetention(db, pv.rows[0]?.policy ?? DEFAULT_POLICY, { dryRun, ignoreLease: true, actor });
      console.log(dryRun ? 'Retention dry run (nothing was changed):' : 'Retention run:');
      for (const k of r.kinds)
        console.log(`  ${k.kind}: cutoff ${k.cutoff}; months ${k.months.join(', ') || '(none)'}; partitions ${dryRun ? 'to drop' : 'dropped'} ${k.partitionsDropped.join(', ') || '(none)'} (${k.rowsInDropped} rows); rows ${dryRun ? 'to delete' : 'deleted'} in batches ${k.rowsDeleted}`);
      if (!dryRun) console.log(`  digests written ${r.digestsWritten}; audit-log entries pruned ${r.audit?.deleted ?? 0}; partitions created ${r.partitionsCreated.join(', ') || '(none)'}`);
      return 0;
    }
    const token = await db.tx(async (q) => {
      const old = await q.query<{ id: string }>(`UPDATE api_tokens SET revoked_at = now() WHERE label = 'bootstrap' AND revoked_at IS NULL RETURNING id`);
      const t = await createApiToken(q, { role: 'admin', label: 'bootstrap', createdBy: actor });
      await audit(q, { actor, action: 'api_token.reset_bootstrap', target: t.id, detail: { revoked: old.rows.map((r) => r.id) } });
      return t.token;
    });
    console.log(`New admin token (shown once; the previous bootstrap token is revoked):\n  ${token}`);
    return 0;
  } finally {
    await db.close();
  }
}

main(process.argv.slice(2)).then(
  (c) => (process.exitCode = c),
  (e) => {
    console.error(`posture admin: ${(e as Error).message}`);
    process.exitCode = 1;
  },
);
