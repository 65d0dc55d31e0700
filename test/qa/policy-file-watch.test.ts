/**
 * Acceptance QA: POSTURE_POLICY_FILE is "reloaded on change". Editors and config management replace
 * the file (write a temp file, rename it over; or delete and recreate); a watch on the old inode
 * went deaf after the first replacement, so only SIGHUP still worked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_POLICY } from '../../shared/src/policy/default-policy.js';
import { startTestCollector, type TestCollector } from '../helpers/collector.js';
import { tempDir } from '../helpers/db.js';
import { waitFor } from '../helpers/agent.js';

const withGrace = (h: number) => {
  const p = structuredClone(DEFAULT_POLICY) as any;
  for (const c of Object.values(p.checks) as any[]) c.graceHours = h;
  return JSON.stringify(p, null, 2);
};

describe('policy file reload on replacement', () => {
  let c: TestCollector;
  const dir = tempDir('qa-policy-');
  const file = join(dir, 'policy.json');
  const grace = async () => (await c.api('/api/v1/policy')).body.policy.checks.firewall.graceHours;
  beforeAll(async () => {
    writeFileSync(file, withGrace(10));
    c = await startTestCollector('pglite', { POSTURE_POLICY_FILE: file });
  }, 60_000);
  afterAll(async () => {
    await c?.cleanup();
  });

  it('picks up a file renamed over the old one, then one deleted and recreated', async () => {
    expect(await grace()).toBe(10);
    writeFileSync(join(dir, 'policy.json.tmp'), withGrace(20));
    renameSync(join(dir, 'policy.json.tmp'), file);
    await waitFor(async () => (await grace()) === 20, 10_000);
    writeFileSync(join(dir, 'policy.json.tmp'), withGrace(30));
    renameSync(join(dir, 'policy.json.tmp'), file);
    await waitFor(async () => (await grace()) === 30, 10_000);
    rmSync(file);
    await new Promise((r) => setTimeout(r, 500));
    writeFileSync(file, withGrace(40));
    await waitFor(async () => (await grace()) === 40, 10_000);
  }, 60_000);
});
