/**
 * Gathers verified reports from all sockets for a few milliseconds (or up to a batch size)
 * and appends them to the report log in one transaction; each caller's promise settles only
 * after the commit, so an ack always means "durably stored". Deriving state from the reports
 * is the projector's job (server/src/projector/), woken through `onStored` after each commit.
 * One commit per report caps out near 1,400/s on a small machine; batches go far beyond that.
 */
import type { Db } from '../db/types.js';
import { isDbUnavailable } from '../db/types.js';
import type { VerifiedReport } from './apply.js';
import { storeReports } from './store.js';

export type IngestOutcome = { kind: 'stored' } | { kind: 'duplicate' } | { kind: 'retry'; retryAfterMs: number } | { kind: 'failed'; message: string };

interface Pending {
  report: VerifiedReport;
  resolve: (o: IngestOutcome) => void;
}

export interface BatcherOptions {
  maxBatch?: number;
  maxWaitMs?: number;
  concurrency?: number;
  onCommitted?: (n: number, ms: number) => void;
  /** The newly stored reports, after their commit (the projector's wake-up and payload cache). */
  onStored?: (reports: VerifiedReport[]) => void;
  log?: { warn: (o: object, m: string) => void; error: (o: object, m: string) => void };
}

export class IngestBatcher {
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  private active = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly maxBatch: number;
  private readonly maxWaitMs: number;
  private readonly concurrency: number;
  /** Set while the database is failing so new reports are told to retry without a round trip. */
  private unavailableUntil = 0;

  constructor(private readonly db: Db, private readonly opts: BatcherOptions = {}) {
    this.maxBatch = opts.maxBatch ?? 500;
    this.maxWaitMs = opts.maxWaitMs ?? 5;
    // One batch at a time keeps each device's reports committed in arrival order; while a batch
    // commits the next one fills up, so throughput comes from batch size, not parallelism.
    this.concurrency = opts.concurrency ?? 1;
  }

  get pending(): number {
    return this.queue.length + this.active;
  }

  submit(report: VerifiedReport): Promise<IngestOutcome> {
    if (Date.now() < this.unavailableUntil) return Promise.resolve({ kind: 'retry', retryAfterMs: this.retryHint() });
    return new Promise((resolve) => {
      this.queue.push({ report, resolve });
      if (this.queue.length >= this.maxBatch) this.kick();
      else if (!this.timer) this.timer = setTimeout(() => this.kick(), this.maxWaitMs);
    });
  }

  private retryHint(): number {
    // Spread the retries so a recovering database is not hit by every agent at once.
    return 2_000 + Math.floor(Math.random() * 3_000);
  }

  private kick(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.queue.length && this.active < this.concurrency) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.active++;
      void this.flush(batch).finally(() => {
        this.active--;
        if (this.queue.length) this.kick();
        else if (this.active === 0) for (const w of this.idleWaiters.splice(0)) w();
      });
    }
  }

  private async flush(batch: Pending[]): Promise<void> {
    // The same report twice in one batch: store once, ack both.
    const unique = new Map<string, VerifiedReport>();
    for (const p of batch) unique.set(p.report.payload.reportId, p.report);
    const t0 = performance.now();
    try {
      const reports = [...unique.values()];
      const stored = await this.db.tx((q) => storeReports(q, reports));
      this.opts.onCommitted?.(batch.length, performance.now() - t0);
      try {
        this.opts.onStored?.(reports.filter((r) => stored.has(r.payload.reportId)));
      } catch (err) {
        // Already durable: a failing listener must not turn the acks into retries.
        this.opts.log?.warn({ err: (err as Error).message }, 'onStored listener failed');
      }
      const firstSeen = new Set<string>();
      for (const p of batch) {
        const id = p.report.payload.reportId;
        const isNew = stored.has(id) && !firstSeen.has(id);
        firstSeen.add(id);
        p.resolve(isNew ? { kind: 'stored' } : { kind: 'duplicate' });
      }
    } catch (err) {
      if (isDbUnavailable(err)) {
        this.unavailableUntil = Date.now() + 1_000;
        this.opts.log?.warn({ err: (err as Error).message, n: batch.length }, 'database unavailable; reports told to retry');
        for (const p of batch) p.resolve({ kind: 'retry', retryAfterMs: this.retryHint() });
        return;
      }
      if (batch.length > 1) {
        // Isolate a poison report instead of failing its neighbours.
        for (const p of batch) await this.flush([p]);
        return;
      }
      this.opts.log?.error({ err: (err as Error).message, reportId: batch[0].report.payload.reportId }, 'report could not be stored');
      batch[0].resolve({ kind: 'failed', message: 'the collector could not store this report' });
    }
  }

  /** Wait until everything submitted so far is committed (graceful shutdown). */
  async drain(): Promise<void> {
    if (this.queue.length) this.kick();
    if (this.active === 0 && this.queue.length === 0) return;
    await new Promise<void>((r) => this.idleWaiters.push(r));
  }
}
