/**
 * Start a real collector for a test: in-process (fast, for API/socket tests) or as a child
 * process (for kill -9 and restart tests), on an ephemeral port, with PGlite in a temp dir or
 * a fresh PostgreSQL database.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { loadConfig, type CollectorConfig } from '../../server/src/config/env.js';
import { startCollector, type RunningCollector } from '../../server/src/collector.js';
import { freshPgDatabase, tempDir } from './db.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const ADMIN_TOKEN = 'pst_adm_test-admin-token-0123456789';
export const ENROLL_SECRET = 'pst_enr_test-enroll-secret-0123456789';

export interface TestCollector extends RunningCollector {
  dataDir: string;
  databaseUrl?: string;
  api<T = any>(path: string, init?: RequestInit & { token?: string | null }): Promise<{ status: number; body: T }>;
  cleanup(): Promise<void>;
}

/** In-process test collectors by URL, so helpers that only know the URL can wait for projection. */
const running = new Map<string, RunningCollector>();

/**
 * Wait until the in-process collector at `server` has applied every stored report (the ack
 * means "stored"; state is derived by the projector right after). No-op for child processes.
 */
export async function projected(server: string): Promise<void> {
  await running.get(server)?.projector.catchUp();
}

export async function startTestCollector(backend: 'pglite' | 'pg', env: Record<string, string> = {}): Promise<TestCollector> {
  const dataDir = tempDir('posture-collector-');
  const db = backend === 'pg' ? await freshPgDatabase('c') : null;
  const config: CollectorConfig = {
    ...loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      POSTURE_DATA_DIR: dataDir,
      POSTURE_ADMIN_TOKEN: ADMIN_TOKEN,
      POSTURE_ENROLL_SECRET: ENROLL_SECRET,
      POSTURE_JOB_INTERVAL_MS: '1000',
      LOG_LEVEL: 'warn',
      // Fleet tests enroll hundreds of devices from 127.0.0.1; the throttle has its own tests.
      POSTURE_ENROLL_RATE_PER_MIN: '1000000',
      ...(db ? { DATABASE_URL: db.url } : {}),
      ...env,
    }),
  };
  let c: RunningCollector;
  try {
    c = await startCollector(config, { logger: false });
  } catch (e) {
    // A collector that fails to start (the case some tests provoke) must not leave its database behind.
    await db?.drop().catch(() => {});
    throw e;
  }
  const tc = c as TestCollector;
  running.set(c.url, c);
  tc.dataDir = dataDir;
  tc.databaseUrl = db?.url;
  tc.api = async (path, init = {}) => {
    const token = init.token === undefined ? ADMIN_TOKEN : init.token;
    const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
    if (token) headers.authorization = `Bearer ${token}`;
    if (init.body && !headers['content-type']) headers['content-type'] = 'application/json';
    const res = await fetch(c.url + path, { ...init, headers });
    const text = await res.text();
    let body: any = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, body };
  };
  tc.cleanup = async () => {
    running.delete(c.url);
    try {
      await c.close().catch(() => {});
    } finally {
      await db?.drop();
    }
  };
  return tc;
}

/** A collector as a separate OS process (for SIGKILL/restart tests). */
export function spawnCollectorProcess(env: Record<string, string>): { child: ChildProcess; ready: Promise<string>; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'server', 'src', 'main.ts'), '--no-local-agent'], {
    cwd: ROOT,
    // DATABASE_URL from the test runner's environment must not leak into a PGlite collector.
    env: { ...process.env, DATABASE_URL: '', LOG_LEVEL: 'warn', POSTURE_ADMIN_TOKEN: ADMIN_TOKEN, POSTURE_ENROLL_SECRET: ENROLL_SECRET, POSTURE_ENROLL_RATE_PER_MIN: '1000000', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const ready = new Promise<string>((res, rej) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) res(m[1]);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d) => (out += d.toString()));
    child.on('exit', (code) => rej(new Error(`collector exited early (${code}): ${out.slice(-2000)}`)));
  });
  // A test that expects the process to fail never awaits `ready`; its rejection is not an error.
  ready.catch(() => {});
  return { child, ready, output: () => out };
}
