/**
 * Projection lag beside sustained ingest: the collector's own histogram of "stored → applied"
 * per report (posture_projection_lag_ms on /metrics), as a delta over the measured window, and
 * the backlog the projector still had when the offered load stopped (and how long it took to
 * drain). The dashboard reads the projected tables, so this is how far it trails the acks.
 */
import type pg from 'pg';
import { api, round, sleep } from './collector-proc.js';

export type LagHist = Map<string, number>;

export async function scrapeLag(url: string): Promise<LagHist> {
  const r = await api<string>(url, '/metrics');
  const text = typeof r.body === 'string' ? r.body : String(r.body);
  const h: LagHist = new Map();
  for (const m of text.matchAll(/^posture_projection_lag_ms_bucket\{le="([^"]+)"\} (\d+)/gm)) h.set(m[1], Number(m[2]));
  return h;
}

/** p-th percentile of the delta histogram, as the upper edge of its bucket (ms; Infinity past the last). */
export function lagPercentile(after: LagHist, before: LagHist, p: number): { ms: number; count: number } {
  const edges = [...after.keys()];
  const cum = edges.map((e) => (after.get(e) ?? 0) - (before.get(e) ?? 0));
  const total = cum[cum.length - 1] ?? 0;
  if (total === 0) return { ms: NaN, count: 0 };
  const want = (p / 100) * total;
  const i = cum.findIndex((c) => c >= want);
  const e = edges[i];
  return { ms: e === '+Inf' ? Infinity : Number(e), count: total };
}

export async function backlog(db: pg.Pool): Promise<{ stored: number; projected: number }> {
  const r = await db.query(`SELECT (SELECT count(*) FROM reports WHERE ingest_xid IS NOT NULL)::bigint AS stored, (SELECT coalesce(sum(projected), 0) FROM projector_positions)::bigint AS projected`);
  return { stored: Number(r.rows[0].stored), projected: Number(r.rows[0].projected) };
}

/** Wait for the projector to catch up with everything stored; returns the backlog at the start and the seconds it took. */
export async function drain(db: pg.Pool, maxMs = 120_000): Promise<{ backlogAtStop: number; drainSeconds: number }> {
  const b0 = await backlog(db);
  const t0 = performance.now();
  for (;;) {
    const b = await backlog(db);
    if (b.projected >= b.stored || performance.now() - t0 > maxMs) break;
    await sleep(100);
  }
  return { backlogAtStop: b0.stored - b0.projected, drainSeconds: round((performance.now() - t0) / 1000) };
}
