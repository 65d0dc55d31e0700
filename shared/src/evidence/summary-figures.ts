/**
 * The figures summary.html shows, as name → displayed text, computed from a FleetAggregate.
 * One function for the exporter (server/src/evidence/summary.ts prints each value inside an
 * element carrying `data-figure="<name>"`) and the verifier (scripts/evidence/summary-check.ts
 * recomputes the aggregate from the signed reports and compares every figure by name), so
 * the page an auditor reads is bound to the reports like devices.csv and controls.csv.
 *
 * Names: `devices`, `compliant_pct`, `enrolled_in_period`, `revoked_in_period`,
 * `noncompliant_devices`, `state_at_end:<state>`, `events`, `reports`, `exclusions`,
 * `check:<id>:pass_pct|devices_noncompliant|mean_time_to_fix|excluded_time`,
 * `noncompliant:<device id>:time|longest` (the listed devices, at most MAX_LISTED_NONCOMPLIANT),
 * `noncompliant_unlisted`. The chart's bars are not bound (a picture of the same buckets).
 */
import type { FleetAggregate } from './aggregate.js';
import { formatDuration } from './period.js';

/** Counts summary.html prints that come from the bundle's files rather than the aggregate. */
export interface SummaryCounts {
  /** Rows of events.csv (every state change, the device's overall "*" included). */
  events: number;
  /** Lines of reports.jsonl. */
  reports: number;
  /** Rows of exclusions.csv. */
  exclusions: number;
}

export const pctText = (v: number | null): string => (v === null ? '—' : `${v.toFixed(2)}%`);

/** Ordered [name, displayed text] pairs; the page shows each exactly once. */
export function summaryFigures(agg: FleetAggregate, counts: SummaryCounts): [string, string][] {
  const f: [string, string][] = [
    ['devices', String(agg.devices)],
    ['compliant_pct', pctText(agg.overallPct())],
    ['enrolled_in_period', String(agg.enrolledInPeriod)],
    ['revoked_in_period', String(agg.revokedInPeriod)],
    ['noncompliant_devices', String(agg.noncompliantTotal)],
  ];
  for (const [state, n] of Object.entries(agg.byCurrentState).sort()) f.push([`state_at_end:${state}`, String(n)]);
  f.push(['events', String(counts.events)], ['reports', String(counts.reports)], ['exclusions', String(counts.exclusions)]);
  for (const id of agg.checkIds) {
    const t = agg.perCheck.get(id)!;
    f.push(
      [`check:${id}:pass_pct`, pctText(agg.checkPct(id))],
      [`check:${id}:devices_noncompliant`, String(t.devicesNoncompliant)],
      [`check:${id}:mean_time_to_fix`, t.fixed ? formatDuration(t.fixSeconds / t.fixed) : '—'],
      [`check:${id}:excluded_time`, t.seconds.excluded ? formatDuration(t.seconds.excluded) : '—'],
    );
  }
  for (const d of agg.noncompliant) {
    f.push(
      [`noncompliant:${d.deviceId}:time`, formatDuration(d.noncompliantSeconds)],
      [`noncompliant:${d.deviceId}:longest`, d.fixed ? formatDuration(d.longestSeconds) : `not fixed (${formatDuration(d.longestSeconds)} so far)`],
    );
  }
  f.push(['noncompliant_unlisted', String(agg.noncompliantTotal - agg.noncompliant.length)]);
  return f;
}
