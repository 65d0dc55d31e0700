/**
 * Acceptance QA: `posture-agent status` after the agent restarts while the collector is down must
 * still say when reports were last delivered, not "never" (status.json used to be rebuilt from zero).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENROLL_SECRET, startTestCollector, type TestCollector } from '../helpers/collector.js';
import { tempDir } from '../helpers/db.js';
import { enrollAgent, runAgentCli, startAgentProcess, waitFor } from '../helpers/agent.js';

describe('agent restart keeps the last delivery time', () => {
  let c: TestCollector;
  const dir = tempDir('qa-agent-');
  const status = () => {
    try {
      return JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8'));
    } catch {
      return null;
    }
  };
  beforeAll(async () => {
    c = await startTestCollector('pglite');
    await enrollAgent(c.url, ENROLL_SECRET, dir);
  }, 90_000);
  afterAll(async () => {
    await c?.cleanup();
  });

  it('status shows the previous delivery after a restart with the collector down', async () => {
    const a = startAgentProcess(['run', '--state-dir', dir]);
    const first = await waitFor(async () => status()?.lastAckAt as string | undefined, 60_000);
    await a.stop();
    await c.close();
    const b = startAgentProcess(['run', '--state-dir', dir]);
    try {
      // Wait for the restarted agent's own first cycle (a new lastCycleAt) to be written.
      const before = status().lastCycleAt;
      await waitFor(async () => status()?.lastCycleAt !== before && status()?.spool?.pending > 0, 60_000);
      expect(status().lastAckAt).toBe(first);
      const cli = await runAgentCli(['status', '--state-dir', dir]);
      expect(cli.stdout).not.toMatch(/last delivered never/);
    } finally {
      await b.stop();
    }
  }, 150_000);
});
