/**
 * Acceptance QA: a first start with an invalid POSTURE_POLICY_FILE judged devices against the
 * built-in default without recording it, so the API said `version: null` and evidence listed no
 * policy in force. The default is now recorded as version 1, naming the file that failed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestCollector, type TestCollector } from '../helpers/collector.js';
import { tempDir } from '../helpers/db.js';

describe('first start with an invalid policy file', () => {
  let c: TestCollector;
  beforeAll(async () => {
    const file = join(tempDir('qa-badpolicy-'), 'policy.yaml');
    writeFileSync(file, 'checks: [\n');
    c = await startTestCollector('pglite', { POSTURE_POLICY_FILE: file });
  }, 60_000);
  afterAll(async () => {
    await c?.cleanup();
  });

  it('records the built-in default as a real version and says why', async () => {
    const cur = await c.api('/api/v1/policy');
    expect(cur.status).toBe(200);
    expect(cur.body.version).toBe(1);
    const hist = await c.api('/api/v1/policy/history');
    expect(hist.body.items).toHaveLength(1);
    expect(hist.body.items[0].comment).toMatch(/could not be loaded/);
  });
});
