/**
 * Acceptance QA: one running agent per state directory. A `npm start` collector killed with -9
 * leaves its local agent running; the restarted collector started a second one on the same state
 * dir (same key, spool and sequence), and the two kept replacing each other's connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENROLL_SECRET, startTestCollector, type TestCollector } from '../helpers/collector.js';
import { tempDir } from '../helpers/db.js';
import { enrollAgent, runAgentCli, startAgentProcess, waitFor } from '../helpers/agent.js';

describe('one agent per state directory', () => {
  let c: TestCollector;
  const dir = tempDir('qa-lock-');
  beforeAll(async () => {
    c = await startTestCollector('pglite');
    await enrollAgent(c.url, ENROLL_SECRET, dir);
  }, 90_000);
  afterAll(async () => {
    await c?.cleanup();
  });

  it('a second run on the same directory refuses to start; the lock goes with the first', async () => {
    const a = startAgentProcess(['run', '--state-dir', dir]);
    try {
      await waitFor(async () => existsSync(join(dir, 'status.json')) && a.output().includes('running'), 60_000);
      const second = await runAgentCli(['run', '--state-dir', dir], {}, 30_000);
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(new RegExp(`already running.*pid ${a.child.pid}`));
      expect(a.child.exitCode).toBeNull();
    } finally {
      await a.stop();
    }
    expect(existsSync(join(dir, 'agent.lock'))).toBe(false);
  }, 120_000);

  it('status after the agent was killed -9 says it is not running, not the last "connected"', async () => {
    const a = startAgentProcess(['run', '--state-dir', dir]);
    await waitFor(async () => {
      try {
        return JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')).connection === 'connected' && /running \S+; checks every/.test(a.output());
      } catch {
        return false;
      }
    }, 60_000);
    const live = await runAgentCli(['status', '--json', '--state-dir', dir]);
    expect(JSON.parse(live.stdout).connection).toBe('connected');
    a.child.kill('SIGKILL');
    await new Promise((r) => a.child.once('exit', r));
    const dead = await runAgentCli(['status', '--json', '--state-dir', dir]);
    expect(JSON.parse(dead.stdout).connection).toBe('agent not running');
  }, 120_000);

  it('a state directory where the lock cannot be written does not stop the agent', async () => {
    const { acquireRunLock } = await import('../../agent/src/state/lock.js');
    const missing = join(dir, 'no-such-subdir');
    expect(acquireRunLock(missing).ok).toBe(true);
    const fileNotDir = join(dir, 'agent.json'); // ENOTDIR: as unwritable as a read-only directory
    expect(acquireRunLock(fileNotDir).ok).toBe(true);
  });

  it('a stale lock (owner gone) is taken over', async () => {
    writeFileSync(join(dir, 'agent.lock'), JSON.stringify({ pid: 999_999_9, bootAt: 0 }));
    const b = startAgentProcess(['run', '--state-dir', dir]);
    try {
      await waitFor(async () => /running \S+; checks every/.test(b.output()), 60_000);
      expect(JSON.parse(readFileSync(join(dir, 'agent.lock'), 'utf8')).pid).toBe(b.child.pid);
    } finally {
      await b.stop();
    }
  }, 120_000);
});
