/**
 * Retention of reports and state events on both stores (server/src/retention/): months older
 * than the retention are digested (signed with the collector key), then dropped as partitions
 * or deleted in batches from DEFAULT; newer rows untouched; one audit entry per kind; a report
 * received within the retention stays whatever its collected_at says; digests are append-only;
 * the state before a later period survives through the baseline; duplicate ids stay refused.
 * Data: real device-signed reports (test/evidence/seed.ts) dated up to 16 months back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { compactVerify, importJWK, type JWK } from 'jose';
import { PG_URL, freshPgDatabase, tempDir } from '../helpers/db.js';
import { openPglite } from '../../server/src/db/pglite.js';
import { openPg } from '../../server/src/db/pg.js';
import { migrate } from '../../server/src/db/migrate.js';
import type { Db } from '../../server/src/db/types.js';
import { ensureSigningKey } from '../../server/src/meta/collector-keys.js';
import { runRetention } from '../../server/src/retention/prune.js';
import { monthPartitions } from '../../server/src/retention/partitions.js';
import { edgesFor } from '../../server/src/evidence/dal.js';
import { storeReports } from '../../server/src/ingest/store.js';
import { reportHash } from '#shared/evidence/chain.js';
import { DIGEST_JWS_TYP, monthBounds, monthKey, type MonthlyDigest } from '#shared/evidence/digest.js';
import { DEFAULT_POLICY } from '#shared/policy/default-policy.js';
import type { ReportPayload } from '#shared/protocol/messages.js';
import { every, seedDevices, signReport } from '../evidence/seed.js';

const DAY = 86_400_000;
const NOW = new Date();
// Months relative to the first month that must be kept (the one containing now − 400 days).
const EDGE = monthBounds(new Date(NOW.getTime() - 400 * DAY)).from;
const monthStart = (k: number) => new Date(Date.UTC(EDGE.getUTCFullYear(), EDGE.getUTCMonth() + k, 1));
const OLD2 = monthStart(-2); // stays in the DEFAULT partition: batched delete
const OLD1 = monthStart(-1); // gets a month partition: dropped
const START = new Date(OLD2.getTime() + 5 * DAY);
const partName = (t: string, m: Date) => `${t}_p${monthKey(m).replace('-', '_')}`;
const payloadOf = (jws: string) => JSON.parse(Buffer.from(jws.split('.')[1], 'base64url').toString('utf8')) as ReportPayload;

const STORES = ['pglite', ...(PG_URL ? ['pg'] : [])] as const;

describe.each(STORES)('retention of reports and state events (%s)', (kind) => {
  let db: Db;
  let cleanup: () => Promise<void> = async () => {};
  let before: { old: number; kept: number; keptEvents: number; oldByDeviceMonth: Map<string, number> };
  let late = '';
  const n = async (sql: string, p: unknown[] = []) => Number((await db.query<{ n: string }>(sql, p)).rows[0].n);

  beforeAll(async () => {
    if (kind === 'pg') {
      const fresh = await freshPgDatabase('retention');
      db = openPg(fresh.url);
      cleanup = async () => {
        await db.close();
        await fresh.drop();
      };
    } else {
      const dir = tempDir('posture-retention-');
      db = await openPglite(dir);
      cleanup = async () => {
        await db.close();
        rmSync(dir, { recursive: true, force: true });
      };
    }
    await migrate(db);
    await ensureSigningKey(db);
    const enrolledAt = new Date(START.getTime() - DAY);
    const { keys } = await seedDevices(db, [
      { id: 'dev-a', hostname: 'a', enrolledAt, reportTimes: every(START, NOW, 24) },
      // Firewall off for ten days of the month that is dropped, then fixed.
      { id: 'dev-b', hostname: 'b', enrolledAt, reportTimes: every(START, NOW, 24),
        events: [{ checkId: 'firewall', to: 'fail', at: new Date(OLD1.getTime() + 2 * DAY) }, { checkId: 'firewall', to: 'pass', at: new Date(OLD1.getTime() + 12 * DAY) }] },
      { id: 'dev-c', hostname: 'c', enrolledAt, reportTimes: every(START, NOW, 48) },
    ]);
    // OLD1 gets its own partitions (rows move out of DEFAULT); OLD2 stays in DEFAULT.
    for (const t of ['reports', 'state_events']) await db.query('SELECT posture_month_partition($1, $2)', [t, OLD1]);
    // A report signed with an OLD collected_at but received now (a device whose clock is far
    // behind): received within the retention, so it must stay.
    const key = keys.get('dev-c')!;
    late = randomUUID();
    const p = { v: 1, reportId: late, deviceId: 'dev-c', seq: 100_000, collectedAt: new Date(OLD2.getTime() + DAY).toISOString(), agentVersion: '0.1.0', trigger: 'interval', inventory: {}, checks: [], spool: { pending: 0, evicted: 0, quarantined: 0 } };
    await db.query(`INSERT INTO reports (report_id, device_id, seq, kid, collected_at, received_at, summary, jws) VALUES ($1, 'dev-c', 100000, $2, $3, now(), '{}', $4)`, [late, key.kid, p.collectedAt, await signReport(key, p)]);
    const perMonth = await db.query<{ device_id: string; m: Date; n: string }>(
      `SELECT device_id, date_trunc('month', collected_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS m, count(*)::text AS n FROM reports WHERE collected_at < $1 GROUP BY 1, 2`, [EDGE]);
    before = {
      old: await n('SELECT count(*)::text AS n FROM reports WHERE collected_at < $1', [EDGE]),
      kept: await n('SELECT count(*)::text AS n FROM reports WHERE collected_at >= $1', [EDGE]),
      keptEvents: await n('SELECT count(*)::text AS n FROM state_events WHERE at >= $1', [EDGE]),
      oldByDeviceMonth: new Map(perMonth.rows.map((r) => [`${r.device_id} ${monthKey(new Date(r.m))}`, Number(r.n)])),
    };
  }, 180_000);
  afterAll(async () => cleanup());

  it('refuses a retention under 400 days, naming the field', async () => {
    await expect(runRetention(db, { ...DEFAULT_POLICY, retention: { stateEventsDays: 399 } }, { now: NOW, ignoreLease: true })).rejects.toThrow(/retention\.stateEventsDays.*400/);
  });

  it('a dry run says what would go and changes nothing', async () => {
    const r = await runRetention(db, DEFAULT_POLICY, { now: NOW, dryRun: true });
    const rep = r.kinds.find((k) => k.kind === 'reports')!;
    expect(rep.months).toEqual([monthKey(OLD2), monthKey(OLD1)]);
    expect(rep.partitionsDropped).toEqual([partName('reports', OLD1)]);
    expect(rep.rowsInDropped + rep.rowsDeleted).toBe(before.old - 1); // all but the late one
    expect(await n('SELECT count(*)::text AS n FROM reports WHERE collected_at < $1', [EDGE])).toBe(before.old);
    expect(await n('SELECT count(*)::text AS n FROM monthly_digests')).toBe(0);
  });

  it('digests, then prunes only whole months older than the retention, and audits each kind', async () => {
    // The audit entry's rows-in-dropped-partitions is the planner's estimate (a count would scan
    // the month); ANALYZE of these small tables makes it exact.
    await db.query('ANALYZE');
    const r = await runRetention(db, DEFAULT_POLICY, { now: NOW, ignoreLease: true, batch: 7 });
    expect(r.digestsWritten).toBe(6); // 3 devices × 2 months
    // Old rows gone (except the one received now), newer untouched.
    expect((await db.query<{ report_id: string }>('SELECT report_id FROM reports WHERE collected_at < $1', [EDGE])).rows.map((x) => x.report_id)).toEqual([late]);
    expect(await n('SELECT count(*)::text AS n FROM reports WHERE collected_at >= $1', [EDGE])).toBe(before.kept);
    expect(await n('SELECT count(*)::text AS n FROM state_events WHERE at < $1', [EDGE])).toBe(0);
    expect(await n('SELECT count(*)::text AS n FROM state_events WHERE at >= $1', [EDGE])).toBe(before.keptEvents);
    // OLD1 was a partition and is dropped; the edge month's partition is not touched.
    const names = (await monthPartitions(db, 'reports')).map((p) => p.name);
    expect(names).not.toContain(partName('reports', OLD1));
    expect((await monthPartitions(db, 'state_events')).map((p) => p.name)).not.toContain(partName('state_events', OLD1));
    // One audit entry per kind, with what went.
    const a = await db.query<{ target: string; detail: { partitionsDropped: string[]; rowsDeleted: number; rowsInDropped: number; months: string[] } }>(
      `SELECT target, detail FROM audit_log WHERE action = 'retention.prune' ORDER BY seq`);
    expect(a.rows.map((x) => x.target)).toEqual(['retention:reports', 'retention:stateEvents']);
    const rep = a.rows[0].detail;
    expect(rep.partitionsDropped).toEqual([partName('reports', OLD1)]);
    expect(rep.rowsDeleted + rep.rowsInDropped).toBe(before.old - 1);
    expect(rep.months).toEqual([monthKey(OLD2), monthKey(OLD1)]);
  });

  it('the digests are signed by the collector key and continue each device chain into the kept reports', async () => {
    const k = (await db.query<{ kid: string; public_jwk: JWK }>('SELECT kid, public_jwk FROM collector_keys WHERE valid_to IS NULL')).rows[0];
    const pub = await importJWK(k.public_jwk, 'EdDSA');
    const rows = (await db.query<{ device_id: string; month: string; kid: string; jws: string }>(`SELECT device_id, month::text AS month, kid, jws FROM monthly_digests ORDER BY device_id, month`)).rows;
    expect(rows.length).toBe(6);
    const digests = new Map<string, MonthlyDigest>();
    for (const row of rows) {
      const v = await compactVerify(row.jws, pub);
      expect(v.protectedHeader).toMatchObject({ kid: k.kid, typ: DIGEST_JWS_TYP });
      const dg = JSON.parse(new TextDecoder().decode(v.payload)) as MonthlyDigest;
      expect(row.kid).toBe(k.kid);
      // Every report collected in the month counts (dev-c's late one included).
      expect(dg.reports).toBe(before.oldByDeviceMonth.get(`${dg.deviceId} ${dg.month}`));
      digests.set(`${dg.deviceId} ${dg.month}`, dg);
    }
    for (const dev of ['dev-a', 'dev-b', 'dev-c']) {
      const d2 = digests.get(`${dev} ${monthKey(OLD2)}`)!;
      const d1 = digests.get(`${dev} ${monthKey(OLD1)}`)!;
      expect(d1.firstSeq).toBe(d2.lastSeq! + 1);
      expect(d1.firstPrevHash).toBe(d2.head);
      // The first kept report links to the last digested one.
      const first = (await db.query<{ jws: string }>(`SELECT jws FROM reports WHERE device_id = $1 AND collected_at >= $2 ORDER BY collected_at LIMIT 1`, [dev, EDGE])).rows[0];
      const p = payloadOf(first.jws);
      expect(p.seq).toBe(d1.lastSeq! + 1);
      expect(p.prevHash).toBe(d1.head);
      expect(reportHash(first.jws)).not.toBe(d1.head);
    }
    // Time-weighted figures from the shared history code: dev-b's firewall failed 10 days of OLD1.
    const b1 = digests.get(`dev-b ${monthKey(OLD1)}`)!;
    expect(b1.checks.firewall.compliantPct).toBeLessThan(80);
    expect(b1.checks.firewall.seconds.failing + b1.checks.firewall.seconds.noncompliant).toBeGreaterThan(9 * 86_400);
    expect(digests.get(`dev-a ${monthKey(OLD1)}`)!.checks.firewall.compliantPct).toBe(100);
  });

  it('keeps the state each check was in before a later period (baseline of pruned events)', async () => {
    const e = await edgesFor(db, ['dev-a', 'dev-b'], new Date(EDGE.getTime() + 20 * DAY), NOW);
    expect(e.start.get('dev-a')?.firewall?.state).toBe('pass');
    expect(e.start.get('dev-b')?.firewall?.state).toBe('pass');
  });

  it('digests are append-only', async () => {
    await expect(db.query(`UPDATE monthly_digests SET reports = reports + 1`)).rejects.toThrow(/append-only/);
    await expect(db.query(`DELETE FROM monthly_digests`)).rejects.toThrow(/append-only/);
    expect(await n('SELECT count(*)::text AS n FROM monthly_digests')).toBe(6);
  });

  it('a second run prunes nothing more and writes no audit entry', async () => {
    const r = await runRetention(db, DEFAULT_POLICY, { now: NOW, ignoreLease: true });
    expect(r.digestsWritten).toBe(0);
    expect(await n(`SELECT count(*)::text AS n FROM audit_log WHERE action = 'retention.prune'`)).toBe(2);
    expect(await n('SELECT count(*)::text AS n FROM reports WHERE collected_at >= $1', [EDGE])).toBe(before.kept);
  });

  it('the lease runs retention once a day across collectors', async () => {
    const first = await runRetention(db, DEFAULT_POLICY, { now: NOW });
    expect(first.skipped).toBeUndefined();
    const second = await runRetention(db, DEFAULT_POLICY, { now: new Date(NOW.getTime() + 3_600_000) });
    expect(second.skipped).toMatch(/another collector/);
  });

  it('duplicate report ids stay refused across month partitions', async () => {
    const row = (await db.query<{ jws: string; kid: string }>(`SELECT jws, kid FROM reports WHERE device_id = 'dev-a' ORDER BY collected_at DESC LIMIT 1`)).rows[0];
    const payload = payloadOf(row.jws);
    // The same signed report again: stored once.
    expect((await db.tx((q) => storeReports(q, [{ payload, jws: row.jws, kid: row.kid }]))).size).toBe(0);
    // The same id under another collected_at (another month): refused too.
    const moved = { ...payload, collectedAt: new Date(EDGE.getTime() + 3 * DAY).toISOString() };
    expect((await db.tx((q) => storeReports(q, [{ payload: moved, jws: row.jws, kid: row.kid }]))).size).toBe(0);
    expect(await n('SELECT count(*)::text AS n FROM reports WHERE report_id = $1', [payload.reportId])).toBe(1);
  });
});
