/**
 * The projector: derives check_states, device state, state_events, alert outbox rows and
 * completed commands from the report log (ingest/store.ts), in log order per device partition.
 *
 * - Exactly-once: a pass reads the partition's position, applies the next reports and moves the
 *   position in ONE transaction; a crash (kill -9, database restart) rolls all of it back and
 *   the next pass starts from the same position.
 * - Shared work: a pass holds the partition's transaction-level advisory lock
 *   (pg_try_advisory_xact_lock); a collector that cannot take it skips that partition, so
 *   several collectors spread the partitions among themselves and a dead one's partitions are
 *   picked up on the next pass of any other.
 * - Lag: the local batcher wakes the projector right after each commit; reports stored by
 *   other collectors are found by polling every `pollMs`.
 */
import type { Db, Queryable } from '../db/types.js';
import { isDbUnavailable } from '../db/types.js';
import type { PolicyStore } from '../policy/store.js';
import { applyReports } from '../ingest/apply.js';
import { PARTITIONS, partitionLockKey } from './partition.js';
import { horizon, readLog, type LogEntry, type LogPosition, type PayloadCache } from './read-log.js';

export interface ProjectorOptions {
  /** Reports applied per transaction (default 1000): larger passes coalesce a device's writes. */
  batchSize?: number;
  /** How often to look for reports stored by other collectors, ms (default 250). */
  pollMs?: number;
  alertOn?: () => string[];
  cache?: PayloadCache;
  /** Called after each committed pass with each applied report's lag: ms from stored to applied. */
  onProjected?: (lagsMs: number[]) => void;
  log?: { warn: (o: object, m: string) => void; error: (o: object, m: string) => void };
}

export class Projector {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private queue: Promise<unknown> = Promise.resolve();
  private stopped = true;
  private readonly batchSize: number;
  private readonly pollMs: number;

  constructor(private readonly db: Db, private readonly policy: Pick<PolicyStore, 'policy'>, private readonly opts: ProjectorOptions = {}) {
    this.batchSize = opts.batchSize ?? 1000;
    this.pollMs = opts.pollMs ?? 250;
  }

  start(): void {
    this.stopped = false;
    this.wake();
  }

  /** Finish the pass in progress and stop; unapplied reports stay in the log for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** New reports were committed here: run a pass now (or right after the current one). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.running = this.loop().finally(() => {
      this.running = null;
      if (this.stopped) return;
      if (this.again) {
        this.again = false;
        this.wake();
      } else {
        this.timer = setTimeout(() => this.wake(), this.pollMs);
        this.timer.unref();
      }
    });
  }

  private async loop(): Promise<void> {
    // Keep going while there is a backlog; a pass that applies nothing ends the loop.
    for (;;) {
      let n = 0;
      try {
        n = await this.runOnce();
      } catch (e) {
        this.opts.log?.warn({ err: (e as Error).message }, isDbUnavailable(e) ? 'projector: database unavailable; will retry' : 'projector pass failed; will retry');
        return;
      }
      if (n === 0 || this.stopped) return;
    }
  }

  /**
   * One pass over every partition this process can lock; returns the number of reports applied.
   * Passes of one process never overlap (they queue), so "a pass returned 0" means this process
   * has applied everything it could see when it began.
   */
  runOnce(): Promise<number> {
    const pass = this.queue.then(async () => {
      let total = 0;
      // One index probe per partition in one statement, so an idle poll or a wake-up for one
      // device's report opens transactions only where there is something to apply.
      const work = await this.partitionsWithWork();
      if (!work.length) return 0;
      // One horizon for the whole pass: valid for every read that starts after it.
      const h = await horizon(this.db);
      for (const p of work) total += await this.projectPartition(p, h);
      return total;
    });
    this.queue = pass.catch(() => 0);
    return pass;
  }

  /**
   * Apply everything visible now (passes until one applies nothing). Readers that must see
   * their own report applied (an operator tool, a test) call this; partitions another collector
   * holds are left to it.
   */
  async catchUp(maxPasses = 10_000): Promise<number> {
    let total = 0;
    for (let i = 0; i < maxPasses; i++) {
      const n = await this.runOnce();
      total += n;
      if (n === 0) break;
    }
    return total;
  }

  private async partitionsWithWork(): Promise<number[]> {
    const r = await this.db.query<{ partition: number }>(
      `SELECT p.partition FROM projector_positions p
        WHERE p.partition < $1 AND EXISTS (SELECT 1 FROM reports r WHERE r.ingest_partition = p.partition AND r.ingest_xid IS NOT NULL
          AND (r.ingest_xid, r.ingest_seq) > (p.last_xid, p.last_seq))
        ORDER BY p.partition`,
      [PARTITIONS],
    );
    return r.rows.map((x) => Number(x.partition));
  }

  /** Apply the next batch of one partition; 0 if it is empty or another collector holds it. */
  async projectPartition(partition: number, h?: string): Promise<number> {
    const entries = await this.db.tx(async (q) => {
      // The lock first (its own statement), then the position read under it.
      const got = await q.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [partitionLockKey(partition)]);
      if (!got.rows[0]?.ok) return [];
      const pos = await q.query<{ last_xid: string | number; last_seq: string | number }>('SELECT last_xid, last_seq FROM projector_positions WHERE partition = $1', [partition]);
      if (!pos.rows[0]) throw new Error(`projector_positions has no row for partition ${partition}`);
      const after: LogPosition = { xid: String(pos.rows[0].last_xid), seq: String(pos.rows[0].last_seq) };
      const entries = await readLog(q, partition, after, this.batchSize, h ?? (await horizon(q)), this.opts.cache);
      if (entries.length === 0) return [];
      for (const e of entries.filter((x) => x.undecodable)) await this.recordFailure(q, partition, e.reportId, e.undecodable!);
      const good = entries.filter((x) => !x.undecodable);
      if (good.length) await this.applyIsolated(q, partition, good);
      const last = entries[entries.length - 1].position;
      await q.query('UPDATE projector_positions SET last_xid = $2::bigint, last_seq = $3::bigint, projected = projected + $4, updated_at = now() WHERE partition = $1', [
        partition, last.xid, last.seq, entries.length,
      ]);
      return entries;
    });
    if (entries.length && this.opts.onProjected) {
      const now = Date.now();
      this.opts.onProjected(entries.map((e) => now - e.receivedAt.getTime()));
    }
    return entries.length;
  }

  /**
   * Apply a batch; if it fails for a reason other than the database being away, split it and
   * apply the halves under savepoints so one report that cannot be applied is recorded in
   * projector_failures and passed over instead of stalling its partition forever.
   */
  private async recordFailure(q: Queryable, partition: number, reportId: string, message: string): Promise<void> {
    const msg = message.slice(0, 500);
    this.opts.log?.error({ reportId, err: msg }, 'projector: report could not be applied; recorded and passed over');
    await q.query('INSERT INTO projector_failures (report_id, partition, error) VALUES ($1, $2, $3) ON CONFLICT (report_id) DO NOTHING', [reportId, partition, msg]);
  }

  private async applyIsolated(q: Queryable, partition: number, entries: LogEntry[]): Promise<void> {
    const alertOn = this.opts.alertOn?.() ?? [];
    await q.query('SAVEPOINT projector_batch');
    try {
      await applyReports(q, this.policy.policy, entries, alertOn);
      await q.query('RELEASE SAVEPOINT projector_batch');
      return;
    } catch (e) {
      if (isDbUnavailable(e)) throw e;
      await q.query('ROLLBACK TO SAVEPOINT projector_batch');
      if (entries.length === 1) return this.recordFailure(q, partition, entries[0].reportId, (e as Error).message);
    }
    const mid = Math.ceil(entries.length / 2);
    await this.applyIsolated(q, partition, entries.slice(0, mid));
    await this.applyIsolated(q, partition, entries.slice(mid));
  }
}

/** How far the projection is behind the log: reports stored but not applied yet, per partition. */
export async function projectionBacklog(q: Queryable): Promise<{ partition: number; pending: number; oldestPendingAt: Date | null }[]> {
  const r = await q.query<{ partition: number; pending: string | number; oldest: Date | null }>(
    `SELECT p.partition, count(r.report_id) AS pending, min(r.received_at) AS oldest
       FROM projector_positions p
       LEFT JOIN reports r ON r.ingest_partition = p.partition AND r.ingest_xid IS NOT NULL
        AND (r.ingest_xid, r.ingest_seq) > (p.last_xid, p.last_seq)
      GROUP BY p.partition ORDER BY p.partition`,
  );
  return r.rows.map((x) => ({ partition: Number(x.partition), pending: Number(x.pending), oldestPendingAt: x.oldest ? new Date(x.oldest) : null }));
}
