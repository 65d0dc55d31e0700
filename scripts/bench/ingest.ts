/**
 * Sustained ingest through the whole path (socket, JWS verify, batcher, evaluator, commit,
 * ack), side by side with a raw batched INSERT of the very rows it stored, into the same
 * database, in the same run.
 */
import type pg from 'pg';
import type { Fleet } from '../simulate/fleet.js';
import { histDelta, percentile } from '../simulate/stats.js';
import { round, sleep } from './collector-proc.js';

export interface IngestResult {
  agents: number;
  offeredPerSec: number;
  seconds: number;
  ackedPerSec: number;
  ackP50Ms: number;
  ackP99Ms: number;
  rawRows: number;
  rawPerSec: number;
  ratio: number;
  /** Reports signed by the simulator during the measured window (0 when pre-signed) and sent pre-signed. */
  signedLiveInWindow: number;
  sentPresignedInWindow: number;
}

export async function sustainedIngest(fleet: Fleet, agents: number, offered: number, seconds: number, warmupSec = 5): Promise<Omit<IngestResult, 'rawRows' | 'rawPerSec' | 'ratio'> & { from: Date; to: Date }> {
  await fleet.until((s) => s.connected >= agents, 120_000, 'ingest fleet connected');
  await sleep(warmupSec * 1000);
  const s0 = fleet.stats;
  const from = new Date();
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const s1 = fleet.stats;
  const dt = (performance.now() - t0) / 1000;
  const to = new Date();
  const h = histDelta(s1.hist, s0.hist);
  return { agents, offeredPerSec: offered, seconds: round(dt), ackedPerSec: round((s1.acked - s0.acked) / dt), ackP50Ms: percentile(h, 50), ackP99Ms: percentile(h, 99),
    signedLiveInWindow: s1.signedLive - s0.signedLive, sentPresignedInWindow: s1.sentPresigned - s0.sentPresigned, from, to };
}

/** Insert the stored rows again, 500 per statement, each statement its own commit. */
export async function rawBatchedInsert(client: pg.Pool, from: Date, to: Date, maxRows = 20_000): Promise<{ rawRows: number; rawPerSec: number }> {
  await client.query('DROP TABLE IF EXISTS bench_raw_reports');
  await client.query('CREATE TABLE bench_raw_reports (LIKE reports INCLUDING DEFAULTS INCLUDING INDEXES)');
  const rows = (
    await client.query(
      `SELECT report_id, device_id, seq, kid, collected_at, trigger, summary, jws FROM reports WHERE received_at >= $1 AND received_at <= $2 ORDER BY received_at LIMIT $3`,
      [from, to, maxRows],
    )
  ).rows;
  const t0 = performance.now();
  for (let k = 0; k < rows.length; k += 500) {
    await client.query(
      `INSERT INTO bench_raw_reports (report_id, device_id, seq, kid, collected_at, trigger, summary, jws)
       SELECT report_id, device_id, seq, kid, collected_at, trigger, summary, jws FROM jsonb_to_recordset($1::jsonb)
         AS r(report_id text, device_id text, seq bigint, kid text, collected_at timestamptz, trigger text, summary jsonb, jws text)`,
      [JSON.stringify(rows.slice(k, k + 500))],
    );
  }
  const dt = (performance.now() - t0) / 1000;
  await client.query('DROP TABLE bench_raw_reports');
  return { rawRows: rows.length, rawPerSec: round(rows.length / dt) };
}
