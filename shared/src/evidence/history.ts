/**
 * Time-in-compliance for one device over a period [from, to). Pure: the caller passes the
 * device's state events, runs of reports, exclusion windows and dates; nothing is read here.
 *
 * How time is counted (the rules an auditor reads in the bundle's summary):
 * - The device is measured from max(from, enrolledAt) to min(to, revokedAt, now).
 * - Between reports a check keeps its last known state (the state_events transition log).
 * - A report "covers" staleAfterHours after it; time not covered by any report is `unknown`
 *   (never compliant), however the last report looked.
 * - Time under an exclusion (check-specific, or '*' for the device) is `excluded`: reported
 *   separately and left out of the denominator, so an exclusion neither helps nor hurts the %.
 *   `not_required` time (the policy does not require the check) is likewise left out.
 * - compliantPct = pass time / (measured − excluded − not_required). `failing` (inside the
 *   grace period) is NOT counted as compliant; withinPolicyPct adds it for those who want it.
 * - Overall: a moment is compliant when every check is pass, excluded or not_required; the
 *   device is excluded when a '*' exclusion is in force.
 */

export const CHECK_STATES = ['pass', 'failing', 'noncompliant', 'unknown', 'excluded', 'not_required'] as const;
export type HistCheckState = (typeof CHECK_STATES)[number];
export const OVERALL_STATES = ['compliant', 'failing', 'noncompliant', 'unknown', 'excluded'] as const;
export type OverallState = (typeof OVERALL_STATES)[number];

export interface HistEvent {
  checkId: string;
  toState: string;
  at: Date;
}
/** A run of reports whose gaps are all ≤ the stale threshold: covered from `first` to `last + stale`. */
export interface ReportRun {
  first: Date;
  last: Date;
}
export interface ExclusionWindow {
  /** A check id, or '*' for the whole device. */
  checkId: string;
  from: Date;
  /** min(expires_at, revoked_at) */
  to: Date;
  id?: string;
}

export interface HistoryInput {
  from: Date;
  to: Date;
  now?: Date;
  enrolledAt: Date;
  revokedAt?: Date | null;
  staleAfterHours: number;
  checkIds: readonly string[];
  /** Every event in the period plus, per check, the last event before it (the state at `from`). */
  events: HistEvent[];
  reportRuns: ReportRun[];
  exclusions: ExclusionWindow[];
  /** Optional chart buckets: ascending boundaries; overall compliant/measured seconds per bucket. */
  bucketEdges?: Date[];
  /** Keep per-segment timelines (the API wants them; the bulk export does not). */
  keepSegments?: boolean;
}

export interface Segment<S extends string> {
  from: string;
  to: string;
  state: S;
}
export interface Remediation {
  failedAt: string;
  /** null while still failing at the end of the measured window */
  fixedAt: string | null;
  /** failing → pass duration, or time failing so far when not fixed */
  seconds: number;
  reachedNoncompliant: boolean;
}
export interface CheckHistory {
  checkId: string;
  seconds: Record<HistCheckState, number>;
  compliantPct: number | null;
  withinPolicyPct: number | null;
  stateAtEnd: HistCheckState;
  firstFailureAt: string | null;
  lastFailureAt: string | null;
  remediations: Remediation[];
  segments?: Segment<HistCheckState>[];
}
export interface DeviceHistory {
  window: { from: string; to: string } | null;
  measuredSeconds: number;
  checks: Record<string, CheckHistory>;
  overall: { seconds: Record<OverallState, number>; compliantPct: number | null; stateAtEnd: OverallState; segments?: Segment<OverallState>[] };
  exclusionsInForce: ExclusionWindow[];
  buckets?: { compliant: number; measured: number }[];
}

const zero = <K extends string>(keys: readonly K[]) => Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
const pct = (num: number, den: number): number | null => (den > 0 ? Math.round((10_000 * num) / den) / 100 : null);
const isFail = (s: string) => s === 'failing' || s === 'noncompliant';
const asCheckState = (s: string): HistCheckState => ((CHECK_STATES as readonly string[]).includes(s) ? (s as HistCheckState) : 'unknown');

/** Build report runs from report times (any order): consecutive gaps ≤ stale stay in one run. */
export function reportRunsFromTimes(times: Date[], staleAfterHours: number): ReportRun[] {
  const staleMs = staleAfterHours * 3_600_000;
  const t = times.map((d) => d.getTime()).sort((a, b) => a - b);
  const runs: ReportRun[] = [];
  for (const x of t) {
    const last = runs[runs.length - 1];
    if (last && x - last.last.getTime() <= staleMs) last.last = new Date(x);
    else runs.push({ first: new Date(x), last: new Date(x) });
  }
  return runs;
}

/** Interval list helpers over epoch ms. */
type Iv = [number, number];
function mergeIvs(ivs: Iv[]): Iv[] {
  const s = ivs.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  const out: Iv[] = [];
  for (const iv of s) {
    const last = out[out.length - 1];
    if (last && iv[0] <= last[1]) last[1] = Math.max(last[1], iv[1]);
    else out.push([iv[0], iv[1]]);
  }
  return out;
}
function inIvs(ivs: Iv[], t: number): boolean {
  for (let i = 0; i < ivs.length; i++) if (t >= ivs[i][0] && t < ivs[i][1]) return true;
  return false;
}

export function deviceHistory(input: HistoryInput): DeviceHistory {
  const staleMs = input.staleAfterHours * 3_600_000;
  const ws = Math.max(input.from.getTime(), input.enrolledAt.getTime());
  const we = Math.min(input.to.getTime(), input.revokedAt?.getTime() ?? Infinity, input.now?.getTime() ?? Infinity);
  const emptyCheck = (id: string): CheckHistory => ({
    checkId: id, seconds: zero(CHECK_STATES), compliantPct: null, withinPolicyPct: null, stateAtEnd: 'unknown',
    firstFailureAt: null, lastFailureAt: null, remediations: [], ...(input.keepSegments ? { segments: [] } : {}),
  });
  const bucketCount = input.bucketEdges ? Math.max(0, input.bucketEdges.length - 1) : 0;
  const buckets = input.bucketEdges ? Array.from({ length: bucketCount }, () => ({ compliant: 0, measured: 0 })) : undefined;
  const excl = input.exclusions.filter((e) => e.from.getTime() < we && e.to.getTime() > ws && e.to.getTime() > e.from.getTime());
  const checks: Record<string, CheckHistory> = {};
  if (!(we > ws)) {
    for (const id of input.checkIds) checks[id] = emptyCheck(id);
    return { window: null, measuredSeconds: 0, checks, overall: { seconds: zero(OVERALL_STATES), compliantPct: null, stateAtEnd: 'unknown', ...(input.keepSegments ? { segments: [] } : {}) }, exclusionsInForce: [], buckets };
  }

  const covered = mergeIvs(input.reportRuns.map((r) => [r.first.getTime(), r.last.getTime() + staleMs]));
  const exclFor = new Map<string, Iv[]>();
  for (const id of [...input.checkIds, '*']) {
    exclFor.set(id, mergeIvs(excl.filter((e) => e.checkId === id || e.checkId === '*').map((e) => [e.from.getTime(), e.to.getTime()])));
  }
  const evBy = new Map<string, { at: number; state: string }[]>();
  for (const e of input.events) {
    const list = evBy.get(e.checkId) ?? [];
    list.push({ at: e.at.getTime(), state: e.toState });
    evBy.set(e.checkId, list);
  }
  for (const l of evBy.values()) l.sort((a, b) => a.at - b.at); // stable: same-time events keep insertion order

  // Every moment where anything can change; each segment between two is uniform.
  const cuts = new Set<number>([ws, we]);
  const addCut = (t: number) => {
    if (t > ws && t < we) cuts.add(t);
  };
  for (const id of input.checkIds) for (const e of evBy.get(id) ?? []) addCut(e.at);
  for (const [a, b] of covered) (addCut(a), addCut(b));
  for (const ivs of exclFor.values()) for (const [a, b] of ivs) (addCut(a), addCut(b));
  for (const d of input.bucketEdges ?? []) addCut(d.getTime());
  const points = [...cuts].sort((a, b) => a - b);

  const secs = new Map(input.checkIds.map((id) => [id, zero(CHECK_STATES)]));
  const segs = new Map(input.checkIds.map((id) => [id, [] as Segment<HistCheckState>[]]));
  const overallSecs = zero(OVERALL_STATES);
  const overallSegs: Segment<OverallState>[] = [];
  const ptr = new Map(input.checkIds.map((id) => [id, -1]));
  const push = <S extends string>(list: Segment<S>[], a: number, b: number, state: S) => {
    const last = list[list.length - 1];
    if (last && last.state === state && last.to === new Date(a).toISOString()) last.to = new Date(b).toISOString();
    else list.push({ from: new Date(a).toISOString(), to: new Date(b).toISOString(), state });
  };
  let bucket = 0;
  const lastStates = new Map<string, HistCheckState>();
  let lastOverall: OverallState = 'unknown';

  for (let i = 0; i < points.length - 1; i++) {
    const a = points[i];
    const b = points[i + 1];
    const dur = (b - a) / 1000;
    const isCovered = inIvs(covered, a);
    const states: HistCheckState[] = [];
    for (const id of input.checkIds) {
      const list = evBy.get(id) ?? [];
      let p = ptr.get(id)!;
      while (p + 1 < list.length && list[p + 1].at <= a) p++;
      ptr.set(id, p);
      const raw = p >= 0 ? asCheckState(list[p].state) : 'unknown';
      let s: HistCheckState;
      if (inIvs(exclFor.get(id)!, a)) s = 'excluded';
      else if (raw === 'not_required') s = 'not_required';
      else if (!isCovered) s = 'unknown';
      else s = raw;
      secs.get(id)![s] += dur;
      if (input.keepSegments) push(segs.get(id)!, a, b, s);
      states.push(s);
      lastStates.set(id, s);
    }
    let o: OverallState;
    if (inIvs(exclFor.get('*')!, a)) o = 'excluded';
    else if (!isCovered) o = 'unknown';
    else if (states.includes('noncompliant')) o = 'noncompliant';
    else if (states.includes('failing')) o = 'failing';
    else if (states.includes('unknown')) o = 'unknown';
    else if (states.length > 0 && !states.includes('pass')) o = 'excluded';
    else o = 'compliant';
    overallSecs[o] += dur;
    lastOverall = o;
    if (input.keepSegments) push(overallSegs, a, b, o);
    if (buckets && input.bucketEdges) {
      while (bucket < bucketCount && input.bucketEdges[bucket + 1].getTime() <= a) bucket++;
      if (bucket < bucketCount && input.bucketEdges[bucket].getTime() <= a && o !== 'excluded') {
        buckets[bucket].measured += dur;
        if (o === 'compliant') buckets[bucket].compliant += dur;
      }
    }
  }

  for (const id of input.checkIds) {
    const s = secs.get(id)!;
    const inScope = s.pass + s.failing + s.noncompliant + s.unknown;
    const rem = remediations(evBy.get(id) ?? [], ws, we);
    checks[id] = {
      checkId: id,
      seconds: s,
      compliantPct: pct(s.pass, inScope),
      withinPolicyPct: pct(s.pass + s.failing, inScope),
      stateAtEnd: lastStates.get(id) ?? 'unknown',
      firstFailureAt: rem[0]?.failedAt ?? null,
      lastFailureAt: rem[rem.length - 1]?.failedAt ?? null,
      remediations: rem,
      ...(input.keepSegments ? { segments: segs.get(id)! } : {}),
    };
  }
  const measured = (we - ws) / 1000;
  return {
    window: { from: new Date(ws).toISOString(), to: new Date(we).toISOString() },
    measuredSeconds: measured,
    checks,
    overall: { seconds: overallSecs, compliantPct: pct(overallSecs.compliant, measured - overallSecs.excluded), stateAtEnd: lastOverall, ...(input.keepSegments ? { segments: overallSegs } : {}) },
    exclusionsInForce: excl,
    buckets,
  };
}

/**
 * Failure episodes from the raw transition log (not masked by report gaps: a check that
 * failed, went quiet and came back passing took that whole time to fix). An episode starts
 * when the check enters failing/noncompliant and ends at the next `pass`; episodes that
 * overlap the window are returned, with their real start even if it precedes the window.
 */
export function remediations(events: { at: number; state: string }[], ws: number, we: number): Remediation[] {
  const out: Remediation[] = [];
  let open: { at: number; nc: boolean } | null = null;
  const close = (end: number | null) => {
    if (!open) return;
    const stop = end ?? we;
    if (open.at < we && stop > ws) {
      out.push({ failedAt: new Date(open.at).toISOString(), fixedAt: end === null ? null : new Date(end).toISOString(), seconds: Math.max(0, (stop - open.at) / 1000), reachedNoncompliant: open.nc });
    }
    open = null;
  };
  for (const e of events) {
    if (e.at >= we) break;
    if (isFail(e.state)) {
      if (!open) open = { at: e.at, nc: false };
      if (e.state === 'noncompliant') open.nc = true;
    } else if (e.state === 'pass') close(e.at);
  }
  close(null);
  return out;
}
