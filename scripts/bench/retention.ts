/**
 * npx tsx scripts/bench/retention.ts [--devices 200 --days 7 --prune-devices 20000 --prune-reports-per-device 15]
 * (DATABASE_URL names the PostgreSQL server; a scratch database is created and dropped.)
 *
 * 1. Bytes per device per day at the default report interval (900 s): simulated devices
 *    (scripts/simulate templates: the simulator's inventory and check results, real Ed25519
 *    signatures) write `days` days of reports through the real ingest insert (ingest/store.ts)
 *    with collectedAt stamped in the past — days simulated in seconds, not waited for — and the
 *    real projector derives check states and state events. Measured: pg_total_relation_size of
 *    reports (all partitions), state_events (all partitions), check_states, devices,
 *    device_keys before and after.
 * 2. Pruning one month of a `prune-devices` fleet: the month's rows are written by SQL (a real
 *    report JWS from phase 1 repeated: pruning does not read signatures, the digests decode it),
 *    then timed: the digest phase (one signed digest per device-month), batched delete of the
 *    month (≤ 5,000 rows per transaction), and the partition drop of the same month re-filled.
 *    Rows per device are fewer than a real month (96/day × 30) to fit this shared machine; the
 *    delete rate is reported per row so it scales, and the drop is timed at two sizes (the drop
 *    reads no rows; a spread between the two is lock wait and machine load).
 *    Run with `verify: false`: the job verifies each month's bundle before digesting it
 *    (server/src/retention/verify-month.ts), which costs one month's export and verification
 *    and is not timed here (the SQL-filled month is not verifiable evidence).
 */
import { parseArgs } from 'node:util';
import { loadavg, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { scratchDatabase, round } from './collector-proc.js';
import { seedIdentities } from './seed.js';
import { loadCache, signCompact, SIM_AGENT_VERSION } from '../simulate/identity.js';
import { checksOf, inventoryOf } from '../simulate/templates.js';
import { openPg } from '../../server/src/db/pg.js';
import { migrate } from '../../server/src/db/migrate.js';
import type { Db } from '../../server/src/db/types.js';
import { storeReports } from '../../server/src/ingest/store.js';
import { Projector, projectionBacklog } from '../../server/src/projector/projector.js';
import { ensureSigningKey } from '../../server/src/meta/collector-keys.js';
import { writeMonthDigests } from '../../server/src/retention/digests.js';
import { runRetention } from '../../server/src/retention/prune.js';
import { reportHash } from '#shared/evidence/chain.js';
import { DEFAULT_POLICY } from '#shared/policy/default-policy.js';
import type { ReportPayload } from '#shared/protocol/messages.js';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '200' },
    days: { type: 'string', default: '7' },
    'prune-devices': { type: 'string', default: '20000' },
    'prune-reports-per-device': { type: 'string', default: '15' },
  },
});
const DEVICES = Number(values.devices);
const DAYS = Number(values.days);
const PRUNE_DEVICES = Number(values['prune-devices']);
const PER_DEVICE = Number(values['prune-reports-per-device']);
const INTERVAL_S = DEFAULT_POLICY.intervalSec ?? 900;
const DAY = 86_400_000;

async function sizes(db: Db): Promise<Record<string, number>> {
  const r = await db.query<{ t: string; b: string }>(
    `SELECT t, (SELECT COALESCE(sum(pg_total_relation_size(relid)), 0) FROM pg_partition_tree(t::regclass))::text AS b
       FROM unnest(ARRAY['reports', 'state_events', 'check_states', 'devices', 'device_keys']) AS t`,
  );
  return Object.fromEntries(r.rows.map((x) => [x.t, Number(x.b)]));
}

async function bytesPerDeviceDay(url: string): Promise<{ perDeviceDay: Record<string, number>; total: number; reports: number; templateJws: string }> {
  const db = openPg(url, { max: 4 });
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const cache = join(tmpdir(), `posture-bench-retention-${process.pid}.jsonl`);
  try {
    await migrate(db);
    await seedIdentities(pool, 'bench-retention', cache, 0, DEVICES);
    const ids = [...loadCache(cache).values()];
    // Partitions for the simulated days (the daily job makes them ahead of time in production).
    for (const t of ['reports', 'state_events']) for (let d = 0; d <= DAYS + 31; d += 28) await db.query('SELECT posture_month_partition($1, $2)', [t, new Date(Date.now() - d * DAY)]);
    const before = await sizes(db);
    const start = Date.now() - DAYS * DAY;
    const perDay = Math.round(86_400 / INTERVAL_S);
    let stored = 0;
    let template = '';
    const prev = new Map<string, string>();
    for (let slot = 0; slot < DAYS * perDay; slot++) {
      const at = new Date(start + slot * INTERVAL_S * 1000);
      const batch = ids.map((id) => {
        const payload = {
          v: 1, reportId: randomUUID(), deviceId: id.deviceId, seq: slot + 1, ...(prev.has(id.deviceId) ? { prevHash: prev.get(id.deviceId) } : {}),
          collectedAt: at.toISOString(), agentVersion: SIM_AGENT_VERSION, trigger: 'interval', inventory: inventoryOf(id.i), checks: checksOf(id.i, slot + 1),
          spool: { pending: 0, evicted: 0, quarantined: 0 },
        };
        const jws = signCompact(id, { alg: 'EdDSA', kid: id.kid }, payload);
        prev.set(id.deviceId, reportHash(jws));
        return { payload: payload as unknown as ReportPayload, jws, kid: id.kid };
      });
      template ||= batch[0].jws;
      await db.tx((q) => storeReports(q, batch));
      stored += batch.length;
    }
    const proj = new Projector(db, { policy: DEFAULT_POLICY }, { batchSize: 2000, pollMs: 50 });
    proj.start();
    for (;;) {
      const b = await projectionBacklog(db);
      if (b.every((p) => p.pending === 0)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    await proj.stop();
    await db.query('VACUUM ANALYZE');
    const after = await sizes(db);
    const perDeviceDay: Record<string, number> = {};
    let total = 0;
    for (const k of Object.keys(after)) {
      perDeviceDay[k] = round((after[k] - before[k]) / (DEVICES * DAYS), 0);
      if (k === 'reports' || k === 'state_events') total += after[k] - before[k];
    }
    return { perDeviceDay, total: round(total / (DEVICES * DAYS), 0), reports: stored, templateJws: template };
  } finally {
    rmSync(cache, { force: true });
    await pool.end();
    await db.close();
  }
}

async function pruneMonth(url: string, templateJws: string): Promise<Record<string, number>> {
  const db = openPg(url, { max: 2 });
  try {
    await migrate(db);
    await ensureSigningKey(db);
    // A month old enough to prune (two months before the one the cutoff falls in).
    const cut = new Date(Date.now() - 400 * DAY);
    const month = new Date(Date.UTC(cut.getUTCFullYear(), cut.getUTCMonth() - 2, 1));
    const monthEnd = new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + 1, 1));
    for (const t of ['reports', 'state_events']) await db.query('SELECT posture_month_partition($1, $2)', [t, month]);
    await db.query(
      `INSERT INTO devices (id, fingerprint, hostname, platform, inventory, enrolled_at)
       SELECT 'pdev' || g, 'pfp' || g, 'host' || g, 'linux', '{}', $2 FROM generate_series(1, $1) g`,
      [PRUNE_DEVICES, new Date(month.getTime() - DAY)],
    );
    const fill = async (n: number) => {
      const t = Date.now();
      await db.query(
        `INSERT INTO reports (report_id, device_id, seq, kid, collected_at, received_at, summary, jws)
         SELECT 'r' || d || '-' || k || '-' || $4, 'pdev' || d, k, 'kid', $1::timestamptz + ((k * 86400 * 28 / $3) || ' seconds')::interval + (d || ' ms')::interval,
                $1::timestamptz + ((k * 86400 * 28 / $3) || ' seconds')::interval, '{}', $2
           FROM generate_series(1, $5) d, generate_series(1, $3) k`,
        [month, templateJws, n, randomUUID().slice(0, 8), PRUNE_DEVICES],
      );
      await db.query('ANALYZE reports');
      return Date.now() - t;
    };
    const rows = PRUNE_DEVICES * PER_DEVICE;
    const out: Record<string, number> = { rows };
    out.fillMs = await fill(PER_DEVICE);
    let t = Date.now();
    out.digests = await writeMonthDigests(db, month, DEFAULT_POLICY);
    out.digestMs = Date.now() - t;
    t = Date.now();
    const del = await runRetention(db, DEFAULT_POLICY, { ignoreLease: true, strategy: 'delete', verify: false });
    out.deleteMs = Date.now() - t;
    out.deleted = del.kinds.find((k) => k.kind === 'reports')!.rowsDeleted;
    out.deleteStepMs = del.kinds.find((k) => k.kind === 'reports')!.deleteMs;
    // The same month again, then dropped as a partition; and once more at a tenth of the rows.
    await fill(PER_DEVICE);
    t = Date.now();
    const drop = await runRetention(db, DEFAULT_POLICY, { ignoreLease: true, verify: false });
    out.dropMs = Date.now() - t;
    out.dropped = drop.kinds.find((k) => k.kind === 'reports')!.rowsInDropped;
    out.dropStepMs = drop.kinds.find((k) => k.kind === 'reports')!.dropMs;
    for (const tb of ['reports', 'state_events']) await db.query('SELECT posture_month_partition($1, $2)', [tb, month]);
    await fill(Math.max(1, Math.round(PER_DEVICE / 10)));
    t = Date.now();
    const small = await runRetention(db, DEFAULT_POLICY, { ignoreLease: true, verify: false });
    out.dropSmallMs = Date.now() - t;
    out.droppedSmall = small.kinds.find((k) => k.kind === 'reports')!.rowsInDropped;
    out.dropSmallStepMs = small.kinds.find((k) => k.kind === 'reports')!.dropMs;
    void monthEnd;
    return out;
  } finally {
    await db.close();
  }
}

async function main(): Promise<void> {
  const base = process.env.DATABASE_URL;
  if (!base) throw new Error('DATABASE_URL must name a PostgreSQL server');
  const load = loadavg()[0];
  console.log(`retention bench — ${cpus().length} cores, load ${load.toFixed(1)} at start`);
  const a = await scratchDatabase(base, 'retsize');
  let template = '';
  try {
    const r = await bytesPerDeviceDay(a.url);
    template = r.templateJws;
    console.log(`bytes per device per day (${DEVICES} devices × ${DAYS} days, every ${INTERVAL_S} s, ${r.reports} signed reports, projected):`);
    // check_states, devices and device_keys hold one row set per device (rewritten, not appended):
    // their growth over a few days is page slack, so only the two per-day tables are printed.
    for (const k of ['reports', 'state_events']) console.log(`  ${k.padEnd(13)} ${r.perDeviceDay[k]}`);
    console.log(`  reports + state_events: ${r.total} bytes/device/day (≈ ${round((r.total * 20_000 * 400) / 2 ** 30, 1)} GiB for 20,000 devices × 400 days)`);
  } finally {
    await a.drop();
  }
  const b = await scratchDatabase(base, 'retprune');
  try {
    const p = await pruneMonth(b.url, template);
    const perRow = p.deleteStepMs / Math.max(1, p.deleted);
    const fullMonth = 20_000 * 96 * 30;
    console.log(`pruning one month, ${PRUNE_DEVICES} devices × ${PER_DEVICE} reports (${p.rows} rows; a real month is ${fullMonth.toLocaleString('en')} rows at 96/day):`);
    console.log(`  digests: ${p.digests} written in ${p.digestMs} ms`);
    console.log(`  batched delete (5,000/tx): ${p.deleted} rows in ${p.deleteStepMs} ms (${round(p.deleted / (p.deleteStepMs / 1000), 0)} rows/s → ≈ ${round((perRow * fullMonth) / 60_000, 1)} min for a real month); whole job run ${p.deleteMs} ms`);
    console.log(`  partition drop: ${p.dropped} rows in ${p.dropStepMs} ms; ${p.droppedSmall} rows in ${p.dropSmallStepMs} ms; whole job runs ${p.dropMs} / ${p.dropSmallMs} ms`);
  } finally {
    await b.drop();
  }
  console.log(`load at end ${loadavg()[0].toFixed(1)}`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
