/**
 * Group re-evaluation benchmark on real PostgreSQL (DATABASE_URL):
 *   npx tsx scripts/bench/groups.ts [--devices 5000]
 * Seeds N devices (device-signed reports, screen lock failing) into a fresh database, starts a
 * collector as its own process with a policy where screen lock is not required except in the
 * group `strict`, then measures (1) adding all N devices to the static group (1,000 per API
 * call; each call re-evaluates its devices before answering) and (2) a change of the group's
 * policy override (re-evaluation of every member in the background, 100 per transaction),
 * timed until the last member's state changed. Prints the figures for docs/benchmarks.md.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { DEFAULT_POLICY } from '#shared/policy/default-policy.js';
import type { Policy } from '#shared/policy/schema.js';
import { seedDevices, type SeedDevice } from '../../test/evidence/seed.js';
import { api, BENCH_ADMIN_TOKEN, startCollectorProc, sleep, scratchDatabase } from './collector-proc.js';

const { values: a } = parseArgs({ options: { devices: { type: 'string', default: '5000' } } });
const N = Number(a.devices);

function policy(required: boolean): Policy {
  const p = structuredClone(DEFAULT_POLICY);
  for (const c of Object.values(p.checks)) c.graceHours = 0;
  p.checks.screen_lock.required = false;
  p.groups = [{ name: 'strict', checks: { screen_lock: { required } } }];
  return p;
}

async function main() {
  const base = process.env.DATABASE_URL;
  if (!base) throw new Error('DATABASE_URL must point at a PostgreSQL server (a fresh database is created on it)');
  const db = await scratchDatabase(base, 'groups');
  const dataDir = await mkdtemp(join(tmpdir(), 'posture-bench-groups-'));
  process.env.BENCH_COLLECTOR ??= 'src';
  const collector = await startCollectorProc({ DATABASE_URL: db.url, PORT: '0', HOST: '127.0.0.1', POSTURE_DATA_DIR: dataDir });
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  pool.on('error', () => {});
  const call = (path: string, init: RequestInit = {}) => api(collector.url, path, { ...init, headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}`, 'content-type': 'application/json' } });
  try {
    const put = await call('/api/v1/policy', { method: 'PUT', body: JSON.stringify(policy(true)) });
    if (put.status !== 200) throw new Error(`policy: ${put.status} ${JSON.stringify(put.body)}`);
    const now = Date.now();
    const ids: string[] = [];
    for (let start = 0; start < N; start += 1000) {
      const batch: SeedDevice[] = [];
      for (let i = start; i < Math.min(N, start + 1000); i++) {
        const id = `dev_bench_${i.toString().padStart(6, '0')}`;
        ids.push(id);
        batch.push({ id, hostname: `host-${i}`, enrolledAt: new Date(now - 3_600_000), reportTimes: [new Date(now - 600_000)], events: [{ checkId: 'screen_lock', to: 'failing', at: new Date(now - 1_200_000) }] });
      }
      await seedDevices(pool, batch, policy(true));
    }
    // Seeded as the evaluator would for devices in no group: screen lock not required.
    await pool.query(`UPDATE check_states SET state = 'not_required' WHERE check_id = 'screen_lock'`);
    await pool.query(`UPDATE devices SET state = 'compliant'`);
    await pool.query('ANALYZE');
    const g = await call('/api/v1/groups', { method: 'POST', body: JSON.stringify({ name: 'strict', kind: 'static' }) });
    const t0 = Date.now();
    for (let i = 0; i < ids.length; i += 1000) {
      const r = await call(`/api/v1/groups/${g.body.id}/members`, { method: 'POST', body: JSON.stringify({ deviceIds: ids.slice(i, i + 1000) }) });
      if (r.status !== 200) throw new Error(`add: ${r.status} ${JSON.stringify(r.body)}`);
    }
    const addSec = (Date.now() - t0) / 1000;
    const nonc = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM devices WHERE state = 'noncompliant'`);
    const t1 = Date.now();
    await call('/api/v1/policy', { method: 'PUT', body: JSON.stringify(policy(false)) });
    let left = N;
    while (left > 0 && Date.now() - t1 < 600_000) {
      await sleep(200);
      left = Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM devices WHERE state = 'noncompliant'`)).rows[0].n);
    }
    const policySec = (Date.now() - t1) / 1000;
    process.stdout.write(
      [
        `group re-evaluation benchmark (PostgreSQL, collector as its own process)`,
        `membership: ${N} devices added to a static group in ${addSec.toFixed(1)} s (${Math.round(N / addSec)} devices/s, re-evaluated before each API answer); ${nonc.rows[0].n} became noncompliant`,
        `policy:     the group's override changed → all ${N} members re-evaluated in ${policySec.toFixed(1)} s (${Math.round(N / policySec)} devices/s, 100 per transaction)${left ? `; ${left} NOT done after 600 s` : ''}`,
      ].join('\n') + '\n',
    );
  } finally {
    await pool.end();
    await collector.stop();
    await rm(dataDir, { recursive: true, force: true });
    await db.drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
