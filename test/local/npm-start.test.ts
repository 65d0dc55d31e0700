/**
 * Issue 18 #1: `npm run agent -- status` after `npm start` finds the local agent `npm start`
 * runs (state in $POSTURE_DATA_DIR/local-agent, channel next to it), with no --state-dir.
 * Real npm, real collector and agent processes.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, ROOT } from '../helpers/collector.js';
import { tempDir } from '../helpers/db.js';
import { waitFor } from '../helpers/agent.js';

describe('npm start, then npm run agent -- status', () => {
  const dataDir = tempDir('posture-npm-data-');
  const env = { ...process.env, DATABASE_URL: '', POSTURE_AGENT_DIR: '', PORT: '0', HOST: '127.0.0.1', POSTURE_DATA_DIR: dataDir, POSTURE_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'warn' };
  // Its own process group, so the collector and its agent child are stopped together, by this id.
  const start = spawn('npm', ['start'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  start.stdout!.on('data', (d) => (out += d));
  start.stderr!.on('data', (d) => (out += d));

  afterAll(async () => {
    if (start.exitCode === null && start.pid) {
      process.kill(-start.pid, 'SIGTERM');
      await new Promise((r) => start.once('exit', r));
      // npm exits first; the collector and agent finish their graceful stop after it.
      const gone = () => {
        try {
          process.kill(-start.pid!, 0);
          return false;
        } catch {
          return true;
        }
      };
      await waitFor(async () => gone(), 30_000).catch(() => process.kill(-start.pid!, 'SIGKILL'));
    }
  });

  it('finds the local agent without --state-dir and shows its device', async () => {
    await waitFor(async () => existsSync(join(dataDir, 'local-agent.sock')) && /local channel on/.test(out), 150_000, 500);
    const r = await waitFor(async () => {
      const x = spawnSync('npm', ['run', '--silent', 'agent', '--', 'status', '--json'], { cwd: ROOT, env, encoding: 'utf8', timeout: 90_000 });
      const j = x.stdout.trim().startsWith('{') ? JSON.parse(x.stdout) : null;
      return j?.lastCycleAt ? { ...x, j } : null;
    }, 90_000, 2000);
    expect(r.j.deviceId).toMatch(/^dev_/);
    expect(r.j.state).not.toBe('not_enrolled');
    expect([0, 5, 6, 7]).toContain(r.status);
    expect(r.j.checks.length).toBeGreaterThan(0);
    // Answered by the agent over its channel (its log line travels through npm's pipes: wait for it).
    await waitFor(async () => /local channel: status for uid \d+/.test(out), 20_000);
  }, 300_000);
});
