/**
 * Retention of signed reports and state events (issue 13, docs/retention.md), run daily by the
 * scheduler. Per kind, with cutoff = now − the policy's days for it:
 * 1. Only whole UTC months are pruned: those that ended at or before the start of the cutoff's
 *    month. (Retention is a minimum: data lives up to one month longer than the setting, and
 *    a month is always either raw or digested, never half of each.)
 * 2. Before anything of a month goes, every device-month of it gets its signed digest
 *    (retention/digests.ts); for state events, the last event per device and check is kept in
 *    state_event_baseline, so the state at the start of a later period stays known.
 * 3. A month partition is detached and dropped (O(1), a short transaction with lock_timeout so
 *    it never queues ingest behind a long reader). Reports are an exception when some report in
 *    the partition was RECEIVED after the cutoff (a device whose clock was far behind): then only
 *    the rows received before the cutoff are deleted, in batches. Old rows in the DEFAULT
 *    partition are deleted in batches of at most 5,000, one short transaction each.
 * 4. One audit entry per run and kind that pruned something (`retention.prune`): cutoff, months,
 *    partitions dropped, rows deleted, digests written.
 * 5. A month is digested and pruned only when its evidence verifies first (monthVerifies): a
 *    digest is computed from the database's state events and then signed by the collector, so
 *    an edit made in SQL before pruning would otherwise become signed truth once the reports
 *    that contradict it are gone (attack pass S4-A1). The first month that does not verify
 *    stops the run there (it and every later month stay raw) with a `retention.refused` entry.
 * The run takes a lease in collector_meta so one collector runs it a day, and each step takes
 * the advisory lock RETENTION_LOCK so that even overlapping runs never interleave a step.
 */
import { monthBounds, monthKey } from '#shared/evidence/digest.js';
import { retentionDays } from '#shared/policy/retention.js';
import type { Policy } from '#shared/policy/schema.js';
import type { Db, Queryable } from '../db/types.js';
import { audit } from '../audit/log.js';
import { pruneAuditLog } from '../audit/prune.js';
import { AUDIT_MIN_RETENTION_DAYS } from '#shared/audit/chain.js';
import { ensureMonthsAhead, monthPartitions, PARTITIONED, type PartitionedTable } from './partitions.js';
import { writeMonthDigests } from './digests.js';
import { monthVerifies } from './verify-month.js';

const DAY_MS = 86_400_000;
/** Serializes retention steps across collectors (retention lock range 7362193+). */
export const RETENTION_LOCK = 7_362_193;
/** Rows per delete transaction: short transactions, no long locks. */
export const PRUNE_BATCH = 5_000;

const KINDS: { kind: 'reports' | 'stateEvents'; table: PartitionedTable }[] = [
  { kind: 'reports', table: 'reports' },
  { kind: 'stateEvents', table: 'state_events' },
];

/** What one kind's pruning did (or, in a dry run, would do). */
export interface KindPrune {
  kind: 'reports' | 'stateEvents';
  cutoff: string;
  /** `YYYY-MM` of every month pruned. */
  months: string[];
  partitionsDropped: string[];
  /** Rows removed by batched deletes (DEFAULT partition, or a partition kept for late rows). */
  rowsDeleted: number;
  /** Rows in the dropped partitions: the planner's estimate (pg_class.reltuples, -1 → 0 when never analyzed); exact in a dry run. */
  rowsInDropped: number;
  /** Milliseconds spent dropping partitions, and in batched deletes (the benchmark prints them). */
  dropMs: number;
  deleteMs: number;
}

export interface RetentionRun {
  dryRun: boolean;
  partitionsCreated: string[];
  digestsWritten: number;
  kinds: KindPrune[];
  audit: { deleted: number } | null;
  /** Set when another collector held the lease (nothing was done). */
  skipped?: string;
  /**
   * Set when a month's evidence did not verify against its signed reports: that month and
   * every later one were kept raw (`problems`: the verifier's first findings, file: message).
   */
  refused?: { month: string; problems: string[] };
}

export interface RetentionOptions {
  now?: Date;
  dryRun?: boolean;
  batch?: number;
  /**
   * 'drop' (default): drop whole month partitions. 'delete': delete their rows in batches
   * instead (the benchmark's comparison; not used by the job).
   */
  strategy?: 'drop' | 'delete';
  actor?: string;
  /** Skip the once-a-day lease (the admin command and tests run it on demand). */
  ignoreLease?: boolean;
  /**
   * false: digest and prune without verifying each month first (step 5). Only the benchmark
   * passes it: its SQL-filled month is not evidence (one JWS repeated), and it times the
   * digest and drop alone. Not reachable from the job or the admin command.
   */
  verify?: boolean;
}

async function step<T>(db: Db, fn: (q: Queryable) => Promise<T>): Promise<T | null> {
  return db.tx(async (q) => {
    await q.query('SELECT pg_advisory_xact_lock($1)', [RETENTION_LOCK]);
    return fn(q);
  });
}

/** Take the day's lease (collector_meta 'retention_lease' = ISO time until which it is held). */
async function takeLease(db: Db, now: Date): Promise<boolean> {
  const until = new Date(now.getTime() + 20 * 3_600_000).toISOString();
  const r = await db.query(
    `INSERT INTO collector_meta (key, value) VALUES ('retention_lease', $1)
     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value WHERE collector_meta.value::timestamptz <= $2::timestamptz RETURNING key`,
    [until, now],
  );
  return r.rowCount > 0;
}

/** Months (UTC starts) with rows older than `before` in `table`'s DEFAULT partition (reports: only those received before `cutoff`). */
async function defaultMonths(q: Queryable, table: PartitionedTable, before: Date, cutoff: Date): Promise<Date[]> {
  const col = PARTITIONED[table];
  const r = await q.query<{ m: Date }>(
    `SELECT DISTINCT date_trunc('month', ${col} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS m FROM ${table}_default
      WHERE ${col} < $1 ${table === 'reports' ? 'AND received_at < $2' : 'AND $2::timestamptz IS NOT NULL'} ORDER BY 1`,
    [before, cutoff],
  );
  return r.rows.map((x) => new Date(x.m));
}

/** Delete rows matching `where` from `rel` in batches of `batch`; returns rows deleted. */
async function batchedDelete(db: Db, rel: string, where: string, params: unknown[], batch: number): Promise<number> {
  let total = 0;
  for (;;) {
    const n = (await step(db, async (q) => {
      const r = await q.query(`DELETE FROM ${rel} WHERE ctid IN (SELECT ctid FROM ${rel} WHERE ${where} LIMIT ${batch})`, params);
      return r.rowCount;
    })) ?? 0;
    total += n;
    if (n < batch) return total;
  }
}

/** Keep the last state event per device and check of [from, to) (and its failing-since) in state_event_baseline. */
async function keepBaseline(q: Queryable, from: Date, to: Date): Promise<void> {
  const failing = `('failing', 'noncompliant')`;
  await q.query(
    `INSERT INTO state_event_baseline (device_id, check_id, from_state, to_state, at, failing_since)
     SELECT e.device_id, e.check_id, e.from_state, e.to_state, e.at,
            CASE WHEN e.to_state IN ${failing} THEN COALESCE(
              (SELECT max(x.at) FROM state_events x WHERE x.device_id = e.device_id AND x.check_id = e.check_id AND x.at <= e.at
                  AND x.to_state IN ${failing} AND (x.from_state IS NULL OR x.from_state NOT IN ${failing})),
              (SELECT b.failing_since FROM state_event_baseline b WHERE b.device_id = e.device_id AND b.check_id = e.check_id)) END
       FROM (SELECT DISTINCT ON (device_id, check_id) * FROM state_events WHERE at >= $1 AND at < $2 ORDER BY device_id, check_id, at DESC, id DESC) e
     ON CONFLICT (device_id, check_id) DO UPDATE SET from_state = EXCLUDED.from_state, to_state = EXCLUDED.to_state, at = EXCLUDED.at,
       failing_since = EXCLUDED.failing_since
     WHERE state_event_baseline.at <= EXCLUDED.at`,
    [from, to],
  );
}

/**
 * Run retention once for every kind under `policy`. Returns what was (or would be) removed.
 * Throws if a retention below the 400-day minimum reaches it (the policy schema refuses it
 * first; this is the last line).
 */
export async function runRetention(db: Db, policy: Policy, opts: RetentionOptions = {}): Promise<RetentionRun> {
  const now = opts.now ?? new Date();
  const batch = Math.min(PRUNE_BATCH, Math.max(1, opts.batch ?? PRUNE_BATCH));
  const days = retentionDays(policy);
  for (const [k, d] of Object.entries(days))
    if (d < AUDIT_MIN_RETENTION_DAYS) throw new Error(`retention refused: retention.${k}Days is ${d}, less than ${AUDIT_MIN_RETENTION_DAYS} days`);
  const run: RetentionRun = { dryRun: !!opts.dryRun, partitionsCreated: [], digestsWritten: 0, kinds: [], audit: null };
  if (!opts.dryRun && !opts.ignoreLease && !(await takeLease(db, now))) return { ...run, skipped: 'another collector ran retention within the last 20 hours' };
  if (!opts.dryRun) run.partitionsCreated = (await step(db, (q) => ensureMonthsAhead(q, now))) ?? [];

  // Which whole months each kind prunes.
  const plan = [];
  for (const { kind, table } of KINDS) {
    const cutoff = new Date(now.getTime() - days[kind] * DAY_MS);
    const edge = monthBounds(cutoff).from; // months ending at or before this are whole-past
    const parts = (await monthPartitions(db, table)).filter((p) => p.to <= edge);
    const fromDefault = await defaultMonths(db, table, edge, cutoff);
    const months = [...new Set([...parts.map((p) => p.from.getTime()), ...fromDefault.map((m) => m.getTime())])].sort((a, b) => a - b).map((t) => new Date(t));
    plan.push({ kind, table, cutoff, edge, parts, months });
  }

  // Digests first, for every month either kind is about to prune (they need both the month's
  // reports and its state events, so they are written before the first of the two goes).
  // Each month is verified before its digests are signed; the first that fails, and every
  // month after it, are kept raw (a later month digested over a raw one would move rawFrom
  // past it and hide it).
  const toDigest = [...new Set(plan.flatMap((p) => p.months.map((m) => m.getTime())))].sort((a, b) => a - b);
  if (!opts.dryRun) {
    for (const t of toDigest) {
      const problems = opts.verify === false ? [] : await monthVerifies(db, new Date(t), policy);
      if (problems.length) {
        run.refused = { month: monthKey(new Date(t)), problems: problems.slice(0, 20) };
        for (const p of plan) {
          p.months = p.months.filter((m) => m.getTime() < t);
          p.parts = p.parts.filter((x) => x.from.getTime() < t);
          p.edge = new Date(Math.min(p.edge.getTime(), t));
        }
        await audit(db, {
          actor: opts.actor ?? 'system:retention', action: 'retention.refused', target: `retention:${run.refused.month}`,
          detail: { month: run.refused.month, reason: 'the month\'s evidence does not verify against its signed reports; it and later months are kept raw', problems: run.refused.problems },
        });
        break;
      }
      run.digestsWritten += await writeMonthDigests(db, new Date(t), policy, now);
    }
  }

  for (const p of plan) {
    const col = PARTITIONED[p.table];
    const res: KindPrune = { kind: p.kind, cutoff: p.cutoff.toISOString(), months: p.months.map(monthKey), partitionsDropped: [], rowsDeleted: 0, rowsInDropped: 0, dropMs: 0, deleteMs: 0 };
    if (opts.dryRun) {
      for (const part of p.parts) res.rowsInDropped += Number((await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${part.name}`)).rows[0].n);
      res.partitionsDropped = p.parts.map((x) => x.name);
      res.rowsDeleted = Number((await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${p.table}_default WHERE ${col} < $1${p.table === 'reports' ? ' AND received_at < $2' : ' AND $2::timestamptz IS NOT NULL'}`, [p.edge, p.cutoff])).rows[0].n);
      run.kinds.push(res);
      continue;
    }
    // Nothing of this kind is old enough: no work and no audit entry (a run that prunes nothing is not a pruning).
    if (!p.months.length) {
      run.kinds.push(res);
      continue;
    }
    if (p.table === 'state_events') for (const m of p.months) await step(db, (q) => keepBaseline(q, m, monthBounds(m).to));
    for (const part of p.parts) {
      // A report received after the cutoff stays, whatever its (device-signed) collected_at says.
      const late = p.table === 'reports' && (await db.query(`SELECT 1 FROM ${part.name} WHERE received_at >= $1 LIMIT 1`, [p.cutoff])).rows.length > 0;
      const t0 = Date.now();
      if (late || opts.strategy === 'delete') {
        res.rowsDeleted += await batchedDelete(db, part.name, p.table === 'reports' ? 'received_at < $1' : 'true', p.table === 'reports' ? [p.cutoff] : [], batch);
        res.deleteMs += Date.now() - t0;
        continue;
      }
      await step(db, async (q) => {
        await q.query(`SET LOCAL lock_timeout = '5s'`);
        // The planner's estimate (kept by ANALYZE/autovacuum), not count(*): counting would scan
        // the whole month and make the drop O(rows) again.
        res.rowsInDropped += Math.max(0, Number((await q.query<{ n: string }>(`SELECT reltuples::bigint::text AS n FROM pg_class WHERE oid = $1::regclass`, [part.name])).rows[0]?.n ?? 0));
        await q.query(`ALTER TABLE ${p.table} DETACH PARTITION ${part.name}`);
        await q.query(`DROP TABLE ${part.name}`);
      });
      res.partitionsDropped.push(part.name);
      res.dropMs += Date.now() - t0;
    }
    const t1 = Date.now();
    const lateClause = p.table === 'reports' ? ' AND received_at < $2' : '';
    res.rowsDeleted += await batchedDelete(db, `${p.table}_default`, `${col} < $1${lateClause}`, p.table === 'reports' ? [p.edge, p.cutoff] : [p.edge], batch);
    res.deleteMs += Date.now() - t1;
    await audit(db, {
      actor: opts.actor ?? 'system:retention', action: 'retention.prune', target: `retention:${p.kind}`,
      detail: { kind: p.kind, cutoff: res.cutoff, before: p.edge.toISOString(), months: res.months, partitionsDropped: res.partitionsDropped, rowsInDropped: res.rowsInDropped, rowsDeleted: res.rowsDeleted, digestsWrittenThisRun: run.digestsWritten },
    });
    run.kinds.push(res);
  }

  if (!opts.dryRun) run.audit = { deleted: (await pruneAuditLog(db, new Date(now.getTime() - days.auditLog * DAY_MS), { actor: opts.actor })).deleted };
  return run;
}
