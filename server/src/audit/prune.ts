/**
 * Audit-log retention: delete entries older than the retention, oldest first, in bounded
 * batches (one short transaction each), through the trigger's one controlled bypass
 * (`posture.audit_prune_through`, transaction-local, migration 031). Each batch appends an
 * `audit.prune` entry in the same transaction: the range deleted and the hash of the last
 * deleted entry, the anchor the remaining chain starts from. A bundle whose chain segment starts
 * right after a pruned range links to that anchor (server/src/evidence/audit-file.ts) and the
 * verifier accepts facts older than the pruned time as pruned, saying so.
 */
import { AUDIT_MIN_RETENTION_DAYS } from '#shared/audit/chain.js';
import type { Db } from '../db/types.js';
import { audit } from './log.js';

/** Default retention of the audit log: the minimum, 400 days (a SOC 2 period plus a margin). */
export const AUDIT_RETENTION_DAYS = AUDIT_MIN_RETENTION_DAYS;
/** Serializes pruning runs across collectors (audit lock range 7362190+). */
export const AUDIT_PRUNE_LOCK = 7_362_192;

export interface PruneResult {
  deleted: number;
  batches: number;
  /** The last pruned entry (the new anchor), if anything was pruned. */
  anchor: { seq: number; hash: string } | null;
}

/**
 * Prune entries with `at` before `before`: only the contiguous oldest run (seq order), so the
 * chain that remains has no hole. Returns what was deleted. Never deletes the newest entry.
 */
export async function pruneAuditLog(db: Db, before: Date, opts: { batch?: number; actor?: string } = {}): Promise<PruneResult> {
  const batch = Math.max(1, opts.batch ?? 5_000);
  if (before.getTime() > Date.now() - AUDIT_MIN_RETENTION_DAYS * 86_400_000)
    throw new Error(`audit-log pruning refused: ${before.toISOString()} is less than ${AUDIT_MIN_RETENTION_DAYS} days ago (the minimum retention)`);
  const out: PruneResult = { deleted: 0, batches: 0, anchor: null };
  for (;;) {
    const done = await db.tx(async (q) => {
      const got = await q.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [AUDIT_PRUNE_LOCK]);
      if (!got.rows[0]?.ok) return true; // another collector is pruning
      // The oldest run of entries older than `before`, at most `batch` of them, never the head.
      const r = await q.query<{ seq: string; hash: string; at: Date; n: string; lo: string }>(
        `WITH lo AS (SELECT min(seq) AS s FROM audit_log),
              stop AS (SELECT LEAST(
                 COALESCE((SELECT min(seq) FROM audit_log WHERE at >= $1), (SELECT max(seq) FROM audit_log)),
                 (SELECT max(seq) FROM audit_log),
                 (SELECT s FROM lo) + $2) AS s)
         SELECT a.seq::text AS seq, a.hash, a.at, (a.seq - lo.s + 1)::text AS n, lo.s::text AS lo
           FROM audit_log a, lo, stop WHERE a.seq = stop.s - 1 AND a.seq >= lo.s`,
        [before, batch],
      );
      const last = r.rows[0];
      if (!last) return true;
      await q.query(`SELECT set_config('posture.audit_prune_through', $1, true)`, [last.seq]);
      const del = await q.query('DELETE FROM audit_log WHERE seq <= $1', [last.seq]);
      await q.query(`SELECT set_config('posture.audit_prune_through', '', true)`);
      await audit(q, {
        actor: opts.actor ?? 'system:retention', action: 'audit.prune', target: `audit:${last.lo}-${last.seq}`,
        detail: { fromSeq: Number(last.lo), throughSeq: Number(last.seq), anchorHash: last.hash, throughAt: new Date(last.at).toISOString(), before: before.toISOString(), deleted: del.rowCount },
      });
      out.deleted += del.rowCount;
      out.batches++;
      out.anchor = { seq: Number(last.seq), hash: last.hash };
      return del.rowCount < batch;
    });
    if (done) return out;
  }
}
