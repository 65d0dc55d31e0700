/**
 * Counters and a latency histogram that merge across worker processes. The histogram has
 * 1 ms buckets up to 30 s, so percentiles are exact to the millisecond without keeping
 * every sample.
 */
const MAX_MS = 30_000;

export interface StatsSnapshot {
  connected: number;
  connects: number;
  enrolled: number;
  enrollCached: number;
  sent: number;
  acked: number;
  duplicates: number;
  retries: number;
  rejects: number;
  checkNow: number;
  /** Update checks made, versions installed, bytes fetched from /updates/ (simulate/updater.ts). */
  updateChecks: number;
  updated: number;
  updateBytes: number;
  /** Reports signed at send time, and reports sent from the pre-signed queue (FleetOptions.presignSec). */
  signedLive: number;
  sentPresigned: number;
  errors: Record<string, number>;
  closes: Record<string, number>;
  /** Sparse histogram: bucket (ms) -> count. */
  hist: Record<number, number>;
}

export class Stats {
  connected = 0;
  connects = 0;
  enrolled = 0;
  enrollCached = 0;
  sent = 0;
  acked = 0;
  duplicates = 0;
  retries = 0;
  rejects = 0;
  checkNow = 0;
  updateChecks = 0;
  updated = 0;
  updateBytes = 0;
  signedLive = 0;
  sentPresigned = 0;
  errors = new Map<string, number>();
  closes = new Map<string, number>();
  private hist = new Uint32Array(MAX_MS + 1);

  error(kind: string): void {
    this.errors.set(kind, (this.errors.get(kind) ?? 0) + 1);
  }
  close(code: number): void {
    const k = String(code);
    this.closes.set(k, (this.closes.get(k) ?? 0) + 1);
  }
  latency(ms: number): void {
    this.hist[Math.min(MAX_MS, Math.max(0, Math.round(ms)))]++;
  }

  snapshot(): StatsSnapshot {
    const hist: Record<number, number> = {};
    this.hist.forEach((n, i) => {
      if (n) hist[i] = n;
    });
    const { connected, connects, enrolled, enrollCached, sent, acked, duplicates, retries, rejects, checkNow, updateChecks, updated, updateBytes, signedLive, sentPresigned } = this;
    return { connected, connects, enrolled, enrollCached, sent, acked, duplicates, retries, rejects, checkNow, updateChecks, updated, updateBytes, signedLive, sentPresigned, errors: Object.fromEntries(this.errors), closes: Object.fromEntries(this.closes), hist };
  }
}

/** Sum snapshots from several workers into one. */
export function mergeSnapshots(list: StatsSnapshot[]): StatsSnapshot {
  const out: StatsSnapshot = { connected: 0, connects: 0, enrolled: 0, enrollCached: 0, sent: 0, acked: 0, duplicates: 0, retries: 0, rejects: 0, checkNow: 0, updateChecks: 0, updated: 0, updateBytes: 0, signedLive: 0, sentPresigned: 0, errors: {}, closes: {}, hist: {} };
  const add = (a: Record<string | number, number>, b: Record<string | number, number>) => {
    for (const [k, v] of Object.entries(b)) a[k] = (a[k] ?? 0) + v;
  };
  for (const s of list) {
    for (const k of ['connected', 'connects', 'enrolled', 'enrollCached', 'sent', 'acked', 'duplicates', 'retries', 'rejects', 'checkNow', 'updateChecks', 'updated', 'updateBytes', 'signedLive', 'sentPresigned'] as const) out[k] += s[k] ?? 0;
    add(out.errors, s.errors);
    add(out.closes, s.closes);
    add(out.hist, s.hist);
  }
  return out;
}

/** Percentile (0..100) of a sparse ms histogram; NaN when empty. */
export function percentile(hist: Record<number, number>, p: number): number {
  const entries = Object.entries(hist).map(([k, v]) => [Number(k), v] as const).sort((a, b) => a[0] - b[0]);
  const total = entries.reduce((s, [, v]) => s + v, 0);
  if (!total) return NaN;
  const want = Math.ceil((p / 100) * total);
  let cum = 0;
  for (const [ms, n] of entries) {
    cum += n;
    if (cum >= want) return ms;
  }
  return entries[entries.length - 1][0];
}

/** Subtract an earlier histogram (for "latency during this phase only"). */
export function histDelta(now: Record<number, number>, before: Record<number, number>): Record<number, number> {
  const out: Record<number, number> = {};
  for (const [k, v] of Object.entries(now)) {
    const d = v - (before[Number(k)] ?? 0);
    if (d > 0) out[Number(k)] = d;
  }
  return out;
}
