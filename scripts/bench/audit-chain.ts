/**
 * Audit chain figures on real PostgreSQL (DATABASE_URL) and PGlite:
 *   npx tsx scripts/bench/audit-chain.ts [--legacy 50000] [--appends 2000] [--writers 4]
 * 1. chaining `legacy` entries written before the chain (migration 030's hook), in seconds;
 * 2. appends through audit() from `writers` concurrent transactions (entries/s) — they
 *    serialize on the chain lock, so this is the ceiling for audit-writing transactions.
 * Creates and drops its own database / temp directory.
 */
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { migrate } from '../../server/src/db/migrate.js';
import { openPg } from '../../server/src/db/pg.js';
import { openPglite } from '../../server/src/db/pglite.js';
import type { Db } from '../../server/src/db/types.js';
import { audit } from '../../server/src/audit/log.js';
import { scratchDatabase } from './collector-proc.js';

const { values } = parseArgs({ options: { legacy: { type: 'string', default: '50000' }, appends: { type: 'string', default: '2000' }, writers: { type: 'string', default: '4' } } });
const LEGACY = Number(values.legacy);
const APPENDS = Number(values.appends);
const WRITERS = Number(values.writers);
const MIGRATIONS = join(import.meta.dirname, '..', '..', 'server', 'src', 'db', 'migrations');

async function run(kind: 'pg' | 'pglite', open: () => Promise<Db>): Promise<void> {
  const before = mkdtempSync(join(tmpdir(), 'posture-bench-mig-'));
  try {
    for (const f of readdirSync(MIGRATIONS)) if (!/^03[01]_/.test(f)) copyFileSync(join(MIGRATIONS, f), join(before, f));
    const db = await open();
    try {
      await migrate(db, before);
      await db.query(`INSERT INTO audit_log (at, actor, action, target, detail)
        SELECT now() - interval '1 second' * g, 'user:bench', 'bench.legacy', 'target-' || g, jsonb_build_object('n', g, 'note', 'legacy entry') FROM generate_series(1, $1) g`, [LEGACY]);
      let t = Date.now();
      await migrate(db);
      const seal = (Date.now() - t) / 1000;
      t = Date.now();
      let next = 0;
      await Promise.all(Array.from({ length: WRITERS }, async () => {
        while (next < APPENDS) {
          const i = next++;
          await db.tx((q) => audit(q, { actor: 'user:bench', action: 'bench.append', target: String(i), detail: { i } }));
        }
      }));
      const secs = (Date.now() - t) / 1000;
      console.log(`${kind.padEnd(7)} chained ${LEGACY} existing entries in ${seal.toFixed(1)} s (migrations 030-032); ${APPENDS} appends from ${WRITERS} writers in ${secs.toFixed(1)} s = ${Math.round(APPENDS / secs)} entries/s`);
    } finally {
      await db.close();
    }
  } finally {
    rmSync(before, { recursive: true, force: true });
  }
}

const dir = mkdtempSync(join(tmpdir(), 'posture-bench-audit-'));
try {
  await run('pglite', () => openPglite(dir));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (process.env.DATABASE_URL) {
  const db = await scratchDatabase(process.env.DATABASE_URL, 'audit');
  try {
    await run('pg', async () => openPg(db.url, { max: WRITERS + 1 }));
  } finally {
    await db.drop();
  }
}
