/**
 * The audit log: append-only (the database refuses UPDATE/DELETE, migration 031) and
 * hash-chained (shared/src/audit/chain.ts). Appends from every collector on one database
 * serialize on the advisory lock AUDIT_CHAIN_LOCK, held until the writing transaction ends, so
 * each entry links to the one committed before it.
 */
import { AUDIT_CHAIN_LOCK, auditEntryHash, type AuditChainHead } from '#shared/audit/chain.js';
import type { Db, Queryable } from '../db/types.js';

export interface AuditEntry {
  actor: string;
  action: string;
  target?: string | null;
  outcome?: 'ok' | 'denied' | 'failed';
  ip?: string | null;
  detail?: unknown;
}

const isDb = (q: Queryable | Db): q is Db => typeof (q as Db).tx === 'function';

/**
 * Append to the audit log. Pass the transaction's Queryable so the entry commits with the change
 * it records (the chain lock is then held until that transaction ends); given the Db itself, the
 * entry is written in a transaction of its own. Returns the new chain head.
 */
export async function audit(q: Queryable | Db, e: AuditEntry): Promise<AuditChainHead> {
  if (isDb(q)) return q.tx((t) => append(t, e));
  return append(q, e);
}

async function append(q: Queryable, e: AuditEntry): Promise<AuditChainHead> {
  await q.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_CHAIN_LOCK]);
  // The time is taken under the lock (not the transaction's start), so seq order is time order;
  // milliseconds, because that is what the hash and every reader (JS Date) carry.
  const h = await q.query<{ now: Date; seq: string | null; hash: string | null }>(
    `SELECT date_trunc('milliseconds', clock_timestamp()) AS now, l.seq::text AS seq, l.hash
       FROM (SELECT 1) one LEFT JOIN (SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1) l ON true`,
  );
  const seq = Number(h.rows[0].seq ?? 0) + 1;
  const prevHash = h.rows[0].hash ?? null;
  // Hash what the store will hand back: jsonb keeps JSON values, so normalise through JSON first.
  const detail = e.detail === undefined ? null : (JSON.parse(JSON.stringify(e.detail)) as unknown);
  const at = new Date(h.rows[0].now);
  const entry = { seq, at: at.toISOString(), actor: e.actor, action: e.action, target: e.target ?? null, outcome: e.outcome ?? 'ok', ip: e.ip ?? null, detail, prevHash };
  const hash = auditEntryHash(entry);
  await q.query('INSERT INTO audit_log (at, actor, action, target, outcome, ip, detail, seq, prev_hash, hash) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)', [
    at, entry.actor, entry.action, entry.target, entry.outcome, entry.ip, detail === null ? null : JSON.stringify(detail), seq, prevHash, hash,
  ]);
  return { seq, hash };
}
