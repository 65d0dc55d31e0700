/**
 * The collector built with npm run build:server runs as `node dist/server/main.js` from a
 * directory outside the repository (bundle + copied migrations + PGlite only), applies its
 * migrations and serves health and the agent API. It runs with the report verification pool on
 * (POSTURE_VERIFY_WORKERS=1), so the worker file shipped beside main.js is exercised by a real
 * signed report acked over a real socket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENROLL_SECRET, ROOT } from '../helpers/collector.js';
import { connectDevice, enrollDevice, nextMessage, signedReport } from '../helpers/device.js';
import { freshPgDatabase, PG_URL } from '../helpers/db.js';
import { waitFor } from '../helpers/agent.js';

describe('collector bundle (dist/server)', () => {
  let dir: string;
  let child: ChildProcess;
  let url: string;
  let out = '';
  let db: Awaited<ReturnType<typeof freshPgDatabase>> | null = null;

  beforeAll(async () => {
    execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'build', 'server.ts')], { cwd: ROOT, stdio: 'pipe', timeout: 120_000 });
    dir = mkdtempSync(join(tmpdir(), 'posture-dist-'));
    cpSync(join(ROOT, 'dist', 'server'), join(dir, 'server'), { recursive: true });
    if (!PG_URL) console.warn('[posture tests] DATABASE_URL not set: bundle test uses the embedded store only.');
    db = PG_URL ? await freshPgDatabase('dist') : null;
    child = spawn(process.execPath, [join(dir, 'server', 'main.js'), '--no-local-agent'], {
      cwd: dir,
      env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', POSTURE_DATA_DIR: join(dir, 'data'), POSTURE_ENROLL_SECRET: ENROLL_SECRET, POSTURE_VERIFY_WORKERS: '1', ...(db ? { DATABASE_URL: db.url } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    url = await waitFor(async () => /listening on (\S+)/.exec(out)?.[1], 120_000, 200);
  }, 240_000);

  afterAll(async () => {
    child?.kill('SIGTERM');
    await new Promise((r) => (child?.exitCode !== null ? r(null) : child.once('exit', r)));
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('starts, applies migrations and answers /healthz and /agent/v1/info', async () => {
    const h = await (await fetch(`${url}/healthz`)).json();
    expect(h).toMatchObject({ status: 'ok', db: 'ok' });
    const info = await (await fetch(`${url}/agent/v1/info`)).json();
    expect(info.collectorId).toEqual(expect.any(String));
  });

  it('verifies a report in the bundled verify worker and acks it', async () => {
    const d = await enrollDevice(url);
    const s = await connectDevice(d);
    await nextMessage(s.messages, (m) => m.type === 'welcome');
    const r = await signedReport(d);
    s.ws.send(JSON.stringify({ type: 'report', id: r.id, jws: r.jws }));
    const m = await nextMessage(s.messages, (x) => x.id === r.id);
    expect(m.type).toBe('ack');
    s.ws.close();
    expect(out).not.toContain('verify worker lost');
  });

  it('logs JSON lines (pino) for the operator', () => {
    const jsonLines = out.split('\n').filter((l) => l.startsWith('{'));
    expect(jsonLines.length).toBeGreaterThan(0);
    expect(() => jsonLines.map((l) => JSON.parse(l))).not.toThrow();
  });
});
