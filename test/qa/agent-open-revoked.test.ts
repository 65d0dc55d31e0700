/**
 * Acceptance QA: after an administrator revokes the device, `posture-agent open` must say so (exit 4,
 * as `status` does) instead of printing a link the collector will refuse with 403.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENROLL_SECRET, startTestCollector, type TestCollector } from '../helpers/collector.js';
import { tempDir } from '../helpers/db.js';
import { enrollAgent, runAgentCli, startAgentProcess, waitFor } from '../helpers/agent.js';

describe('posture-agent open on a revoked device', () => {
  let c: TestCollector;
  const dir = tempDir('qa-open-');
  beforeAll(async () => {
    c = await startTestCollector('pglite');
    await enrollAgent(c.url, ENROLL_SECRET, dir);
  }, 90_000);
  afterAll(async () => {
    await c?.cleanup();
  });

  it('exits 4 with an explanation and prints no link', async () => {
    const before = await runAgentCli(['open', '--print', '--state-dir', dir]);
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(/\/my-device\?t=/);
    const deviceId = JSON.parse(readFileSync(join(dir, 'agent.json'), 'utf8')).deviceId;
    const a = startAgentProcess(['run', '--state-dir', dir]);
    try {
      await waitFor(async () => (await c.api(`/api/v1/devices/${deviceId}`)).body.lastReportAt, 60_000);
      expect((await c.api(`/api/v1/devices/${deviceId}/revoke`, { method: 'POST', body: '{}' })).status).toBe(200);
      await waitFor(async () => JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')).revoked === true, 30_000);
    } finally {
      await a.stop();
    }
    const after = await runAgentCli(['open', '--print', '--state-dir', dir]);
    expect(after.code).toBe(4);
    expect(after.stdout).not.toMatch(/my-device\?t=/);
    expect(after.stderr).toMatch(/revoked/i);

    // Restored by an admin and re-enrolled: the old "revoked" status no longer applies.
    expect((await c.api(`/api/v1/devices/${deviceId}/restore`, { method: 'POST', body: '{}' })).status).toBe(200);
    expect((await runAgentCli(['enroll', '--server', c.url, '--secret', ENROLL_SECRET, '--state-dir', dir])).code).toBe(0);
    const status = await runAgentCli(['status', '--json', '--state-dir', dir]);
    expect(JSON.parse(status.stdout).state).not.toBe('revoked');
    const again = await runAgentCli(['open', '--print', '--state-dir', dir]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/\/my-device\?t=/);
  }, 120_000);
});
