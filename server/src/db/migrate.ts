/**
 * Forward-only SQL migrations from server/src/db/migrations, applied in name order inside
 * one advisory lock so that several collectors starting together do not race.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { Db, Queryable } from './types.js';
import { splitSqlStatements } from './split-sql.js';
import { MIGRATION_HOOKS } from './migration-hooks.js';

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');
const LOCK_KEY = 7_362_001; // arbitrary, stable: "posture migrations"

/** Code run right after a migration file, in the same transaction (data a SQL statement cannot compute). */
export type MigrationHook = (q: Queryable) => Promise<void>;

export async function migrate(db: Db, dir = MIGRATIONS_DIR, hooks: Record<string, MigrationHook> = MIGRATION_HOOKS): Promise<string[]> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
  const applied: string[] = [];
  await db.tx(async (q) => {
    await q.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
    await q.query('CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const done = new Set((await q.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((r) => r.name));
    for (const f of files) {
      if (done.has(f)) continue;
      const sql = readFileSync(join(dir, f), 'utf8');
      // One statement per query: the extended protocol (parameters) takes one at a time.
      for (const stmt of splitSqlStatements(sql)) await q.query(stmt);
      await hooks[f]?.(q);
      await q.query('INSERT INTO schema_migrations (name) VALUES ($1)', [f]);
      applied.push(f);
    }
  });
  return applied;
}
