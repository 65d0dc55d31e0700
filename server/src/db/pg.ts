import pg from 'pg';
import type { Db, Queryable } from './types.js';

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

  const db: Db = {
    kind: 'pg',
    async query(sql, params) {
      const r = await pool.query(sql, params as unknown[]);
      return { rows: r.rows, rowCount: r.rowCount ?? 0 };
    },
    async tx(fn) {
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
