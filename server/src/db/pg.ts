import pg from 'pg';
import type { Db, Queryable } from './types.js';

/** How many times a transaction is run when PostgreSQL aborts it for a deadlock or a serialization failure. */
export const TX_ATTEMPTS = 3;

/**
 * True for the errors PostgreSQL raises when it aborts a transaction to resolve a conflict with
 * another one: 40P01 deadlock_detected, 40001 serialization_failure. Running it again succeeds.
 */
export function isTransientConflict(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === '40P01' || code === '40001';
}

/** PostgreSQL server over node-postgres. The pool reconnects on its own after an outage. */
export function openPg(url: string, opts: { max?: number } = {}): Db {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its connection (server restart) must not crash the process.
  pool.on('error', () => {});
  const listeners: pg.Client[] = [];

  // One attempt: BEGIN, fn, COMMIT (ROLLBACK on any error).
  const runTx = async <T>(fn: (q: Queryable) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    let broken = false;
    const onError = () => (broken = true);
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const q: Queryable = {
        async query(sql, params) {
          const r = await client.query(sql, params as unknown[]);
          return { rows: r.rows, rowCount: r.rowCount ?? 0 };
        },
      };
      const out = await fn(q);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      throw err;
    } finally {
      // Pooled clients live on: remove our listener or they accumulate one per transaction.
      client.off('error', onError);
      client.release(broken);
    }
  };

  const db: Db = {
    kind: 'pg',
    async query(sql, params) {
      const r = await pool.query(sql, params as unknown[]);
      return { rows: r.rows, rowCount: r.rowCount ?? 0 };
    },
    async tx(fn) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await runTx(fn);
        } catch (err) {
          // PostgreSQL rolled the whole transaction back, so running it again is safe; it happens
          // when two transactions take row locks and the audit-chain lock (audit/log.ts) in
          // opposite orders. Bounded: a conflict that keeps recurring is thrown to the caller.
          if (attempt >= TX_ATTEMPTS || !isTransientConflict(err)) throw err;
          await new Promise((r) => setTimeout(r, 10 + Math.random() * 40 * attempt));
        }
      }
    },
    async exec(sql) {
      await pool.query(sql);
    },
    async listen(channel, onMessage) {
      // A dedicated connection that re-subscribes after the server restarts.
      let client: pg.Client | null = null;
      let stopped = false;
      const connect = async (): Promise<void> => {
        if (stopped) return;
        const c = new pg.Client({ connectionString: url });
        c.on('error', () => {});
        c.on('end', () => {
          if (!stopped) setTimeout(() => void connect().catch(() => {}), 1000).unref();
        });
        c.on('notification', (n) => {
          if (n.channel === channel && n.payload !== undefined) onMessage(n.payload);
        });
        try {
          await c.connect();
          await c.query(`LISTEN "${channel.replace(/"/g, '')}"`);
          client = c;
          listeners.push(c);
        } catch {
          c.end().catch(() => {});
        }
      };
      await connect();
      return async () => {
        stopped = true;
        await client?.end().catch(() => {});
      };
    },
    async notify(channel, payload) {
      await pool.query('SELECT pg_notify($1, $2)', [channel, payload]);
    },
    async close() {
      for (const l of listeners) await l.end().catch(() => {});
      await pool.end();
    },
  };
  return db;
}
