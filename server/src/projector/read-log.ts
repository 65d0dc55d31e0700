/**
 * Read the next reports of one partition from the log, in log order, strictly below the
 * visibility horizon (see migration 070 and horizon() below for why (ingest_xid, ingest_seq)
 * and the horizon make "after my position" mean "every report I have not applied yet").
 */
import type { Queryable } from '../db/types.js';
import type { ReportPayload } from '#shared/protocol/messages.js';
import type { LoggedReport } from '../ingest/apply.js';

export interface LogPosition {
  /** bigint as a decimal string (node-postgres returns int8 as text; PGlite as number) */
  xid: string;
  seq: string;
}

export interface LogEntry extends LoggedReport {
  reportId: string;
  position: LogPosition;
  /** Set when the stored JWS no longer decodes (edited in the database): recorded, not applied. */
  undecodable?: string;
}

/** Payloads the local batcher just stored, so the projector need not fetch and decode the JWS again. */
export interface PayloadCache {
  take(reportId: string): ReportPayload | undefined;
}

export function decodePayload(jws: string): ReportPayload {
  // The JWS was verified and its payload schema-checked before it was stored (ingest/verify.ts).
  return JSON.parse(Buffer.from(jws.split('.')[1] ?? '', 'base64url').toString('utf8')) as ReportPayload;
}

/** Advisory lock every transaction that appends to `reports` holds, shared, from its first statement (ingest/store.ts). */
export const INGEST_WRITER_LOCK = 7_362_180;

/**
 * The visibility horizon: a transaction id H such that every report with ingest_xid < H that
 * will ever exist is visible to the NEXT statement. H is the lowest full transaction id among
 * the report writers in progress (holders of INGEST_WRITER_LOCK that have an id), or, if there
 * are none, the next id to be assigned. A writer takes the lock before it gets an id, so a
 * writer without an id yet will get one at or above the xmax read here; a writer that commits
 * after this statement is below H only if it had an id, which makes H at most that id.
 *
 * Only report writers count (not the cluster-wide snapshot xmin), so a long transaction in
 * another database or another part of the collector does not stall projection. backend_xid is
 * 32-bit: it is widened against the snapshot's 64-bit xmax (in-progress ids are within 2^31 of
 * it). Reading another session's backend_xid needs the same database role or pg_read_all_stats.
 */
export async function horizon(q: Queryable): Promise<string> {
  // pg_stat_get_activity(pid) per lock holder, not the pg_stat_activity view: the view reads
  // every backend of the cluster (30 ms on a busy shared server; this is ≈ 1 ms plus pg_locks).
  const r = await q.query<{ h: string | number }>(
    `WITH s AS (SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS xmax),
          w AS (SELECT l.pid FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = $1 AND l.objsubid = 1
                  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()))
     SELECT LEAST(s.xmax, (SELECT min(s.xmax - (((s.xmax & 4294967295) - a.backend_xid::text::bigint + 4294967296) % 4294967296))
                             FROM w, LATERAL pg_stat_get_activity(w.pid) a WHERE a.backend_xid IS NOT NULL)) AS h
       FROM s`,
    [INGEST_WRITER_LOCK],
  );
  return String(r.rows[0].h);
}

/**
 * The next entries after `after`, below horizon `h` (from horizon(), computed by an EARLIER
 * statement than this read: one horizon may serve a whole pass over the partitions).
 */
export async function readLog(q: Queryable, partition: number, after: LogPosition, limit: number, h: string, cache?: PayloadCache): Promise<LogEntry[]> {  const meta = await q.query<{ report_id: string; received_at: Date; ingest_xid: string | number; ingest_seq: string | number }>(
    `SELECT report_id, received_at, ingest_xid, ingest_seq FROM reports
      WHERE ingest_partition = $1 AND ingest_xid IS NOT NULL
        AND (ingest_xid, ingest_seq) > ($2::bigint, $3::bigint)
        AND ingest_xid < $5::bigint
      ORDER BY ingest_xid, ingest_seq LIMIT $4`,
    [partition, after.xid, after.seq, limit, h],
  );
  const payloads = new Map<string, ReportPayload>();
  const missing: string[] = [];
  const undecodable = new Map<string, string>();
  for (const r of meta.rows) {
    const p = cache?.take(r.report_id);
    if (p) payloads.set(r.report_id, p);
    else missing.push(r.report_id);
  }
  if (missing.length) {
    const j = await q.query<{ report_id: string; jws: string }>(
      'SELECT report_id, jws FROM reports WHERE report_id IN (SELECT jsonb_array_elements_text($1::jsonb))',
      [JSON.stringify(missing)],
    );
    for (const r of j.rows) {
      try {
        payloads.set(r.report_id, decodePayload(r.jws));
      } catch (e) {
        undecodable.set(r.report_id, `stored JWS payload does not decode: ${(e as Error).message}`);
      }
    }
  }
  return meta.rows.map((r) => ({
    reportId: r.report_id,
    payload: payloads.get(r.report_id)!,
    receivedAt: new Date(r.received_at),
    position: { xid: String(r.ingest_xid), seq: String(r.ingest_seq) },
    ...(payloads.has(r.report_id) ? {} : { undecodable: undecodable.get(r.report_id) ?? 'stored report row has no JWS' }),
  }));
}
