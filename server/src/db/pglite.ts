import { PGlite } from '@electric-sql/pglite';
import type { Db, Queryable } from './types.js';
import { lockDataDir } from './dir-lock.js';

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
      try {
        await lite.close();
      } finally {
        unlock();
      }
    },
  };
}
