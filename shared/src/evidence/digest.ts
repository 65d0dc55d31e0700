/**
 * Signed monthly digests: what stays of one device's month of reports and state events after
 * retention drops them (docs/retention.md). The collector writes one per device and UTC month
 * before the month is pruned (server/src/retention/digests.ts); bundles over pruned months carry
 * them and the verifier checks them in place of the raw reports.
 *
 * Format: a compact JWS (EdDSA, header kid = collector key thumbprint, typ
 * `posture-monthly-digest+jws`) whose payload is canonicalJson(MonthlyDigest) (sorted keys, no
 * whitespace, shared/src/audit/chain.ts). The chain fields let the verifier join the device's
 * chain across the digest: the month's first report signed `firstPrevHash` (the previous
 * report's hash) and the month's last report hashes to `head`, which the first raw report
 * after it must sign as its prevHash.
 */
import type { ChainLink } from './chain.js';
import { CHECK_STATES, OVERALL_STATES, type DeviceHistory, type HistCheckState, type OverallState } from './history.js';

export const DIGEST_FORMAT = 'posture-monthly-digest/1';
export const DIGEST_JWS_TYP = 'posture-monthly-digest+jws';
/** In a bundle: one line per digest, `{deviceId, month, jws}`. */
export const DIGESTS_FILE = 'digests.jsonl';

/** Seconds per state and the resulting %, for one check or the device overall. */
export interface DigestFigures<S extends string> {
  seconds: Record<S, number>;
  compliantPct: number | null;
  /** The state at the month's end (the verifier checks the state a later period starts in against it). */
  stateAtEnd?: S;
}

/** The signed content of one device-month. Times are ISO-8601 UTC. */
export interface MonthlyDigest {
  format: typeof DIGEST_FORMAT;
  deviceId: string;
  /** `YYYY-MM` (UTC). */
  month: string;
  /** The month's bounds [from, to). */
  from: string;
  to: string;
  /** Reports collected in the month. */
  reports: number;
  firstSeq: number | null;
  lastSeq: number | null;
  firstReportId: string | null;
  lastReportId: string | null;
  /** prevHash the month's first report signed (null: none signed, an agent older than the chain). */
  firstPrevHash: string | null;
  /** reportHash(jws) of the month's last report: the chain head. */
  head: string | null;
  /** The device's signed spool counters (evicted + quarantined, as the chain check counts them) in its first and last report of the month. */
  evictedAtStart: number;
  evictedAtEnd: number;
  /** The policy's stale threshold used for the figures. */
  staleAfterHours: number;
  /** Seconds the device was measured in the month (shared/src/evidence/history.ts rules). */
  measuredSeconds: number;
  checks: Record<string, DigestFigures<HistCheckState>>;
  overall: DigestFigures<OverallState>;
  /** When the collector wrote it. */
  createdAt: string;
}

/** The digest figures of one device-month from its history (deviceHistory over the month). */
export function digestFigures(h: DeviceHistory): Pick<MonthlyDigest, 'measuredSeconds' | 'checks' | 'overall'> {
  const checks: MonthlyDigest['checks'] = {};
  for (const [id, c] of Object.entries(h.checks)) checks[id] = { seconds: { ...c.seconds }, compliantPct: c.compliantPct, stateAtEnd: c.stateAtEnd };
  return { measuredSeconds: h.measuredSeconds, checks, overall: { seconds: { ...h.overall.seconds }, compliantPct: h.overall.compliantPct, stateAtEnd: h.overall.stateAtEnd } };
}

const pct = (num: number, den: number): number | null => (den > 0 ? Math.round((10_000 * num) / den) / 100 : null);

/**
 * Combine months time-weighted: seconds per state are summed over the parts, and the % is
 * recomputed from the sums with the same rule as history.ts (pass / (measured − excluded −
 * not_required) for a check; compliant / (measured − excluded) overall). So a month measured
 * for 2 days weighs 2 days, not one month.
 */
export function combineCheck(parts: readonly Record<HistCheckState, number>[]): DigestFigures<HistCheckState> {
  const seconds = Object.fromEntries(CHECK_STATES.map((s) => [s, 0])) as Record<HistCheckState, number>;
  for (const p of parts) for (const s of CHECK_STATES) seconds[s] += p[s] ?? 0;
  const total = CHECK_STATES.reduce((a, s) => a + seconds[s], 0);
  return { seconds, compliantPct: pct(seconds.pass, total - seconds.excluded - seconds.not_required) };
}

/** Overall figures combined time-weighted (see combineCheck). */
export function combineOverall(parts: readonly Record<OverallState, number>[]): DigestFigures<OverallState> {
  const seconds = Object.fromEntries(OVERALL_STATES.map((s) => [s, 0])) as Record<OverallState, number>;
  for (const p of parts) for (const s of OVERALL_STATES) seconds[s] += p[s] ?? 0;
  const total = OVERALL_STATES.reduce((a, s) => a + seconds[s], 0);
  return { seconds, compliantPct: pct(seconds.compliant, total - seconds.excluded) };
}

/** `YYYY-MM` of a UTC month start, and the month's [from, to). */
export function monthKey(d: Date): string {
  return d.toISOString().slice(0, 7);
}
export function monthBounds(d: Date): { from: Date; to: Date } {
  const from = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
  return { from, to: new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)) };
}

/**
 * A device's history over a period part of which was pruned: `raw` is deviceHistory over the
 * raw part [rawFrom, to); `digests` are the device's digests of the pruned months inside the
 * period (each month counted whole). Seconds per state are summed and every % recomputed from
 * the sums (combineCheck/combineOverall: time-weighted); states at the end, failures and
 * buckets stay the raw part's. Used by the exporter and the verifier alike.
 */
export function withDigests(raw: DeviceHistory, digests: readonly MonthlyDigest[]): DeviceHistory {
  if (!digests.length) return raw;
  const checks: DeviceHistory['checks'] = {};
  for (const [id, c] of Object.entries(raw.checks)) {
    const parts = [c.seconds, ...digests.map((d) => d.checks[id]?.seconds).filter((x): x is Record<HistCheckState, number> => !!x)];
    const f = combineCheck(parts);
    const inScope = f.seconds.pass + f.seconds.failing + f.seconds.noncompliant + f.seconds.unknown;
    checks[id] = { ...c, seconds: f.seconds, compliantPct: f.compliantPct, withinPolicyPct: pct(f.seconds.pass + f.seconds.failing, inScope) };
  }
  const o = combineOverall([raw.overall.seconds, ...digests.map((d) => d.overall.seconds)]);
  return {
    ...raw,
    measuredSeconds: raw.measuredSeconds + digests.reduce((a, d) => a + d.measuredSeconds, 0),
    checks,
    overall: { ...raw.overall, seconds: o.seconds, compliantPct: o.compliantPct },
  };
}

/** The chain position a digest ends at (its month's last report), as the chain check takes it. */
export function digestTail(d: MonthlyDigest): ChainLink {
  return { reportId: `${d.lastReportId} (last of digest ${d.deviceId} ${d.month})`, seq: d.lastSeq ?? 0, hash: d.head ?? '', evicted: d.evictedAtEnd };
}
/** The chain position a digest starts at (its month's first report and the link it signed). */
export function digestStart(d: MonthlyDigest): ChainLink {
  return { reportId: `${d.firstReportId} (first of digest ${d.deviceId} ${d.month})`, seq: d.firstSeq ?? 0, ...(d.firstPrevHash ? { prevHash: d.firstPrevHash } : {}), hash: '', evicted: d.evictedAtStart };
}
