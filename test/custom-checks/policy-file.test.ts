/** The YAML example loads through POSTURE_POLICY_FILE too, and a bad edit keeps the policy in force with line-numbered errors. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startTestCollector, type TestCollector } from '../helpers/collector.js';
import { tempDir } from '../helpers/db.js';
import { DEFAULT_POLICY } from '../../shared/src/policy/default-policy.js';

describe('custom checks through the policy file (pglite)', () => {
  let c: TestCollector;
  const file = join(tempDir('posture-policy-'), 'policy.yaml');
  const example = readFileSync(join(__dirname, 'issue-example.yaml'), 'utf8');

  beforeAll(async () => {
    writeFileSync(file, stringify(DEFAULT_POLICY) + example);
    c = await startTestCollector('pglite', { POSTURE_POLICY_FILE: file });
  }, 180_000);
  afterAll(async () => c?.cleanup());

  it('loads the example and hands it to agents', async () => {
    expect(c.ctx.policy.policy.customChecks?.map((x) => x.id)).toEqual(['custom.ssh-no-password']);
    expect(c.ctx.policy.agentPolicy().customChecks?.[0]).toMatchObject({ id: 'custom.ssh-no-password', probes: { linux: { kind: 'file-content', missing: 'pass' } } });
  });

  it('an unknown probe kind in the file is refused with its line; the policy in force stays', async () => {
    const head = stringify(DEFAULT_POLICY);
    writeFileSync(file, head + example.replace('kind: file-content', 'kind: osquery'));
    const r = await c.api('/api/v1/policy/reload', { method: 'POST', body: '{}' });
    expect(r.status).toBe(400);
    const line = head.split('\n').length - 1 + 9; // line 9 of the example: the linux probe
    expect(r.body.error.errors[0]).toBe(`${file}:${line}: /customChecks/0/probes/linux/kind unknown probe kind "osquery" (known: file, file-content, config-key, registry, defaults, sysctl, gsettings, package, process, service, port)`);
    expect(c.ctx.policy.policy.customChecks?.[0].probes.linux?.kind).toBe('file-content');
  });
});
