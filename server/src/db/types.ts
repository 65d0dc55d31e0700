/**
 * The store seen by the rest of the collector: plain SQL with $n parameters, which
 * both node-postgres and PGlite accept, so one set of migrations and queries serves both.
 */
export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: R[]; rowCount: number }>;
}

export interface Db extends Queryable {
  readonly kind: 'pg' | 'pglite';
  /**
   * Run fn in one transaction; commits if fn resolves, rolls back if it throws. On PostgreSQL, a
   * transaction the server aborts for a deadlock or serialization failure is run again (at most
   * TX_ATTEMPTS times in all, db/pg.ts), so fn must act only on the database: send messages and
   * other side effects after tx returns.
   */
  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  /** Run a multi-statement script without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /** LISTEN on a channel (cross-collector commands). PGlite has one process, so it is local. */
  listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>>;
  notify(channel: string, payload: string): Promise<void>;
  close(): Promise<void>;
}

/** Errors that mean "the database is not reachable right now" (retry later), as opposed to a bug. */
export function isDbUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null;
  if (!e) return false;
  const code = e.code ?? '';
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH'].includes(code)) return true;
  // 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now, 08xxx connection exceptions, 53300 too many connections
  if (/^(57P0[123]|08...|53300)$/.test(code)) return true;
  const msg = e.message ?? '';
  // 55000 is broad (object_not_in_prerequisite_state); only its connection refusal (ALLOW_CONNECTIONS
  // false during maintenance or a failover) means the database is away.
  if (code === '55000' && /not currently accepting connections/i.test(msg)) return true;
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable/i.test(msg);
}
