/**
 * The collector under test as its own OS process (as production runs it), so its RSS and
 * CPU are its own and it can be killed and restarted for the reconnect storm.
 */
import pg from 'pg';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const BENCH_ADMIN_TOKEN = 'pst_adm_bench-admin-token-0123456789';
export const BENCH_ENROLL_SECRET = 'pst_enr_bench-enroll-secret-0123456789';

export interface CollectorProc {
  url: string;
  child: ChildProcess;
  pid: number;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Built collector when present (dist/server/main.js), else the TypeScript source via tsx. */
export function collectorEntry(): string[] {
  const built = join(ROOT, 'dist', 'server', 'main.js');
  if (process.env.BENCH_COLLECTOR !== 'src' && existsSync(built)) return [built];
  return ['--import', 'tsx', join(ROOT, 'server', 'src', 'main.ts')];
}

export async function startCollectorProc(env: Record<string, string>, nodeFlags: string[] = []): Promise<CollectorProc> {
  const child = spawn(process.execPath, [...nodeFlags, ...collectorEntry(), '--no-local-agent'], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', POSTURE_ADMIN_TOKEN: BENCH_ADMIN_TOKEN, POSTURE_ENROLL_SECRET: BENCH_ENROLL_SECRET, POSTURE_ENROLL_RATE_PER_MIN: '10000000' /* thousands of simulated devices from one address */, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const url = await new Promise<string>((res, rej) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (\S+)/.exec(out);
      if (m) res(m[1]);
    });
    child.stderr!.on('data', (d) => (out = (out + d).slice(-20_000)));
    child.on('exit', (c) => rej(new Error(`collector exited (${c}): ${out.slice(-2000)}`)));
  });
  // Keep draining its output so a chatty log never blocks it.
  child.stdout!.resume();
  // A collector that dies mid-benchmark (e.g. out of heap under --max-old-space-size) says why.
  let stopping = false;
  child.on('exit', (c, sig) => {
    if (!stopping) process.stderr.write(`\ncollector exited unexpectedly (code ${c}, signal ${sig}); its last output:\n${out.slice(-3000)}\n`);
  });
  return {
    url,
    child,
    pid: child.pid!,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode) return;
      stopping = true;
      const done = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await done;
    },
  };
}

/** Resident set size of a process in MiB (Linux /proc). */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** User+system CPU seconds of a process and of its waited-for children (/proc/<pid>/stat). */
export function cpuSeconds(pid: number): { self: number; children: number } {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return { self: (Number(f[11]) + Number(f[12])) / 100, children: (Number(f[13]) + Number(f[14])) / 100 };
}

export async function api<T = any>(base: string, path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(base + path, {
    ...init,
    headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}`, ...(init.body ? { 'content-type': 'application/json' } : {}), ...(init.headers as object) },
  });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* text */
  }
  return { status: res.status, body };
}

/** Sorted-sample percentile. */
export function pct(samples: number[], p: number): number {
  if (!samples.length) return NaN;
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A fresh database on the PostgreSQL server at `base` (a DATABASE_URL), for one benchmark:
 * `url` points at it, `drop()` removes it (forcing other sessions off; never throws).
 */
export async function scratchDatabase(base: string, label: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `posture_bench_${label}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(base);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: base });
      await c.connect().catch(() => {});
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
      await c.end().catch(() => {});
    },
  };
}
