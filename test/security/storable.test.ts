/**
 * Issue 11 #9: values that pass the schema but that the store cannot hold (NUL, a lone
 * surrogate, an impossible date, an integer beyond bigint) are refused once, permanently,
 * with the field named — on the socket (`reject`, never `retry`) and over HTTP (400, never
 * 500) — on both stores. Also the Low item "duplicate check ids in one report".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../helpers/db.js';
import { ENROLL_SECRET, startTestCollector, type TestCollector } from '../helpers/collector.js';
import { connectDevice, enrollDevice, makePayload, nextMessage, sampleChecks, sampleInventory, signJson } from '../helpers/device.js';
import { generateDeviceKey } from '../../agent/src/identity/keys.js';
import { randomBytes } from 'node:crypto';
import { toStorable, findUnstorable } from '../../shared/src/schema/storable.js';
import { isStorableDateTime } from '../../shared/src/schema/formats.js';

const BAD_STRINGS: [string, string][] = [
  ['NUL', 'ws-\u0000-host'],
  ['lone high surrogate', 'ws-\ud800-host'],
  ['lone low surrogate', 'ws-\udc00-host'],
];

describe('storable values (unit)', () => {
  it('date-time refuses impossible calendar dates that Date.parse rolls over', () => {
    expect(Number.isNaN(Date.parse('2026-02-30T00:00:00Z'))).toBe(false); // why the old check let it through
    for (const v of ['2026-02-30T00:00:00Z', '2025-02-29T00:00:00Z', '2026-04-31T10:00:00Z', '2026-01-01T24:00:00Z', '0000-01-01T00:00:00Z', '2026-13-01T00:00:00Z', '2026-01-01T00:00:60Z', '0001-01-01T00:00:00+15:00', '0099-12-31T23:59:59Z', '9999-12-31T23:59:59-00:01'])
      expect(isStorableDateTime(v), v).toBe(false);
    for (const v of ['2024-02-29T00:00:00Z', '2026-12-31T23:59:59.999Z', '2026-06-01T08:00:00+02:00', '0100-01-01T00:00:00Z', '9999-12-31T23:59:59Z']) expect(isStorableDateTime(v), v).toBe(true);
  });
  it('finds the first unstorable value with its path, keys included', () => {
    expect(findUnstorable({ a: [1, { b: 'x\u0000' }] })).toEqual({ path: '/a/1/b', problem: expect.stringContaining('NUL') });
    expect(findUnstorable({ ['k\ud800']: 1 })?.problem).toContain('key');
    expect(findUnstorable({ n: 2 ** 63 })?.path).toBe('/n');
    expect(findUnstorable({ n: 2 ** 63 - 1024, s: 'ok \ud83d\ude00' })).toBeNull(); // a surrogate pair is fine
  });
  it('the agent makes probe output storable before signing', () => {
    const clean = toStorable({ out: 'a\u0000b\ud800c', ['x\u0000']: ['\udc00'] });
    expect(clean).toEqual({ out: 'ab\ufffdc', x: ['\ufffd'] });
    expect(findUnstorable(clean)).toBeNull();
  });
});

describe.each(backends())('storable values on %s', (backend) => {
  let c: TestCollector;
  beforeAll(async () => {
    c = await startTestCollector(backend);
  });
  afterAll(async () => c?.cleanup());

  const enroll = async (inventory: object) => {
    const { key } = await generateDeviceKey();
    return c.api('/agent/v1/enroll', {
      method: 'POST',
      token: null,
      body: JSON.stringify({ secret: ENROLL_SECRET, publicJwk: key.publicJwk, fingerprint: randomBytes(32).toString('hex'), agentVersion: 'test', inventory }),
    });
  };

  it.each(BAD_STRINGS)('enrollment with a %s in the hostname is a 400 naming the field', async (_n, host) => {
    const r = await enroll(sampleInventory(host));
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('POSTURE_ERR_VALIDATION');
    expect(r.body.error.field).toBe('body/inventory/hostname');
  });

  it('enrollment with a memory size beyond bigint is a 400 naming the field', async () => {
    const r = await enroll({ ...sampleInventory(), memoryBytes: 2 ** 64 });
    expect(r.status).toBe(400);
    expect(r.body.error.field).toBe('body/inventory/memoryBytes');
  });

  it('admin API: NUL in a label and an impossible date are 400 with the field, not 500 / a silently shifted date', async () => {
    const a = await c.api('/api/v1/enroll-secrets', { method: 'POST', body: JSON.stringify({ label: 'lab\u0000el' }) });
    expect(a.status).toBe(400);
    expect(a.body.error.field).toBe('body/label');
    const b = await c.api('/api/v1/enroll-secrets', { method: 'POST', body: JSON.stringify({ label: 'x', expiresAt: '2026-02-30T00:00:00Z' }) });
    expect(b.status).toBe(400);
    expect(b.body.error.field).toBe('body/expiresAt');
    // An instant the store accepts but PGlite reads back wrong (BC, or year 0001 as 2001): once
    // stored, it made GET /settings answer 500 on every later visit (the route-fuzz "known bug").
    for (const expiresAt of ['0001-01-01T00:00:00+15:00', '0001-01-01T00:00:00Z']) {
      const d = await c.api('/api/v1/enroll-secrets', { method: 'POST', body: JSON.stringify({ label: 'x', expiresAt }) });
      expect(d.status, expiresAt).toBe(400);
      expect(d.body.error.field).toBe('body/expiresAt');
    }
    expect((await c.api('/settings')).status).toBe(200);
    // A row stored before the API refused such values (written here in SQL) does not break the page either.
    await c.db.query("INSERT INTO enroll_secrets (id, secret_hash, prefix, label, created_by, expires_at) VALUES ('es_old_bc', 'x', 'pst_enr_old', 'old', 'test', '0001-01-01T00:00:00+15:00')");
    const page = await c.api('/settings');
    expect(page.status).toBe(200);
    expect(page.body).toContain('data-secret-id="es_old_bc"');
    const q = await c.api('/api/v1/devices/dev%00x');
    expect(q.status).toBe(400);
    expect(q.body.error.field).toBe('params/id');
  });

  const cases: [string, (p: ReturnType<typeof makePayload>) => void, string][] = [
    ['NUL in evidence', (p) => ((p.checks[0].evidence as Record<string, unknown>).raw = 'a\u0000b'), '/checks/0/evidence/raw'],
    ['lone surrogate in the hostname', (p) => (p.inventory.hostname = 'h\ud800'), '/inventory/hostname'],
    ['impossible date', (p) => (p.collectedAt = '2026-02-30T00:00:00Z'), '/collectedAt'],
    ['integer above 2^63-1', (p) => (p.seq = 2 ** 63), '/seq'],
    ['duplicate check id', (p) => p.checks.push({ ...p.checks[0], status: 'fail' }), '/checks/6/id'],
  ];
  it.each(cases)('a report with a %s is rejected permanently with the field named', async (_n, spoil, field) => {
    const d = await enrollDevice(c.url);
    const s = await connectDevice(d);
    try {
      const p = makePayload(d, { checks: sampleChecks() });
      spoil(p);
      s.ws.send(JSON.stringify({ type: 'report', id: p.reportId, jws: await signJson(d.key, p) }));
      const m = await nextMessage(s.messages, (x) => (x.type === 'reject' || x.type === 'retry' || x.type === 'ack') && x.id === p.reportId);
      expect(m.type).toBe('reject');
      expect(m.message).toContain(field);
      // The link is not stalled: a good report right after is acked.
      const ok = makePayload(d);
      s.ws.send(JSON.stringify({ type: 'report', id: ok.reportId, jws: await signJson(d.key, ok) }));
      expect((await nextMessage(s.messages, (x) => x.id === ok.reportId)).type).toBe('ack');
    } finally {
      s.ws.close();
    }
  });
});
