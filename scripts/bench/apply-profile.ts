/**
 * Where an ingest batch spends its time in PostgreSQL: applies batches of realistic
 * simulated reports with the collector's own applyBatch() and times every statement.
 *   DATABASE_URL=postgres://... npx tsx scripts/bench/apply-profile.ts [devices=2000] [batch=500] [batches=16] [parallel=1]
 * `parallel` applies that many batches (of distinct devices) in concurrent transactions.
 */
import pg from 'pg';
import { openDb } from '../../server/src/db/open.js';
import { migrate } from '../../server/src/db/migrate.js';
import { applyBatch, type VerifiedReport } from '../../server/src/ingest/apply.js';
import type { Queryable } from '../../server/src/db/types.js';
import { DEFAULT_POLICY } from '#shared/policy/default-policy.js';
import { uuidv7 } from '../../agent/src/identity/uuid7.js';
import { checksOf, inventoryOf } from '../simulate/templates.js';
import { signCompact, type SimIdentity } from '../simulate/identity.js';
import { seedIdentities } from './seed.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [devices, batchSize, batches, parallel] = [2000, 500, 16, 1].map((d, k) => Number(process.argv[2 + k] ?? d));
const base = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const admin = new pg.Client({ connectionString: base });
await admin.connect();
const name = `posture_applyprof_${Date.now().toString(36)}`;
await admin.query(`CREATE DATABASE ${name}`);
const u = new URL(base);
u.pathname = `/${name}`;
const db = await openDb({ databaseUrl: u.toString(), dataDir: tmpdir() });
try {
  await migrate(db);
  const p = new pg.Pool({ connectionString: u.toString(), max: 1 });
  const cache = join(tmpdir(), `applyprof-${name}.jsonl`);
  await seedIdentities(p, 'prof', cache, 0, devices);
  await p.end();
  const { loadCache } = await import('../simulate/identity.js');
  const ids = [...loadCache(cache).values()] as SimIdentity[];
  const times = new Map<string, number[]>();
  const timed = (q: Queryable): Queryable => ({
    async query(sql, params) {
      const t0 = performance.now();
      const r = await q.query(sql, params);
      const key = sql.replace(/\s+/g, ' ').trim().slice(0, 60);
      (times.get(key) ?? times.set(key, []).get(key)!).push(performance.now() - t0);
      return r as never;
    },
  });
  let seq = 0;
  const totals: number[] = [];
  const makeBatch = (b: number) => {
    const batch: VerifiedReport[] = [];
    for (let k = 0; k < batchSize; k++) {
      const id = ids[(b * batchSize + k) % ids.length];
      const payload = { v: 1 as const, reportId: uuidv7(), deviceId: id.deviceId, seq: seq++, collectedAt: new Date().toISOString(), agentVersion: '0.1.0-sim', trigger: 'interval', inventory: inventoryOf(id.i), checks: checksOf(id.i, seq), spool: { pending: 0, evicted: 0, quarantined: 0 } };
      batch.push({ payload, jws: signCompact(id, { alg: 'EdDSA', kid: id.kid }, payload), kid: id.kid });
    }
    return batch;
  };
  for (let b = 0; b < batches; b += parallel) {
    const group = Array.from({ length: parallel }, (_, k) => makeBatch(b + k));
    // The first pass over the devices creates their check states (every check is an event);
    // only later passes are the steady state an existing fleet produces.
    const steady = b * batchSize >= ids.length;
    if (steady && b * batchSize - ids.length < batchSize) times.clear();
    const t0 = performance.now();
    await Promise.all(group.map((batch) => db.tx((q) => applyBatch(timed(q), DEFAULT_POLICY, batch, []))));
    if (steady) totals.push((performance.now() - t0) / parallel);
  }
  const avg = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
  console.log(`steady-state batch of ${batchSize}: avg ${avg(totals).toFixed(0)} ms (${((batchSize * 1000) / avg(totals)).toFixed(0)} reports/s) over ${totals.length} batches`);
  for (const [k, v] of [...times].sort((a, b) => avg(b[1]) - avg(a[1]))) console.log(`${avg(v).toFixed(1).padStart(8)} ms  x${v.length}  ${k}`);
} finally {
  await db.close();
  await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
  await admin.end();
}
