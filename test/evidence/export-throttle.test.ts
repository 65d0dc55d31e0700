/**
 * Issue 11 (low batch): an evidence export refused by the concurrency cap (2 at a time) is
 * audit-logged like every other export attempt (README "Every export and refusal…",
 * docs/security.md). Ten exports at once over real HTTP: every answer is either a bundle or a
 * 429, at least one is a 429, and the audit log has exactly one row per attempt — `ok` per
 * bundle, `denied` with reason `concurrency_cap`, actor and period per refusal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, type TestCollector } from '../helpers/collector.js';
import { reportingDevice } from '../dashboard/fleet.js';

describe('evidence exports over the concurrency cap (pglite)', () => {
  let c: TestCollector;
  let auditor: string;
  beforeAll(async () => {
    c = await startTestCollector('pglite');
    // A few devices with reports, so that a bundle takes a moment to build.
    for (let i = 0; i < 4; i++) {
      const d = await reportingDevice(c.url, `export-host-${i}`);
      await d.report({ fail: i % 2 ? ['firewall'] : [] });
      d.close();
    }
    auditor = (await c.api('/api/v1/tokens', { method: 'POST', body: JSON.stringify({ role: 'auditor', label: 'export test', expiresInDays: 1 }) })).body.token;
  }, 90_000);
  afterAll(async () => c?.cleanup());

  it('every refused export is in the audit log with its reason, actor and period', async () => {
    const to = new Date().toISOString();
    const from = new Date(Date.now() - 7 * 86_400_000).toISOString();
    const url = `${c.url}/api/v1/evidence?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
    const N = 10;
    const answers = await Promise.all(
      Array.from({ length: N }, async () => {
        const res = await fetch(url, { headers: { authorization: `Bearer ${auditor}` } });
        const body = Buffer.from(await res.arrayBuffer());
        return { status: res.status, retryAfter: res.headers.get('retry-after'), body };
      }),
    );
    const ok = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status === 429);
    expect(ok.length + refused.length).toBe(N);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(ok.length).toBeGreaterThanOrEqual(2);
    for (const r of refused) {
      expect(JSON.parse(r.body.toString()).error.code).toBe('POSTURE_ERR_RATE_LIMITED');
      expect(r.retryAfter).toBe('60');
    }
    for (const b of ok) expect(b.body.subarray(0, 2).toString('hex')).toBe('1f8b'); // gzip

    const rows = (await c.api('/api/v1/audit?action=evidence.export&limit=100')).body.items as { actor: string; outcome: string; detail: { reason?: string; from?: string; to?: string } | null }[];
    expect(rows).toHaveLength(N);
    const denied = rows.filter((r) => r.outcome === 'denied');
    expect(denied).toHaveLength(refused.length);
    expect(rows.filter((r) => r.outcome === 'ok')).toHaveLength(ok.length);
    for (const r of denied) {
      expect(r.detail).toMatchObject({ reason: 'concurrency_cap', from, to });
      expect(r.actor).toBe(rows.find((x) => x.outcome === 'ok')!.actor);
      expect(r.actor).toMatch(/^token:/);
    }
  }, 120_000);
});
