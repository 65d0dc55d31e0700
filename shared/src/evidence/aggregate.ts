/**
 * Fleet totals folded in one device at a time, so the export never holds the fleet in
 * memory: summed seconds per state, chart buckets, and a capped list of devices that were
 * noncompliant (the full detail is in events.csv).
 */
import { CHECK_STATES, OVERALL_STATES, type DeviceHistory, type HistCheckState, type OverallState } from './history.js';

export const MAX_LISTED_NONCOMPLIANT = 500;

export interface CheckTotals {
  seconds: Record<HistCheckState, number>;
  devicesMeasured: number;
  devicesNoncompliant: number;
  episodes: number;
  fixed: number;
  fixSeconds: number;
}

export interface NoncompliantDevice {
  deviceId: string;
  hostname: string;
  owner: string | null;
  checks: string[];
  noncompliantSeconds: number;
  /** Longest failure episode that reached noncompliant; null fix time = not fixed by period end. */
  longestSeconds: number;
  fixed: boolean;
}

const zero = <K extends string>(keys: readonly K[]) => Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;

export class FleetAggregate {
  devices = 0;
  measuredDevices = 0;
  enrolledInPeriod = 0;
  revokedInPeriod = 0;
  byCurrentState: Record<string, number> = {};
  overall = zero(OVERALL_STATES);
  perCheck = new Map<string, CheckTotals>();
  buckets: { compliant: number; measured: number }[];
  noncompliant: NoncompliantDevice[] = [];
  noncompliantTotal = 0;

  constructor(readonly checkIds: readonly string[], bucketCount: number, readonly from: Date, readonly to: Date) {
    for (const id of checkIds) this.perCheck.set(id, { seconds: zero(CHECK_STATES), devicesMeasured: 0, devicesNoncompliant: 0, episodes: 0, fixed: 0, fixSeconds: 0 });
    this.buckets = Array.from({ length: bucketCount }, () => ({ compliant: 0, measured: 0 }));
  }

  add(d: { id: string; hostname: string; owner: string | null; state: string; enrolled_at: Date; revoked_at: Date | null }, h: DeviceHistory): void {
    this.devices++;
    this.byCurrentState[d.state] = (this.byCurrentState[d.state] ?? 0) + 1;
    if (new Date(d.enrolled_at) >= this.from) this.enrolledInPeriod++;
    if (d.revoked_at && new Date(d.revoked_at) < this.to) this.revokedInPeriod++;
    if (!h.window) return;
    this.measuredDevices++;
    for (const s of OVERALL_STATES) this.overall[s as OverallState] += h.overall.seconds[s];
    h.buckets?.forEach((b, i) => {
      this.buckets[i].compliant += b.compliant;
      this.buckets[i].measured += b.measured;
    });
    const ncChecks: string[] = [];
    let longest = 0;
    let allFixed = true;
    for (const id of this.checkIds) {
      const c = h.checks[id];
      const t = this.perCheck.get(id)!;
      for (const s of CHECK_STATES) t.seconds[s] += c.seconds[s];
      if (c.compliantPct !== null) t.devicesMeasured++;
      const nc = c.seconds.noncompliant > 0 || c.remediations.some((r) => r.reachedNoncompliant);
      if (nc) {
        t.devicesNoncompliant++;
        ncChecks.push(id);
      }
      for (const r of c.remediations) {
        t.episodes++;
        if (r.fixedAt) (t.fixed++, (t.fixSeconds += r.seconds));
        if (r.reachedNoncompliant || c.seconds.noncompliant > 0) {
          longest = Math.max(longest, r.seconds);
          if (!r.fixedAt) allFixed = false;
        }
      }
    }
    if (ncChecks.length) {
      this.noncompliantTotal++;
      if (this.noncompliant.length < MAX_LISTED_NONCOMPLIANT)
        this.noncompliant.push({ deviceId: d.id, hostname: d.hostname, owner: d.owner, checks: ncChecks, noncompliantSeconds: h.overall.seconds.noncompliant, longestSeconds: longest, fixed: allFixed });
    }
  }

  /** Fleet % of in-scope device-time a check passed. */
  checkPct(id: string): number | null {
    const s = this.perCheck.get(id)!.seconds;
    const den = s.pass + s.failing + s.noncompliant + s.unknown;
    return den > 0 ? Math.round((10_000 * s.pass) / den) / 100 : null;
  }

  overallPct(): number | null {
    const o = this.overall;
    const den = o.compliant + o.failing + o.noncompliant + o.unknown;
    return den > 0 ? Math.round((10_000 * o.compliant) / den) / 100 : null;
  }
}
