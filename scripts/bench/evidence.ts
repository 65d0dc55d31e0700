/**
 * Evidence export benchmark on real PostgreSQL (DATABASE_URL):
 *   npx tsx scripts/bench/evidence.ts [--devices 20000] [--days 90] [--reports 3] [--failures 1] [--collector-heap-mb 96] [--keep-bundle]
 * Seeds a fresh database with N devices, each with its own Ed25519 key, `reports` device-signed
 * reports and `failures` fail→fix episodes (plus the initial pass events), then exports the
 * period through the HTTP API of a collector running as its own process, sampling that
 * process's RSS, and verifies the bundle offline. Prints the figures for docs/benchmarks.md.
 * --collector-heap-mb caps the collector's V8 old space: an export that completes under a small
 * cap shows memory is bounded (RSS alone includes garbage V8 has not yet collected).
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { seedDevices, type SeedDevice } from '../../test/evidence/seed.js';
import { unpackTarGz } from '../evidence/unpack.js';
import { spawn } from 'node:child_process';
import { BENCH_ADMIN_TOKEN, startCollectorProc, scratchDatabase } from './collector-proc.js';

const { values: a } = parseArgs({ options: { devices: { type: 'string', default: '20000' }, days: { type: 'string', default: '90' }, reports: { type: 'string', default: '3' }, failures: { type: 'string', default: '1' }, 'collector-heap-mb': { type: 'string' }, 'keep-bundle': { type: 'boolean' } } });
const N = Number(a.devices);
const DAYS = Number(a.days);
const REPORTS = Number(a.reports);
const FAILURES = Number(a.failures);
const H = 3_600_000;
const DAY = 24 * H;

const rssKb = (pid: number, field: 'VmRSS' | 'VmHWM') => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;

/** Run scripts/evidence/verify.ts on `dir` as a child process; its exit code, report count and peak RSS. */
async function verifyProc(dir: string): Promise<{ code: number; reports: number; tail: string; peakKb: number; hwmKb: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', 'evidence', 'verify.ts'), dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout.on('data', (c: Buffer) => (text += c.toString()));
  child.stderr.on('data', (c: Buffer) => (text += c.toString()));
  let peakKb = 0;
  let hwmKb = 0;
  const sample = () => {
    try {
      peakKb = Math.max(peakKb, rssKb(child.pid!, 'VmRSS'));
      hwmKb = Math.max(hwmKb, rssKb(child.pid!, 'VmHWM'));
    } catch {
      // exited between samples
    }
  };
  const timer = setInterval(sample, 50);
  const code = await new Promise<number>((res) => child.on('exit', (c) => res(c ?? 1)));
  clearInterval(timer);
  const reports = Number(/checked:\s+\d+ files, (\d+) device-signed reports/.exec(text)?.[1] ?? 0);
  return { code, reports, tail: text.split('\n').filter(Boolean).slice(-4).join(' | '), peakKb, hwmKb };
}

async function main() {
  const base = process.env.DATABASE_URL;
  if (!base) throw new Error('DATABASE_URL must point at a PostgreSQL server (a fresh database is created on it)');
  const db = await scratchDatabase(base, 'evidence');
  const dataDir = await mkdtemp(join(tmpdir(), 'posture-bench-ev-'));
  // Measure the source in this tree unless told otherwise: a dist/ build may predate it.
  process.env.BENCH_COLLECTOR ??= 'src';
  const collector = await startCollectorProc({ DATABASE_URL: db.url, PORT: '0', HOST: '127.0.0.1', POSTURE_DATA_DIR: dataDir }, a['collector-heap-mb'] ? [`--max-old-space-size=${a['collector-heap-mb']}`] : []);
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  pool.on('error', () => {}); // an idle client dropped by the server is replaced on next use
  try {
    const to = new Date(Math.floor(Date.now() / H) * H - DAY);
    const from = new Date(to.getTime() - DAYS * DAY);
    const t0 = Date.now();
    let reports = 0;
    const CHUNK = 1000;
    for (let start = 0; start < N; start += CHUNK) {
      const batch: SeedDevice[] = [];
      for (let i = start; i < Math.min(N, start + CHUNK); i++) {
        // 10% enrol during the period; the rest before it.
        const enrolledAt = i % 10 === 0 ? new Date(from.getTime() + ((i * 7919) % DAYS) * DAY) : new Date(from.getTime() - 30 * DAY);
        const span = to.getTime() - enrolledAt.getTime();
        const reportTimes = Array.from({ length: REPORTS }, (_, k) => new Date(enrolledAt.getTime() + Math.floor(((k + 0.5) * span) / REPORTS)));
        const events = Array.from({ length: FAILURES }, (_, k) => {
          const at = enrolledAt.getTime() + Math.floor(((k + 0.3) * span) / (FAILURES + 1));
          return [{ checkId: 'patch_level', to: 'failing', at: new Date(at) }, { checkId: 'patch_level', to: 'pass', at: new Date(at + ((i % 5) + 1) * DAY) }];
        }).flat();
        batch.push({ id: `dev_bench_${i.toString().padStart(6, '0')}`, hostname: `host-${i}.corp.example`, owner: `user${i % 997}@corp.example`, enrolledAt, reportTimes, events });
      }
      reports += (await seedDevices(pool, batch)).reports;
      process.stderr.write(`\rseeded ${Math.min(N, start + CHUNK)}/${N} devices`);
    }
    const ev = await pool.query<{ n: string }>('SELECT count(*) AS n FROM state_events');
    process.stderr.write(`\n`);
    const seedSec = (Date.now() - t0) / 1000;
    await pool.query('ANALYZE');

    const out = await mkdtemp(join(tmpdir(), 'posture-bench-bundle-'));
    const rssBefore = rssKb(collector.pid, 'VmRSS');
    let peak = rssBefore;
    // A collector that died mid-export must not crash the benchmark before its cleanup (finally) runs.
    const sampler = setInterval(() => {
      try {
        peak = Math.max(peak, rssKb(collector.pid, 'VmRSS'));
      } catch {
        // gone: the export request fails next and is reported
      }
    }, 50);
    const t1 = Date.now();
    let firstByte = 0;
    let bytes = 0;
    const res = await fetch(`${collector.url}/api/v1/evidence?from=${from.toISOString()}&to=${to.toISOString()}`, { headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}` } });
    if (!res.ok) throw new Error(`export failed: ${res.status} ${await res.text()}`);
    const body = Readable.fromWeb(res.body as never);
    body.on('data', (c: Buffer) => {
      if (!firstByte) firstByte = Date.now();
      bytes += c.length;
    });
    await unpackTarGz(body, out);
    const exportSec = (Date.now() - t1) / 1000;
    clearInterval(sampler);
    const hwm = rssKb(collector.pid, 'VmHWM');

    const logged = await pool.query<{ detail: { ms: number; phases: Record<string, number> } }>(`SELECT detail FROM audit_log WHERE action = 'evidence.export' ORDER BY id DESC LIMIT 1`);
    const phases = Object.entries(logged.rows[0]?.detail.phases ?? {}).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`).join(', ');
    const t2 = Date.now();
    // Verify as its own process (the way an auditor runs it), sampling its RSS: an in-process
    // verify would share the benchmark's heap and hide the verifier's own memory.
    const vp = await verifyProc(out);
    const verifySec = (Date.now() - t2) / 1000;
    const v = { ok: vp.code === 0, problems: vp.code === 0 ? [] : [vp.tail], reportsChecked: vp.reports };
    const sizes = await Promise.all((await readdir(out)).map(async (f) => `${f} ${((await stat(join(out, f))).size / 1e6).toFixed(1)} MB`));
    const lines = [
      `evidence export benchmark (PostgreSQL, collector as its own process)`,
      `collector heap:   ${a['collector-heap-mb'] ? `capped at ${a['collector-heap-mb']} MB old space` : 'node default'}`,
      `fleet:            ${N} devices, ${DAYS}-day period, ${reports} device-signed reports, ${ev.rows[0].n} state events (seeded in ${seedSec.toFixed(0)} s)`,
      `export:           ${exportSec.toFixed(1)} s total, first byte after ${((firstByte - t1) / 1000).toFixed(1)} s, ${(bytes / 1e6).toFixed(1)} MB .tar.gz`,
      `build phases:     ${phases} (server side, before the first byte)`,
      `collector RSS:    ${mb(rssBefore)} before, ${mb(peak)} peak during export (sampled every 50 ms; VmHWM since start ${mb(hwm)})`,
      `offline verify:   ${verifySec.toFixed(1)} s, ${v.ok ? 'VERIFIED' : `FAILED ${JSON.stringify(v.problems.slice(0, 3))}`} (${v.reportsChecked} report signatures)`,
      `verifier RSS:     ${mb(vp.peakKb)} peak (its own process, sampled every 50 ms; VmHWM ${mb(vp.hwmKb)})`,
      `files:            ${sizes.join(', ')}`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
    // --keep-bundle: leave the unpacked bundle for profiling the verifier on it (the path is printed).
    if (a['keep-bundle']) process.stdout.write(`bundle kept:      ${out}\n`);
    else await rm(out, { recursive: true, force: true });
  } finally {
    await pool.end();
    await collector.stop();
    await rm(dataDir, { recursive: true, force: true });
    await db.drop();
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
