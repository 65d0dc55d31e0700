/**
 * A fresh clone works with the README's commands: `npm install && npm start` serves /healthz
 * (with the embedded store), and the test toolchain runs there. The full `npm test` on a clean
 * clone is what CI itself runs (.ci/run), so here a representative subset keeps this bounded.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/db.js';
import { ROOT } from '../helpers/collector.js';
import { waitFor } from '../helpers/agent.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const START = /^(npm install && npm start)\b/m.exec(readme)?.[1];
const TEST = /^(npm install && npm test)\b/m.exec(readme)?.[1];

describe('fresh clone', () => {
  const dir = join(tempDir('posture-clone-'), 'posture');
  let child: ChildProcess | null = null;
  afterAll(() => {
    if (child?.pid) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  });

  it('README names the two commands', () => {
    expect(START).toBe('npm install && npm start');
    expect(TEST).toBe('npm install && npm test');
  });

  it('`npm install && npm start` in a fresh clone serves /healthz', async () => {
    execFileSync('git', ['clone', '--quiet', ROOT, dir]);
    child = spawn('sh', ['-c', `${START} -- --no-local-agent`], {
      cwd: dir,
      env: { ...process.env, PORT: '0', DATABASE_URL: '', POSTURE_DATA_DIR: join(dir, 'data'), npm_config_audit: 'false', npm_config_fund: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    // Port 0 and the URL from *this* collector's listen line: a port picked beforehand can be
    // taken by another test's server under a parallel run, whose /healthz would answer instead.
    const health = await waitFor(async () => {
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (!url) return null;
      const r = await fetch(`${url}/healthz`);
      return r.ok ? r.json() : null;
    }, 240_000, 500).catch((e) => {
      throw new Error(`${(e as Error).message}\n${out.slice(-3000)}`);
    });
    expect(health.status).toBe('ok');
    expect(out).toMatch(/Admin token: pst_adm_/);
    expect(out).toMatch(/npm run agent -- enroll --server http:\/\/127\.0\.0\.1:\d+ --secret pst_enr_/);
  }, 300_000);

  it('the test toolchain runs in the clone (type-check and a unit subset)', () => {
    const out = execFileSync('sh', ['-c', 'npm run typecheck && npx vitest run shared/src agent/src/spool'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, DATABASE_URL: '', NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    // eslint-disable-next-line no-control-regex
    expect(out.replace(/\x1b\[[0-9;]*m/g, '')).toMatch(/Tests\s+\d+ passed/);
  }, 180_000);
});
