/** Audit log API: roles, filters, keyset paging, CSV export (quoted, formula-safe). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, type TestCollector } from '../helpers/collector.js';
import { audit } from '../../server/src/audit/log.js';

describe('audit log API (pglite)', () => {
  let c: TestCollector;
  let auditor: string, helpdesk: string;
  beforeAll(async () => {
    c = await startTestCollector('pglite');
    const tok = async (role: string) => (await c.api('/api/v1/tokens', { method: 'POST', body: JSON.stringify({ role, label: role, expiresInDays: 1 }) })).body.token;
    auditor = await tok('auditor');
    helpdesk = await tok('helpdesk');
    for (let i = 0; i < 130; i++) await audit(c.db, { actor: `user:bulk${i % 3}`, action: 'device.check_now', target: `dev_${i % 5}`, detail: { i } });
    await audit(c.db, { actor: '=HYPERLINK("http://evil","x")', action: 'auth.login', outcome: 'failed', detail: { note: 'comma, "quote"\nnewline' } });
  }, 60_000);
  afterAll(async () => c?.cleanup());

  it('is for admin and auditor only', async () => {
    expect((await c.api('/api/v1/audit', { token: auditor })).status).toBe(200);
    expect((await c.api('/api/v1/audit', { token: helpdesk })).status).toBe(403);
    expect((await c.api('/api/v1/audit.csv', { token: helpdesk })).status).toBe(403);
    expect((await c.api('/api/v1/audit', { token: null })).status).toBe(401);
  });

  it('filters by action prefix, actor, target and outcome, and pages by cursor', async () => {
    const f = await c.api('/api/v1/audit?action=auth.login&outcome=failed', { token: auditor });
    expect(f.body.items).toHaveLength(1);
    const t = await c.api('/api/v1/audit?target=dev_3&actor=bulk0&limit=1000', { token: auditor });
    expect(t.body.items.every((x: any) => x.target === 'dev_3' && x.actor === 'user:bulk0')).toBe(true);
    expect(t.body.items.length).toBe(9); // i ≡ 3 mod 5 and ≡ 0 mod 3 → i ≡ 3 mod 15, i < 130
    const p1 = await c.api('/api/v1/audit?action=device.&limit=100', { token: auditor });
    expect(p1.body.items).toHaveLength(100);
    const p2 = await c.api(`/api/v1/audit?action=device.&limit=100&before=${p1.body.nextBefore}`, { token: auditor });
    expect(p2.body.items).toHaveLength(30);
    expect(p2.body.nextBefore).toBeNull();
    const ids = [...p1.body.items, ...p2.body.items].map((x: any) => x.id);
    expect(new Set(ids).size).toBe(130);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect((await c.api('/api/v1/audit?outcome=maybe', { token: auditor })).status).toBe(400);
  });

  it('exports CSV with quoting and neutralised formulas', async () => {
    const res = await fetch(`${c.url}/api/v1/audit.csv?action=auth.login`, { headers: { authorization: `Bearer ${auditor}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="posture-audit-/);
    const text = await res.text();
    const lines = text.split('\r\n');
    expect(lines[0]).toBe('id,at,actor,action,target,outcome,ip,detail');
    expect(text).toContain(`"'=HYPERLINK(""http://evil"",""x"")"`);
    expect(text).toContain('"{""note"":""comma, \\""quote\\""\\nnewline""}"');
    expect(text).not.toContain('device.check_now');
    const all = await fetch(`${c.url}/api/v1/audit.csv`, { headers: { authorization: `Bearer ${auditor}` } });
    expect((await all.text()).split('\r\n').filter((l) => l.includes('device.check_now'))).toHaveLength(130);
  });
});
