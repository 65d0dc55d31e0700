/** Audit periods: parsing and chart buckets shared by the API, the exporter and tests. */
import { isStorableDateTime } from '../schema/formats.js';

/** Longest period one export covers (a Type 2 audit period is 3–12 months). */
export const MAX_PERIOD_DAYS = 400;

export type PeriodResult = { ok: true; from: Date; to: Date } | { ok: false; error: string };

/**
 * One end of a period: `YYYY-MM-DD` (UTC midnight), `YYYY-MM-DDTHH:MM[:SS[.fff]]` without a zone
 * (UTC, what an HTML datetime-local field sends) or a full RFC 3339 date-time with its offset.
 * Null for anything else, including dates that do not exist (2026-02-30: `Date.parse` would
 * silently roll it over to 2 March, so the calendar is checked, as for stored date-times).
 */
export function parseInstant(v: string): Date | null {
  let s = v.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) s += 'T00:00:00Z';
  else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(s)) s += ':00Z';
  else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?$/.test(s)) s += 'Z';
  return isStorableDateTime(s) ? new Date(s) : null;
}

/**
 * Parse a period [from, to): each end as {@link parseInstant} reads it; both required, from < to,
 * at most MAX_PERIOD_DAYS. The error names the field.
 */
export function parsePeriod(from: string | undefined, to: string | undefined): PeriodResult {
  if (!from || !to) return { ok: false, error: 'both "from" and "to" are required (ISO 8601 dates)' };
  const f = parseInstant(from);
  const t = parseInstant(to);
  if (!f) return { ok: false, error: `"from" is not a date (YYYY-MM-DD or an ISO 8601 date-time): ${from.slice(0, 40)}` };
  if (!t) return { ok: false, error: `"to" is not a date (YYYY-MM-DD or an ISO 8601 date-time): ${to.slice(0, 40)}` };
  if (t.getTime() <= f.getTime()) return { ok: false, error: '"to" must be after "from"' };
  if (t.getTime() - f.getTime() > MAX_PERIOD_DAYS * 86_400_000) return { ok: false, error: `the period may span at most ${MAX_PERIOD_DAYS} days` };
  return { ok: true, from: f, to: t };
}

/**
 * Bucket edges for the compliance chart: whole days when the period has ≤ maxBuckets days,
 * else equal slices; always starts at `from` and ends at `to`.
 */
export function bucketEdges(from: Date, to: Date, maxBuckets = 120): Date[] {
  const span = to.getTime() - from.getTime();
  const day = 86_400_000;
  const step = span / day <= maxBuckets ? (span <= 2 * day ? Math.max(3_600_000, Math.ceil(span / 48 / 3_600_000) * 3_600_000) : day) : Math.ceil(span / maxBuckets);
  const edges: Date[] = [];
  for (let t = from.getTime(); t < to.getTime(); t += step) edges.push(new Date(t));
  edges.push(new Date(to));
  return edges;
}

/** "3d 4h", "2h 5m", "40s": durations for people. */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d) return h ? `${d}d ${h}h` : `${d}d`;
  if (h) return m ? `${h}h ${m}m` : `${h}h`;
  return `${m}m`;
}
