/**
 * Connections across two collector processes sharing one PostgreSQL database:
 *   npx tsx scripts/bench/scale-out.ts [--agents 30000] [--hold 20]
 * Half the agents connect to each process (as a load balancer would spread them), each half
 * from its own 127.0.0.x source addresses and simulator processes. Prints connected agents
 * and RSS per collector, and a check-now issued on A for agents held by B.
 */
import pg from 'pg';
import { join } from 'node:path';
import { Fleet } from '../simulate/fleet.js';
import { parseIps } from '../simulate/main.js';
import { BENCH_ENROLL_SECRET, ROOT, round, rssMiB, sleep, startCollectorProc } from './collector-proc.js';
import { checkNowRoundTrip } from './fleet-phases.js';
import { seedIdentities } from './seed.js';

const arg = (n: string, d: string) => {
  const k = process.argv.indexOf(`--${n}`);
  return k >= 0 ? process.argv[k + 1] : (process.env[`BENCH_${n.toUpperCase()}`] ?? d);
};
const agents = Number(arg('agents', '30000'));
const hold = Number(arg('hold', '20'));
const base = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const admin = new pg.Pool({ connectionString: base, max: 1 });
admin.on('error', () => {});
const dbName = `posture_scale_${Date.now().toString(36)}`;
await admin.query(`CREATE DATABASE ${dbName}`);
const u = new URL(base);
u.pathname = `/${dbName}`;
const env = { DATABASE_URL: u.toString(), HOST: '127.0.0.1' };
const A = await startCollectorProc({ ...env, PORT: '18481' });
const B = await startCollectorProc({ ...env, PORT: '18482' });
process.on('exit', () => [A, B].forEach((c) => c.child.kill('SIGKILL')));
const fleets: Fleet[] = [];
try {
  const info = (await (await fetch(`${A.url}/agent/v1/info`)).json()) as { collectorId: string };
  const db = new pg.Pool({ connectionString: u.toString(), max: 2 });
  const cacheFile = join(ROOT, 'node_modules', '.cache', 'posture-simulate', `identities-${info.collectorId.replace(/[^A-Za-z0-9_-]/g, '_')}.jsonl`);
  await seedIdentities(db, info.collectorId, cacheFile, 0, agents);
  await db.end();
  console.log(`collectors ${A.url} and ${B.url}; seeded ${agents} identities; connecting`);
  const half = Math.floor(agents / 2);
  const t0 = Date.now();
  fleets.push(await Fleet.start({ server: A.url, secret: BENCH_ENROLL_SECRET, agents: half, offset: 0, intervalSec: 600, processes: 3, sourceIps: parseIps('127.0.0.2-127.0.0.9') }));
  fleets.push(await Fleet.start({ server: B.url, secret: BENCH_ENROLL_SECRET, agents: agents - half, offset: half, intervalSec: 600, processes: 3, sourceIps: parseIps('127.0.0.10-127.0.0.17') }));
  const total = () => fleets.reduce((n, f) => n + f.stats.connected, 0);
  while (total() < agents && Date.now() - t0 < 600_000) {
    await sleep(5000);
    console.log(`  connected ${total()}/${agents}`);
  }
  const rampSeconds = (Date.now() - t0) / 1000;
  await sleep(hold * 1000);
  const health = await Promise.all([A, B].map(async (c) => ((await (await fetch(`${c.url}/healthz`)).json()) as { connectedAgents: number }).connectedAgents));
  const cn = await checkNowRoundTrip(A.url, fleets[1].deviceIds, 100, 5);
  const result = {
    agents,
    connected: total(),
    rampSeconds: round(rampSeconds),
    perCollector: [
      { url: A.url, connectedAgents: health[0], rssMiB: round(rssMiB(A.pid)) },
      { url: B.url, connectedAgents: health[1], rssMiB: round(rssMiB(B.pid)) },
    ],
    checkNowViaAOnAgentsOfB: cn,
    errors: fleets.map((f) => f.stats.errors),
  };
  console.log(JSON.stringify(result, null, 2));
} finally {
  for (const f of fleets) await f.stop().catch(() => {});
  await Promise.all([A.stop(), B.stop()]);
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => {});
  await admin.end();
}
process.exit(0);
