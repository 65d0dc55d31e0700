/**
 * npm run bench:rollout [-- --agents 2000 --check 30 --staged 10 --artefact-kib 512
 *                           --artefacts DIR --source-ips 127.0.0.2-127.0.0.250 --per-device-push]
 *
 * Time from a release to 95 % of a simulated fleet running it, through a real collector
 * process (real PostgreSQL, real TUF repository served at /updates/), at a staged percentage
 * and then widened to 100 %; then a second release pushed with one fleet-wide update-now.
 * Simulated agents (scripts/simulate/updater.ts) make the real client's requests, choose with
 * the agent's own code and verify each download's length and SHA-256; they do not verify
 * metadata signatures or swap a real binary (they reconnect and report the new version).
 * The check interval is compressed (--check seconds; real agents check every 6 h by default,
 * jittered 0.75-1.25): the staged figures are in check intervals as well as in seconds.
 *
 * Also prints the update download per device (metadata + target) and, with --artefacts (a
 * `npm run build:agent` output directory), the real artefact size per target.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inRollout } from '#shared/policy/updates.js';
import { Fleet } from '../simulate/fleet.js';
import { parseIps } from '../simulate/main.js';
import { pool } from '../simulate/worker.js';
import { addRelease, initRepo, refreshTimestamp } from '../../server/src/updates/repo.js';
import { loadOrCreateSigningKey } from '../../server/src/updates/tuf-keys.js';
import { BENCH_ENROLL_SECRET, ROOT, api, cpuSeconds, round, scratchDatabase, sleep, startCollectorProc } from './collector-proc.js';

function opt(name: string, def: string): string {
  const k = process.argv.indexOf(`--${name}`);
  if (k >= 0 && process.argv[k + 1] !== undefined) return process.argv[k + 1];
  return process.env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`] ?? def;
}
const cfg = {
  agents: Number(opt('agents', '2000')),
  checkSec: Number(opt('check', '30')),
  staged: Number(opt('staged', '10')),
  artefactKiB: Number(opt('artefact-kib', '512')),
  artefacts: opt('artefacts', ''),
  // Real laptops each have their own address; the collector caps unauthenticated requests per source.
  sourceIps: parseIps(opt('source-ips', '127.0.0.2-127.0.0.250')),
  pgUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
};
const TARGETS = ['linux-x64', 'win-x64', 'darwin-arm64'];
const log = (s: string) => console.log(`[rollout ${new Date().toISOString().slice(11, 19)}] ${s}`);

/** Real artefact sizes from a build:agent output dir (<dir>/<target>/manifest.json). */
function artefactSizes(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  if (!dir || !existsSync(dir)) return out;
  for (const t of readdirSync(dir)) {
    const mf = join(dir, t, 'manifest.json');
    if (!existsSync(mf)) continue;
    const m = JSON.parse(readFileSync(mf, 'utf8')) as { target: string; file: string };
    out[m.target] = statSync(join(dir, t, m.file)).size;
  }
  return out;
}

async function main(): Promise<void> {
  process.env.BENCH_COLLECTOR ??= existsSync(join(ROOT, 'dist', 'server', 'main.js')) ? '' : 'src';
  const work = mkdtempSync(join(tmpdir(), 'posture-bench-rollout-'));
  const db = await scratchDatabase(cfg.pgUrl, 'rollout');
  const repo = join(work, 'repo');
  const keys = Object.fromEntries(['root', 'targets', 'snapshot', 'timestamp'].map((r) => [r, loadOrCreateSigningKey(join(work, 'keys', `${r}.pem`)).key])) as Record<'root' | 'targets' | 'snapshot' | 'timestamp', ReturnType<typeof loadOrCreateSigningKey>['key']>;
  initRepo(repo, keys);
  mkdirSync(join(work, 'art'));
  const release = (version: string) => {
    const artefacts = TARGETS.map((target) => {
      const file = join(work, 'art', `${target}-${version}`);
      writeFileSync(file, randomBytes(cfg.artefactKiB * 1024));
      return { target, file };
    });
    addRelease(repo, keys, { version, channel: 'stable', artefacts });
    refreshTimestamp(repo, keys.timestamp, { force: true });
  };
  const c = await startCollectorProc({ DATABASE_URL: db.url, PORT: '0', HOST: '127.0.0.1', POSTURE_JOB_INTERVAL_MS: '30000', POSTURE_UPDATES_DIR: repo, POSTURE_UPDATES_TIMESTAMP_KEY: join(work, 'keys', 'timestamp.pem') });
  const q = new pg.Pool({ connectionString: db.url, max: 2 });
  const results: Record<string, unknown> = { startedAt: new Date().toISOString(), loadavgAtStart: loadavg().map((x) => round(x, 2)), config: cfg };
  let fleet: Fleet | null = null;
  try {
    const setPercentage = async (percentage: number) => {
      const p = (await api(c.url, '/api/v1/policy')).body.policy;
      const r = await api(c.url, '/api/v1/policy', { method: 'PUT', body: JSON.stringify({ ...p, updates: { ...(p.updates ?? {}), percentage } }) });
      if (r.status !== 200) throw new Error(`policy: ${r.status} ${JSON.stringify(r.body)}`);
    };
    await setPercentage(cfg.staged);
    fleet = await Fleet.start({ server: c.url, secret: BENCH_ENROLL_SECRET, agents: cfg.agents, intervalSec: 600, processes: 1, sourceIps: cfg.sourceIps, updateCheckSec: cfg.checkSec, enrollConcurrency: 10 });
    await fleet.until(() => fleet!.enrolled && fleet!.ramped, 600_000, 'enrolment and connections');
    const onVersion = async (v: string) => Number((await q.query('SELECT count(*) AS n FROM devices WHERE agent_version = $1', [v])).rows[0].n);
    const cohortIds = new Set(fleet.deviceIds.filter((id) => inRollout(id, cfg.staged)));
    const updatedIn = async (v: string) => (await q.query<{ id: string }>('SELECT id FROM devices WHERE agent_version = $1', [v])).rows.map((r) => r.id);
    while ((await onVersion('0.1.0-sim')) < cfg.agents) await sleep(500);
    log(`${cfg.agents} agents connected and reported 0.1.0-sim; cohort at ${cfg.staged} %: ${cohortIds.size}`);
    // Scheduled checks before the release fetch the metadata once; from here on only changes count.
    await sleep(cfg.checkSec * 1250);

    // Phase 1: staged release.
    const cpu0 = cpuSeconds(c.pid);
    const before = fleet.stats;
    const t0 = Date.now();
    release('1.1.0');
    log('released 1.1.0');
    let tCohort95: number | null = null;
    for (;;) {
      const ids = await updatedIn('1.1.0');
      const inCohort = ids.filter((id) => cohortIds.has(id)).length;
      if (inCohort >= Math.ceil(0.95 * cohortIds.size)) {
        tCohort95 = (Date.now() - t0) / 1000;
        break;
      }
      if (Date.now() - t0 > cfg.checkSec * 4000) break;
      await sleep(250);
    }
    // Let the cohort's stragglers and any wrongly chosen device show before counting outsiders.
    await sleep(cfg.checkSec * 1250);
    const afterStaged = await updatedIn('1.1.0');
    const outside = afterStaged.filter((id) => !cohortIds.has(id)).length;
    log(`staged: 95 % of the ${cohortIds.size}-device cohort in ${tCohort95}s; ${afterStaged.length} updated, ${outside} outside the cohort`);

    // Phase 2: widen to 100 %.
    const tW = Date.now();
    await setPercentage(100);
    let tAll95: number | null = null;
    for (;;) {
      if ((await onVersion('1.1.0')) >= Math.ceil(0.95 * cfg.agents)) {
        tAll95 = (Date.now() - tW) / 1000;
        break;
      }
      if (Date.now() - tW > cfg.checkSec * 4000) break;
      await sleep(250);
    }
    const staged = fleet.stats;
    const cpu1 = cpuSeconds(c.pid);
    log(`widened: 95 % of ${cfg.agents} in ${tAll95}s after widening (${round((tW - t0) / 1000 + (tAll95 ?? NaN))}s after the release)`);

    // Phase 3: a second release pushed with update-now to every device.
    while ((await onVersion('1.1.0')) < cfg.agents && Date.now() - tW < cfg.checkSec * 6000) await sleep(500);
    const t3 = Date.now();
    release('1.2.0');
    // One call for the fleet (POST /api/v1/updates/update-now); --per-device-push measures the
    // per-device API instead (one call and one audit append per device, 20 in flight).
    if (process.argv.includes('--per-device-push')) await pool([...fleet.deviceIds], 20, async (id) => void (await api(c.url, `/api/v1/devices/${id}/update-now`, { method: 'POST' })));
    else {
      const r = await api(c.url, '/api/v1/updates/update-now', { method: 'POST', body: JSON.stringify({ reason: 'bench: push 1.2.0' }) });
      if (r.status !== 202) throw new Error(`update-now: ${r.status} ${JSON.stringify(r.body)}`);
    }
    const tSent = (Date.now() - t3) / 1000;
    let tPush95: number | null = null;
    for (;;) {
      if ((await onVersion('1.2.0')) >= Math.ceil(0.95 * cfg.agents)) {
        tPush95 = (Date.now() - t3) / 1000;
        break;
      }
      if (Date.now() - t3 > 300_000) break;
      await sleep(250);
    }
    const cpu2 = cpuSeconds(c.pid);
    const end = fleet.stats;
    const perUpdate = (end.updateBytes - before.updateBytes) / Math.max(1, end.updated - before.updated);
    results.staged = {
      percentage: cfg.staged, cohort: cohortIds.size, checkIntervalSec: cfg.checkSec,
      secondsTo95OfCohort: tCohort95, checkIntervalsTo95OfCohort: tCohort95 === null ? null : round(tCohort95 / cfg.checkSec, 2),
      updatedOutsideCohort: outside,
      secondsFromWidenTo95OfFleet: tAll95, secondsFromReleaseTo95OfFleet: tAll95 === null ? null : round((tW - t0) / 1000 + tAll95),
      collectorCpuSeconds: round(cpu1.self - cpu0.self, 2),
      updated: staged.updated - before.updated,
    };
    results.updateNow = { commandsSentSeconds: round(tSent, 2), secondsTo95OfFleet: tPush95, collectorCpuSeconds: round(cpu2.self - cpu1.self, 2) };
    results.download = { artefactKiB: cfg.artefactKiB, bytesPerUpdatedDevice: Math.round(perUpdate), metadataBytesPerUpdate: Math.round(perUpdate - cfg.artefactKiB * 1024), checks: end.updateChecks, errors: end.errors };
    results.artefactSizes = artefactSizes(cfg.artefacts);
  } finally {
    await fleet?.stop().catch(() => {});
    await c.stop();
    await q.end();
    await db.drop();
    rmSync(work, { recursive: true, force: true });
  }
  results.machine = { cpus: cpus().length, loadavgAtEnd: loadavg().map((x) => round(x, 2)) };
  const s = results.staged as Record<string, number | null>;
  const u = results.updateNow as Record<string, number | null>;
  // The agent's jitter puts every check within 1.25 intervals; a phase should not need more.
  const bound = 1.25 * cfg.checkSec + 5;
  const rows: [string, number | null, string, boolean][] = [
    [`staged ${cfg.staged} %: s to 95 % of cohort`, s.secondsTo95OfCohort, `≤ ${bound} (1.25 check intervals + 5 s)`, s.secondsTo95OfCohort !== null && s.secondsTo95OfCohort <= bound],
    ['devices outside the cohort updated', s.updatedOutsideCohort, '0', s.updatedOutsideCohort === 0],
    ['widened to 100 %: s to 95 % of fleet', s.secondsFromWidenTo95OfFleet, `≤ ${bound}`, s.secondsFromWidenTo95OfFleet !== null && s.secondsFromWidenTo95OfFleet <= bound],
    ['update-now to all: s to 95 % of fleet', u.secondsTo95OfFleet, '≤ 60', u.secondsTo95OfFleet !== null && u.secondsTo95OfFleet <= 60],
  ];
  console.log(`\n=== Rollout (${cfg.agents} simulated agents, check every ${cfg.checkSec}s) ===`);
  for (const [f, v, t, ok] of rows) console.log(`${f.padEnd(42)} ${String(v).padStart(8)}  target ${t.padEnd(36)} ${v === null ? 'not measured' : ok ? 'met' : 'missed'}`);
  const dir = join(ROOT, 'test-artifacts');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `bench-rollout-${Date.now()}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2));
  console.log(`\n${JSON.stringify(results, null, 2)}\n(saved to ${file})`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error('bench:rollout:', e);
    process.exit(1);
  },
);
