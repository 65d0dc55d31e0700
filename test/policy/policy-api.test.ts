/** Policy API: read, replace (JSON and YAML), line-numbered errors, history with who/when, file reload. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { DEFAULT_POLICY } from '../../shared/src/policy/default-policy.js';
import { startTestCollector, type TestCollector } from '../helpers/collector.js';
import { backends, tempDir } from '../helpers/db.js';

for (const backend of backends()) {
  describe(`policy API (${backend})`, () => {
    // Two collectors: one whose policy the API owns (edits), one whose policy a file owns.
    let c: TestCollector;
    let cf: TestCollector;
    const dir = tempDir('posture-policy-');
    const file = join(dir, 'policy.yaml');
    let helpdesk: string;

    beforeAll(async () => {
      writeFileSync(file, stringify({ ...DEFAULT_POLICY, name: 'from file' }));
      [c, cf] = await Promise.all([startTestCollector(backend), startTestCollector(backend, { POSTURE_POLICY_FILE: file })]);
      helpdesk = (await c.api('/api/v1/tokens', { method: 'POST', body: JSON.stringify({ role: 'helpdesk', label: 'hd', expiresInDays: 1 }) })).body.token;
    }, 90_000);
    afterAll(async () => Promise.all([c?.cleanup(), cf?.cleanup()]));

    it('every role can read the policy in force', async () => {
      const r = await c.api('/api/v1/policy', { token: helpdesk });
      expect(r.status).toBe(200);
      expect(r.body.policy.name).toBe(DEFAULT_POLICY.name);
      const y = await c.api('/api/v1/policy?format=yaml', { token: helpdesk });
      expect(y.body).toContain(`name: ${DEFAULT_POLICY.name}`);
      expect((await cf.api('/api/v1/policy')).body.policy.name).toBe('from file');
    });

    it('a file-managed policy refuses edits through the API (409 naming the file) and the page says so', async () => {
      const r = await cf.api('/api/v1/policy', { method: 'PUT', body: JSON.stringify({ ...DEFAULT_POLICY, name: 'edited in the UI' }) });
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe('POSTURE_ERR_POLICY_FILE_MANAGED');
      expect(r.body.error.message).toContain(file);
      expect((await cf.api('/api/v1/policy')).body.policy.name).toBe('from file');
      const denied = (await cf.api('/api/v1/audit?action=policy.update&outcome=denied')).body.items;
      expect(denied[0].detail).toMatchObject({ reason: 'managed_by_file', file });
      const page = String((await cf.api('/policy')).body);
      expect(page).toContain('This policy is managed by the file');
      expect(page).not.toContain('id="policy-form"');
      expect(String((await c.api('/policy')).body)).toContain('id="policy-form"');
    });

    it('an admin replaces it with JSON; helpdesk may not', async () => {
      const next = { ...DEFAULT_POLICY, name: 'json edit', intervalSec: 900 };
      const denied = await c.api('/api/v1/policy', { method: 'PUT', token: helpdesk, body: JSON.stringify(next) });
      expect(denied.status).toBe(403);
      const r = await c.api('/api/v1/policy?comment=tighter', { method: 'PUT', body: JSON.stringify(next) });
      expect(r.status).toBe(200);
      expect(r.body.policy.intervalSec).toBe(900);
      expect((await c.api('/api/v1/policy')).body.policy.name).toBe('json edit');
    });

    it('accepts YAML text and rejects invalid YAML with line numbers', async () => {
      const yaml = stringify({ ...DEFAULT_POLICY, name: 'yaml edit' });
      const ok = await c.api('/api/v1/policy', { method: 'PUT', body: yaml, headers: { 'content-type': 'text/yaml' } });
      expect(ok.status).toBe(200);
      expect(ok.body.policy.name).toBe('yaml edit');

      // A schema error: intervalSec below its minimum, on line 3.
      const bad = 'version: 1\nname: bad\nintervalSec: 5\n' + yaml.split('\n').filter((l) => !/^(version|name|intervalSec):/.test(l)).join('\n');
      const r = await c.api('/api/v1/policy', { method: 'PUT', body: bad, headers: { 'content-type': 'text/yaml' } });
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('POSTURE_ERR_POLICY_INVALID');
      expect(r.body.error.errors.join('\n')).toMatch(/policy:3: \/intervalSec/);

      // A syntax error: an unclosed flow sequence on line 2.
      const syn = await c.api('/api/v1/policy', { method: 'PUT', body: 'version: 1\nchecks: [a, b\nname: x\n', headers: { 'content-type': 'text/yaml' } });
      expect(syn.status).toBe(400);
      expect(syn.body.error.errors[0]).toMatch(/^policy:\d+:\d+: /);

      // Unknown keys are refused (a typo must not silently weaken the policy).
      const typo = await c.api('/api/v1/policy', { method: 'PUT', body: JSON.stringify({ ...DEFAULT_POLICY, stalAfterHours: 2 }) });
      expect(typo.status).toBe(400);
      expect((await c.api('/api/v1/policy')).body.policy.name).toBe('yaml edit');
    });

    it('history lists versions with who and when, newest first, and the audit log has before/after', async () => {
      const h = await c.api('/api/v1/policy/history');
      expect(h.status).toBe(200);
      const [latest, prev] = h.body.items;
      expect(latest.policy.name).toBe('yaml edit');
      expect(latest.createdBy).toMatch(/^token:pst_adm/);
      expect(latest.source).toBe('api');
      expect(prev.policy.name).toBe('json edit');
      expect(prev.comment).toBe('tighter');
      expect(h.body.items.at(-1).createdBy).toBe('system');
      expect((await cf.api('/api/v1/policy/history')).body.items.at(-1).createdBy).toBe('policy-file');
      expect(Date.parse(latest.createdAt)).toBeGreaterThan(Date.now() - 60_000);
      const a = await c.api('/api/v1/audit?action=policy.update&outcome=ok&limit=1');
      expect(a.body.items[0].detail.before.name).toBe('json edit');
      expect(a.body.items[0].detail.after.name).toBe('yaml edit');
      const failed = await c.api('/api/v1/audit?action=policy.update&outcome=failed');
      expect(failed.body.items.length).toBeGreaterThanOrEqual(2);
    });

    it('only admins see the webhook URL (it is a credential)', async () => {
      const url = 'https://hooks.slack.example/services/T000/B000/secret';
      const p = (await c.api('/api/v1/policy')).body.policy;
      expect((await c.api('/api/v1/policy', { method: 'PUT', body: JSON.stringify({ ...p, alerts: { ...p.alerts, webhookUrl: url } }) })).status).toBe(200);
      expect((await c.api('/api/v1/policy')).body.policy.alerts.webhookUrl).toBe(url);
      const hd = await c.api('/api/v1/policy', { token: helpdesk });
      expect(hd.body.policy.alerts.webhookUrl).not.toContain('secret');
      expect(JSON.stringify((await c.api('/api/v1/policy/history', { token: helpdesk })).body)).not.toContain('B000/secret');
      expect((await c.api('/policy', { token: helpdesk })).body).not.toContain('B000/secret');
      expect((await c.api('/policy')).body).toContain('B000/secret');
    });

    it('reload re-reads the file; an invalid file is refused and the policy in force stays', async () => {
      writeFileSync(file, stringify({ ...DEFAULT_POLICY, name: 'file v2' }));
      const r = await cf.api('/api/v1/policy/reload', { method: 'POST' });
      expect(r.status).toBe(200);
      expect((await cf.api('/api/v1/policy')).body.policy.name).toBe('file v2');
      writeFileSync(file, 'version: 1\nintervalSec: nope\n');
      const bad = await cf.api('/api/v1/policy/reload', { method: 'POST' });
      expect(bad.status).toBe(400);
      expect(bad.body.error.errors.join('\n')).toMatch(/policy\.yaml:2/);
      expect((await cf.api('/api/v1/policy')).body.policy.name).toBe('file v2');
    });
  });
}
