/**
 * Migration 090 converts existing `reports` and `state_events` with their data, on both stores:
 * a store migrated up to 080 holds signed reports and events over several months; after 090/091
 * every row is still there in a month partition of its own (or DEFAULT when out of range), the
 * sequences continue, duplicates are still refused, and new rows land in the right partition.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PG_URL, freshPgDatabase, tempDir } from '../helpers/db.js';
import { openPglite } from '../../server/src/db/pglite.js';
import { openPg } from '../../server/src/db/pg.js';
import { migrate } from '../../server/src/db/migrate.js';
import type { Db } from '../../server/src/db/types.js';
import { monthPartitions } from '../../server/src/retention/partitions.js';
import { every, seedDevices } from '../evidence/seed.js';

const MIGRATIONS = fileURLToPath(new URL('../../server/src/db/migrations', import.meta.url));
const DAY = 86_400_000;
const STORES = ['pglite', ...(PG_URL ? ['pg'] : [])] as const;

describe.each(STORES)('migration 090 converts existing data (%s)', (kind) => {
  let db: Db;
  let cleanup: () => Promise<void> = async () => {};
  const before = mkdtempSync(join(tmpdir(), 'posture-mig-080-'));
  let old: { reports: string[]; events: number; maxEventId: number; maxIngestSeq: number; months: string[] };
  const start = new Date(Date.now() - 75 * DAY);

  beforeAll(async () => {
    for (const f of readdirSync(MIGRATIONS)) if (f.endsWith('.sql') && f < '090') copyFileSync(join(MIGRATIONS, f), join(before, f));
    if (kind === 'pg') {
      const fresh = await freshPgDatabase('retmig');
      db = openPg(fresh.url);
      cleanup = async () => {
        await db.close();
        await fresh.drop();
      };
    } else {
      const dir = tempDir('posture-retmig-');
      db = await openPglite(dir);
      cleanup = async () => {
        await db.close();
        rmSync(dir, { recursive: true, force: true });
      };
    }
    await migrate(db, before);
    await seedDevices(db, [
      { id: 'dev-m', hostname: 'm', enrolledAt: new Date(start.getTime() - DAY), reportTimes: every(start, new Date(), 24),
        events: [{ checkId: 'firewall', to: 'fail', at: new Date(start.getTime() + 20 * DAY) }, { checkId: 'firewall', to: 'pass', at: new Date(start.getTime() + 30 * DAY) }] },
    ]);
    // One report far in the past (a device clock off by years): it must land in DEFAULT.
    const r = (await db.query<Record<string, unknown>>(`SELECT * FROM reports ORDER BY collected_at LIMIT 1`)).rows[0];
    await db.query(`INSERT INTO reports (report_id, device_id, seq, kid, collected_at, summary, jws) VALUES ('ancient', 'dev-m', 0, $1, '2001-02-03T00:00:00Z', '{}', $2)`, [r.kid, r.jws]);
    old = {
      reports: (await db.query<{ report_id: string }>('SELECT report_id FROM reports ORDER BY report_id')).rows.map((x) => x.report_id),
      events: Number((await db.query<{ n: string }>('SELECT count(*)::text AS n FROM state_events')).rows[0].n),
      maxEventId: Number((await db.query<{ m: string }>('SELECT max(id)::text AS m FROM state_events')).rows[0].m),
      maxIngestSeq: Number((await db.query<{ m: string | null }>(`SELECT last_value::text AS m FROM reports_ingest_seq`)).rows[0].m ?? 0),
      months: (await db.query<{ m: string }>(`SELECT DISTINCT to_char(collected_at AT TIME ZONE 'UTC', 'YYYY_MM') AS m FROM reports WHERE report_id <> 'ancient' ORDER BY 1`)).rows.map((x) => x.m),
    };
    await migrate(db); // 090 and 091 over the data
  }, 180_000);
  afterAll(async () => {
    rmSync(before, { recursive: true, force: true });
    await cleanup();
  });

  it('keeps every report and event, each month in its own partition, the far-off one in DEFAULT', async () => {
    expect((await db.query<{ report_id: string }>('SELECT report_id FROM reports ORDER BY report_id')).rows.map((x) => x.report_id)).toEqual(old.reports);
    expect(Number((await db.query<{ n: string }>('SELECT count(*)::text AS n FROM state_events')).rows[0].n)).toBe(old.events);
    const parts = (await monthPartitions(db, 'reports')).map((p) => p.name);
    for (const m of old.months) {
      expect(parts).toContain(`reports_p${m}`);
      expect(Number((await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM reports_p${m}`)).rows[0].n)).toBeGreaterThan(0);
    }
    expect((await db.query<{ report_id: string }>('SELECT report_id FROM reports_default')).rows.map((x) => x.report_id)).toEqual(['ancient']);
    expect(Number((await db.query<{ n: string }>('SELECT count(*)::text AS n FROM state_events_default')).rows[0].n)).toBe(0);
  });

  it('sequences continue and the primary keys still refuse duplicates', async () => {
    const ev = await db.query<{ id: string }>(`INSERT INTO state_events (device_id, check_id, from_state, to_state, at) VALUES ('dev-m', '*', NULL, 'unknown', now()) RETURNING id::text AS id`);
    expect(Number(ev.rows[0].id)).toBeGreaterThan(old.maxEventId);
    const r = (await db.query<Record<string, unknown>>(`SELECT report_id, kid, collected_at, jws FROM reports WHERE report_id <> 'ancient' LIMIT 1`)).rows[0];
    await expect(db.query(`INSERT INTO reports (report_id, device_id, seq, kid, collected_at, summary, jws) VALUES ($1, 'dev-m', 1, $2, $3, '{}', $4)`, [r.report_id, r.kid, r.collected_at, r.jws])).rejects.toThrow(/duplicate key/);
    const ins = await db.query<{ ingest_seq: string }>(`INSERT INTO reports (report_id, device_id, seq, kid, collected_at, summary, jws, ingest_partition) VALUES ('new-one', 'dev-m', 999, $1, now(), '{}', $2, 0) RETURNING ingest_seq::text`, [r.kid, r.jws]);
    expect(Number(ins.rows[0].ingest_seq)).toBeGreaterThan(old.maxIngestSeq);
    const now = new Date().toISOString().slice(0, 7).replace('-', '_');
    expect((await db.query(`SELECT 1 FROM reports_p${now} WHERE report_id = 'new-one'`)).rows.length).toBe(1);
  });
});
