/**
 * npm run bench [-- --agents N --processes P --source-ips 127.0.0.2-127.0.0.17 --ingest-agents M
 *                   --ingest-rate R --ingest-seconds S --checknow K --devices D --skip storm,footprint]
 *
 * One run on this machine against real PostgreSQL (DATABASE_URL names the server; a fresh
 * database is created and dropped): connections held + collector RSS, check-now round trip,
 * reconnect storm, sustained ingest vs raw batched insert, device-list latency at D devices,
 * agent footprint. Every flag also reads BENCH_<FLAG> from the environment.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Fleet } from '../simulate/fleet.js';
import { enrollOne } from '../simulate/identity.js';
import { parseIps } from '../simulate/main.js';
import { pool } from '../simulate/worker.js';
import { BENCH_ENROLL_SECRET, ROOT, collectorEntry, round, rssMiB, sleep, startCollectorProc, type CollectorProc } from './collector-proc.js';
import { checkNowRoundTrip, holdConnections, reconnectStorm, verifyAcked } from './fleet-phases.js';
import { rawBatchedInsert, sustainedIngest } from './ingest.js';
import { deviceListLatency } from './device-list.js';
import { agentFootprint, childCycleCost, enrollBenchAgent } from './footprint.js';
import { seedDevices, seedIdentities } from './seed.js';
import { drain, lagPercentile, scrapeLag } from './projection.js';
import { renderTargets, targets } from './targets.js';

function opt(name: string, def: string): string {
  const k = process.argv.indexOf(`--${name}`);
  if (k >= 0 && process.argv[k + 1] !== undefined) return process.argv[k + 1];
  return process.env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`] ?? def;
}
const int = (name: string, def: number) => Math.max(0, Math.floor(Number(opt(name, String(def)))));

const cfg = {
  agents: int('agents', 2000),
  ingestAgents: int('ingest-agents', 600),
  ingestRate: int('ingest-rate', 3000),
  ingestSeconds: int('ingest-seconds', 20),
  idleInterval: int('idle-interval', 300),
  checkNow: int('checknow', 200),
  checkNowConcurrency: int('checknow-concurrency', 5),
  devices: int('devices', 20_000),
  enrollSample: int('enroll-sample', 300),
  port: int('port', 18480),
  sourceIps: parseIps(opt('source-ips', '127.0.0.2-127.0.0.17')),
  skip: new Set(opt('skip', '').split(',').filter(Boolean)),
  pgUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
};
const processes = int('processes', Math.max(1, Math.ceil(cfg.agents / 5000)));
const results: Record<string, unknown> = { startedAt: new Date().toISOString(), loadavgAtStart: loadavg().map((x) => round(x, 2)), config: { ...cfg, skip: [...cfg.skip], processes, collector: collectorEntry().join(' '), verifyWorkers: process.env.POSTURE_VERIFY_WORKERS ?? '0' } };
/** Run one phase; a failure is recorded in the results instead of losing the whole run. */
async function phase<T>(name: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    const r = await fn();
    results[name] = r;
    log(`${name}: ${JSON.stringify(r)}`);
    return r;
  } catch (e) {
    results[name] = { error: (e as Error).message };
    log(`${name} FAILED: ${(e as Error).message}`);
    return undefined;
  }
}
const log = (s: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}`);

async function main(): Promise<void> {
  // Pools reconnect on their own: other work on this server may restart PostgreSQL.
  const admin = new pg.Pool({ connectionString: cfg.pgUrl, max: 1, connectionTimeoutMillis: 15_000 });
  admin.on('error', () => {});
  const dbName = `posture_bench_${Date.now().toString(36)}`;
  await admin.query(`CREATE DATABASE ${dbName}`);
  const u = new URL(cfg.pgUrl);
  u.pathname = `/${dbName}`;
  const dbUrl = u.toString();
  const env = { DATABASE_URL: dbUrl, PORT: String(cfg.port), HOST: '127.0.0.1', POSTURE_JOB_INTERVAL_MS: '30000' };
  // e.g. BENCH_COLLECTOR_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the collector.
  const nodeFlags = (process.env.BENCH_COLLECTOR_FLAGS ?? '').split(' ').filter(Boolean);
  let collector: CollectorProc = await startCollectorProc(env, nodeFlags);
  // A connect that hangs (a restarting server) fails after 15 s instead of stalling the run.
  const db = new pg.Pool({ connectionString: dbUrl, max: 2, connectionTimeoutMillis: 15_000 });
  db.on('error', () => {});
  const fleets: Fleet[] = [];
  // Never leave a collector behind, whatever happens to this process.
  process.on('exit', () => collector.child.kill('SIGKILL'));
  try {
    await sleep(2_000);
    const rssIdle = rssMiB(collector.pid);
    log(`collector ${collector.url} pid ${collector.pid}, idle RSS ${round(rssIdle)} MiB, database ${dbName}`);
    const info = (await (await fetch(`${collector.url}/agent/v1/info`)).json()) as { collectorId: string };

    if (cfg.enrollSample) {
      const t0 = performance.now();
      let ok = 0;
      await pool(Array.from({ length: cfg.enrollSample }, (_, k) => 10_000_000 + k), 16, async (i) => {
        await enrollOne(collector.url, BENCH_ENROLL_SECRET, info.collectorId, i).then(() => ok++, () => {});
      });
      results.enrollment = { enrolled: ok, perSec: round(ok / ((performance.now() - t0) / 1000)) };
      log(`enrollment through the API: ${JSON.stringify(results.enrollment)}`);
    }

    const cacheFile = join(ROOT, 'node_modules', '.cache', 'posture-simulate', `identities-${info.collectorId.replace(/[^A-Za-z0-9_-]/g, '_')}.jsonl`);
    const t0 = performance.now();
    log(`seeding ${cfg.agents + cfg.ingestAgents} agent identities`);
    await seedIdentities(db, info.collectorId, cacheFile, 0, cfg.agents + cfg.ingestAgents);
    log(`seeded ${cfg.agents + cfg.ingestAgents} agent identities in ${round((performance.now() - t0) / 1000)}s`);
    const fleetOpts = { server: collector.url, secret: BENCH_ENROLL_SECRET, sourceIps: cfg.sourceIps };

    if (!cfg.skip.has('connections')) {
      const fleet = await Fleet.start({ ...fleetOpts, agents: cfg.agents, intervalSec: cfg.idleInterval, processes, recordAcks: true });
      fleets.push(fleet);
      results.connections = await holdConnections(fleet, collector, cfg.agents, rssIdle, 600_000);
      log(`connections: ${JSON.stringify(results.connections)}`);
      if (!cfg.skip.has('checknow')) {
        const connected = fleet.stats.connected;
        await phase('checkNow', async () => ({ connected, ...(await checkNowRoundTrip(collector.url, fleet.deviceIds, cfg.checkNow, cfg.checkNowConcurrency)) }));
      }
      if (!cfg.skip.has('storm')) {
        await sleep(5_000);
        const storm = await reconnectStorm(fleet, collector, () => startCollectorProc(env, nodeFlags), cfg.agents, 300_000);
        collector = storm.collector;
        await sleep(3_000); // let resent reports be acked before stopping
        const { ackedIds } = await fleet.stop();
        results.storm = { ...storm.result, ...(await verifyAcked(db, ackedIds)) };
        log(`reconnect storm: ${JSON.stringify(results.storm)}`);
      } else await fleet.stop();
    }

    if (!cfg.skip.has('ingest')) {
      // Pre-signed: enough reports for the ramp (tens of seconds when sockets are refused with
      // 503 for a while under load), the 5 s warm-up and the window; a shortfall shows as
      // signedLiveInWindow > 0 in the results.
      const presignSec = cfg.ingestSeconds + 20;
      /**
       * One saturating ingest phase and the raw insert of the rows it stored. `presign`: the
       * simulator signs its reports before connecting, so during the window it only writes
       * frames (the fair figure); without it, it signs each report as it sends it (the
       * figure of earlier sessions, kept side by side once to show the difference).
       */
      const saturate = async (presign: boolean) => {
        const intervalSec = cfg.ingestAgents / cfg.ingestRate;
        const fleet = await Fleet.start({ ...fleetOpts, agents: cfg.ingestAgents, offset: cfg.agents, intervalSec, processes: 2, ...(presign ? { presignSec } : {}) });
        fleets.push(fleet);
        const lag0 = await scrapeLag(collector.url);
        const ing = await sustainedIngest(fleet, cfg.ingestAgents, cfg.ingestRate, cfg.ingestSeconds);
        const lag1 = await scrapeLag(collector.url);
        await fleet.stop();
        const dr = await drain(db);
        const raw = await rawBatchedInsert(db, ing.from, ing.to);
        const { from: _f, to: _t, ...rest } = ing;
        const lag = lagPercentile(lag1, lag0, 99);
        return {
          presigned: presign ? { ...fleet.presigned, beforeConnect: true } : false,
          ...rest, ...raw, ratio: round(ing.ackedPerSec / raw.rawPerSec, 2),
          projectionLagP50Ms: lagPercentile(lag1, lag0, 50).ms, projectionLagP99Ms: lag.ms, projectedInWindow: lag.count, ...dr,
        };
      };
      log('ingest, simulator signing while measured (old style, for comparison)');
      await phase('ingestLiveSigning', () => saturate(false));
      log(`ingest, simulator pre-signing ${presignSec} s of reports per agent before it connects`);
      const ing = await phase('ingest', () => saturate(true));
      if (ing) {
        // Latency is only meaningful below saturation: offer 70% of what was just sustained.
        const rate = Math.max(50, Math.floor(ing.ackedPerSec * 0.7));
        const f2 = await Fleet.start({ ...fleetOpts, agents: cfg.ingestAgents, offset: cfg.agents, intervalSec: cfg.ingestAgents / rate, processes: 2, presignSec });
        fleets.push(f2);
        await phase('ingestAt70pct', async () => {
          const l0 = await scrapeLag(collector.url);
          const r = await sustainedIngest(f2, cfg.ingestAgents, rate, cfg.ingestSeconds);
          const l1 = await scrapeLag(collector.url);
          return { offeredPerSec: r.offeredPerSec, ackedPerSec: r.ackedPerSec, ackP50Ms: r.ackP50Ms, ackP99Ms: r.ackP99Ms, signedLiveInWindow: r.signedLiveInWindow, projectionLagP50Ms: lagPercentile(l1, l0, 50).ms, projectionLagP99Ms: lagPercentile(l1, l0, 99).ms };
        });
        await f2.stop();
      }
    }

    if (!cfg.skip.has('devices')) {
      const added = await seedDevices(db, cfg.devices);
      log(`seeded ${added} more devices (total ${cfg.devices})`);
      await phase('deviceList', () => deviceListLatency(collector.url, cfg.devices, 30));
    }

    if (!cfg.skip.has('footprint')) {
      // Side by side in one run: probes in a short-lived child (the default) and in one process.
      // One enrolled device for both (a second enrollment from this machine waits for approval).
      // Idle = 30 s after the start-up cycle was reported: V8's memory reducer has run by then.
      const enrolled = await phase('agentEnroll', async () => enrollBenchAgent(collector.url));
      if (enrolled) {
        try {
          await phase('agent', () => agentFootprint(collector.url, enrolled, 30));
          await phase('agentOneProcess', () => agentFootprint(collector.url, enrolled, 30, { POSTURE_CYCLE_IN_PROCESS: '1' }));
        } finally {
          enrolled.remove();
        }
      }
      await phase('agentChildCycle', async () => childCycleCost(3));
    }
  } finally {
    for (const f of fleets) await f.stop().catch(() => {});
    await collector.stop();
    await db.end();
    if (!process.env.BENCH_KEEP_DB) await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => {});
    await admin.end();
  }
  // The machine is shared: record its load so figures from different runs are not compared blindly.
  results.machine = { cpus: cpus().length, loadavgAtEnd: loadavg().map((x) => round(x, 2)) };
  results.targets = targets(results);
  console.log(`\n=== Targets (issue 17) ===\n${renderTargets(results.targets as ReturnType<typeof targets>)}`);
  const dir = join(ROOT, 'test-artifacts');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `bench-${Date.now()}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2));
  console.log(`\n=== Posture benchmark ===\n${JSON.stringify(results, null, 2)}\n(saved to ${file})`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error('bench failed:', e);
    process.exit(1);
  },
);
