/**
 * Refused and throttled attempts from unauthenticated sources (wrong enrollment secret,
 * rate-limited enrollment, throttled sign-in) are evidence, but one row per attempt lets a
 * single client write ~1,000 audit rows a second. They are counted in memory and written as
 * ONE audit row per (action, source, minute) with the count and the reasons seen, when the
 * minute is over and when the collector closes. A crash loses at most the current minute's
 * counts, never an authenticated action (those are written in their own transaction).
 */
import type { Db } from '../db/types.js';
import { audit } from './log.js';

interface Bucket {
  action: string;
  actor: string;
  source: string;
  minute: number;
  count: number;
  reasons: Record<string, number>;
  first: string;
  last: string;
}

const MINUTE = 60_000;
/** Distinct buckets held at most; beyond it the oldest minute is written early (bounded memory). */
const MAX_BUCKETS = 10_000;

export class RefusalAudit {
  private buckets = new Map<string, Bucket>();
  private timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly db: Db, tickMs = 5_000) {
    this.timer = setInterval(() => void this.flush(false), tickMs);
    this.timer.unref();
  }

  /** Count one refused attempt; `reason` is a stable code (e.g. POSTURE_ERR_ENROLL_SECRET_INVALID, throttled). */
  record(e: { action: string; actor?: string; source: string; reason: string }, now = Date.now()): void {
    const minute = Math.floor(now / MINUTE) * MINUTE;
    const key = `${e.action}|${e.source}|${minute}`;
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= MAX_BUCKETS) void this.flush(true);
      b = { action: e.action, actor: e.actor ?? 'anonymous', source: e.source, minute, count: 0, reasons: {}, first: new Date(now).toISOString(), last: '' };
      this.buckets.set(key, b);
    }
    b.count++;
    b.reasons[e.reason] = (b.reasons[e.reason] ?? 0) + 1;
    b.last = new Date(now).toISOString();
  }

  /** Write every finished minute (or everything, when `all`): one audit row per bucket. */
  flush(all = true, now = Date.now()): Promise<void> {
    const due = [...this.buckets.entries()].filter(([, b]) => all || b.minute + MINUTE <= now);
    for (const [k] of due) this.buckets.delete(k);
    if (!due.length) return this.flushing;
    this.flushing = this.flushing.then(async () => {
      for (const [, b] of due)
        await audit(this.db, {
          actor: b.actor,
          action: b.action,
          outcome: 'denied',
          ip: b.source,
          detail: { aggregated: true, count: b.count, reasons: b.reasons, minute: new Date(b.minute).toISOString(), first: b.first, last: b.last },
        }).catch(() => {}); // database down: these counts are lost, the refusals themselves still happened
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush(true);
  }
}
