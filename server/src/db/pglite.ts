import { PGlite } from '@electric-sql/pglite';
import type { Db, Queryable } from './types.js';
import { lockDataDir } from './dir-lock.js';
import { applyStorePermissions } from './permissions.js';

/**
 * The embedded default: real PostgreSQL compiled to WASM, in a data directory.
 * One process owns it, so LISTEN/NOTIFY is delivered in-process.
 */
export async function openPglite(dataDir: string): Promise<Db> {
  const unlock = lockDataDir(dataDir);
  let lite: PGlite;
  try {
    lite = await PGlite.create(dataDir);
  } catch (e) {
    unlock();
    throw e;
  }
  // PGlite's file layer creates files 0666 whatever the umask (measured: 968 of ~1000 files),
  // so fix them right after start and then every minute (new WAL segments, relation files);
  // the data directory itself is 0700 (applied before open), so no other user can reach them between passes.
  const fixModes = () => {
    try {
      applyStorePermissions(dataDir);
    } catch {
      /* a file removed mid-walk; the next pass gets the rest */
    }
  };
  fixModes();
  const modeTimer = setInterval(fixModes, 60_000);
  modeTimer.unref();
  const subs = new Map<string, Set<(p: string) => void>>();
  const wrap = (q: { query: PGlite['query'] }): Queryable => ({
    async query(sql, params) {
      const r = await q.query(sql, params as unknown[]);
      return { rows: r.rows as never[], rowCount: r.affectedRows ?? r.rows.length };
    },
  });
  const base = wrap(lite);
  return {
    kind: 'pglite',
    query: base.query,
    tx: (fn) => lite.transaction((t) => fn(wrap(t))),
    async exec(sql) {
      await lite.exec(sql);
    },
    async listen(channel, onMessage) {
      let set = subs.get(channel);
      if (!set) subs.set(channel, (set = new Set()));
      set.add(onMessage);
      return async () => {
        set!.delete(onMessage);
      };
    },
    async notify(channel, payload) {
      for (const fn of subs.get(channel) ?? []) queueMicrotask(() => fn(payload));
    },
    async close() {
      clearInterval(modeTimer);
      try {
        await lite.close();
        fixModes();
      } finally {
        unlock();
      }
    },
  };
}
