/**
 * The month partitions of `reports` and `state_events` (migration 090): list them, and create
 * the coming months ahead of time so inserts land in a month partition, not in DEFAULT (a
 * partition created later has to move its rows out of DEFAULT first, which is a full scan of it).
 * Partition names are made by posture_month_partition() only: `<table>_pYYYY_MM`.
 */
import type { Queryable } from '../db/types.js';

/** The partitioned tables and the column each is partitioned on (the time evidence filters by). */
export const PARTITIONED = { reports: 'collected_at', state_events: 'at' } as const;
export type PartitionedTable = keyof typeof PARTITIONED;

/** How many months ahead of the current one the daily job keeps created. */
export const MONTHS_AHEAD = 3;

export interface MonthPartition {
  name: string;
  /** First instant of the UTC month (inclusive) and of the next (exclusive). */
  from: Date;
  to: Date;
}

/** The month partitions of `table`, oldest first (DEFAULT excluded). */
export async function monthPartitions(q: Queryable, table: PartitionedTable): Promise<MonthPartition[]> {
  const r = await q.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass ORDER BY c.relname`,
    [table],
  );
  const re = new RegExp(`^${table}_p(\\d{4})_(\\d{2})$`);
  const out: MonthPartition[] = [];
  for (const { name } of r.rows) {
    const m = re.exec(name);
    if (!m) continue;
    const y = Number(m[1]);
    const mo = Number(m[2]) - 1;
    out.push({ name, from: new Date(Date.UTC(y, mo, 1)), to: new Date(Date.UTC(y, mo + 1, 1)) });
  }
  return out;
}

/** Create the partitions of the month of `now` and the MONTHS_AHEAD after it; returns the names created. */
export async function ensureMonthsAhead(q: Queryable, now = new Date(), ahead = MONTHS_AHEAD): Promise<string[]> {
  const made: string[] = [];
  for (const table of Object.keys(PARTITIONED) as PartitionedTable[]) {
    for (let i = 0; i <= ahead; i++) {
      const t = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + i, 1));
      const r = await q.query<{ made: boolean }>('SELECT posture_month_partition($1, $2) AS made', [table, t]);
      if (r.rows[0]?.made) made.push(`${table}_p${t.toISOString().slice(0, 7).replace('-', '_')}`);
    }
  }
  return made;
}
