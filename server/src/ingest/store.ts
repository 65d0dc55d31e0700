/**
 * The socket path's only write: append verified reports to the report log, verbatim and
 * idempotent on report id. Committing this is what the agent's ack means; everything derived
 * from a report (check states, device state, events, alerts, completed commands) is applied
 * later, in order, by the projector (server/src/projector/) from these rows.
 */
import type { Queryable } from '../db/types.js';
import type { VerifiedReport } from './apply.js';
import { partitionOf } from '../projector/partition.js';
import { INGEST_WRITER_LOCK } from '../projector/read-log.js';

/**
 * Store a batch in one statement; returns the ids newly stored (the rest were duplicates).
 * Must be the first thing its transaction does (the writer lock has to be held before the
 * transaction gets an id; see projector/read-log.ts), and the only way rows enter `reports`.
 */
export async function storeReports(q: Queryable, batch: VerifiedReport[]): Promise<Set<string>> {
  if (batch.length === 0) return new Set();
  await q.query('SELECT pg_advisory_xact_lock_shared($1)', [INGEST_WRITER_LOCK]);
  const rows = batch.map((r) => ({
    report_id: r.payload.reportId,
    device_id: r.payload.deviceId,
    seq: r.payload.seq,
    kid: r.kid,
    collected_at: r.payload.collectedAt,
    trigger: r.payload.trigger ?? null,
    summary: { checks: Object.fromEntries(r.payload.checks.map((c) => [c.id, c.status])), agentVersion: r.payload.agentVersion },
    jws: r.jws,
    ingest_partition: partitionOf(r.payload.deviceId),
  }));
  // jsonb_to_recordset keeps this one statement on both pg and PGlite regardless of batch size.
  // ingest_seq and ingest_xid come from the column defaults (migration 070).
  const ins = await q.query<{ report_id: string }>(
    `INSERT INTO reports (report_id, device_id, seq, kid, collected_at, trigger, summary, jws, ingest_partition)
     SELECT report_id, device_id, seq, kid, collected_at, trigger, summary, jws, ingest_partition
       FROM jsonb_to_recordset($1::jsonb) AS x(report_id text, device_id text, seq bigint, kid text, collected_at timestamptz, trigger text, summary jsonb, jws text, ingest_partition smallint)
      -- reports is partitioned by month (migration 090): its key is (report_id, collected_at).
      -- A resend of the same signed report has the same collected_at (the conflict below); a
      -- report id already stored under another collected_at is refused here too, so an id stays
      -- unique across months (reports_id_idx: one index probe per month partition).
      WHERE NOT EXISTS (SELECT 1 FROM reports r WHERE r.report_id = x.report_id)
     ON CONFLICT (report_id, collected_at) DO NOTHING RETURNING report_id`,
    [JSON.stringify(rows)],
  );
  return new Set(ins.rows.map((r) => r.report_id));
}
