import { mkdirSync } from 'node:fs';
import type { Db } from './types.js';
import { openPg } from './pg.js';
import { openPglite } from './pglite.js';
import { applyStorePermissions } from './permissions.js';

/** DATABASE_URL selects a PostgreSQL server; otherwise the embedded store in dataDir. */
export async function openDb(opts: { databaseUrl?: string; dataDir: string; poolMax?: number }): Promise<Db> {
  if (opts.databaseUrl) return openPg(opts.databaseUrl, { max: opts.poolMax });
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  applyStorePermissions(opts.dataDir);
  return openPglite(opts.dataDir);
}
