/**
 * An operator with database access edits the store, then exports: the bundle's manifest is
 * validly signed (the collector signs what it reads), yet verify-evidence must fail, naming
 * what was touched, because every figure is recomputed from the device-signed report chain.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { ADMIN_TOKEN, startTestCollector, type TestCollector } from '../helpers/collector.js';
import { tempDir } from '../helpers/db.js';
import { unpackTarGz } from '../../scripts/evidence/unpack.js';
import { verifyBundleDir } from '../../scripts/evidence/verify-bundle.js';
import { every, seedDevices } from './seed.js';

const H = 3_600_000;
const DAY = 24 * H;
const TO = new Date(Math.floor(Date.now() / H) * H - DAY);
const FROM = new Date(TO.getTime() - 6 * DAY);
const d = (days: number) => new Date(FROM.getTime() + days * DAY);

describe('evidence tampered through the database', () => {
  let tc: TestCollector;
  const verify = async () => {
    const dir = tempDir('posture-tamper-');
    const res = await fetch(`${tc.url}/api/v1/evidence?from=${FROM.toISOString()}&to=${TO.toISOString()}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    await unpackTarGz(Readable.fromWeb(res.body as never), dir);
    return verifyBundleDir(dir);
  };
  const text = (r: Awaited<ReturnType<typeof verify>>) => r.problems.map((p) => `${p.file}: ${p.message}`).join('\n');

  beforeAll(async () => {
    tc = await startTestCollector('pglite');
    await seedDevices(tc.db, [
      { id: 'dev-fw', hostname: 'fw', enrolledAt: d(-10), reportTimes: every(d(-1), new Date(TO.getTime() + 12 * H), 6), events: [{ checkId: 'firewall', to: 'failing', at: d(1) }, { checkId: 'firewall', to: 'pass', at: d(5) }] },
      { id: 'dev-ok', hostname: 'ok', enrolledAt: d(-10), reportTimes: every(d(-1), TO, 6) },
    ]);
  }, 120_000);
  afterAll(async () => {
    await tc?.cleanup();
  });

  it('an untouched bundle verifies, with every figure recomputed', async () => {
    const r = await verify();
    expect(text(r)).toBe('');
    expect(r.ok).toBe(true);
    expect(r.recomputed?.devices).toBe(2);
  });

  it('a state event changed to pass fails, naming events.csv row and column, and devices.csv', async () => {
    const ev = await tc.db.query<{ id: string }>(`SELECT id::text FROM state_events WHERE device_id = 'dev-fw' AND check_id = 'firewall' AND to_state = 'noncompliant' LIMIT 1`);
    expect(ev.rows).toHaveLength(1);
    await tc.db.query(`UPDATE state_events SET to_state = 'pass' WHERE id = $1`, [ev.rows[0].id]);
    const r = await verify();
    expect(r.ok).toBe(false);
    expect(text(r)).toMatch(/events\.csv: row \d+, column to_state: found pass, recomputed noncompliant \(device dev-fw, check firewall/);
    expect(text(r)).toMatch(/devices\.csv: row \d+ \(device dev-fw\), column firewall_pct_compliant: found [\d.]+, recomputed [\d.]+/);
    await tc.db.query(`UPDATE state_events SET to_state = 'noncompliant' WHERE id = $1`, [ev.rows[0].id]);
    expect((await verify()).ok).toBe(true);
  });

  it('a deleted report fails, naming the device and the missing sequence number', async () => {
    const rep = await tc.db.query<{ report_id: string; seq: string }>(`SELECT report_id, seq::text FROM reports WHERE device_id = 'dev-ok' AND collected_at = $1`, [d(3)]);
    const saved = await tc.db.query(`SELECT * FROM reports WHERE report_id = $1`, [rep.rows[0].report_id]);
    await tc.db.query(`DELETE FROM reports WHERE report_id = $1`, [rep.rows[0].report_id]);
    const r = await verify();
    expect(r.ok).toBe(false);
    const s = Number(rep.rows[0].seq);
    expect(text(r)).toContain(`device dev-ok: 1 report(s) missing between seq ${s - 1}`);
    expect(text(r)).toContain(`seq ${s};`);
    const x = saved.rows[0] as Record<string, unknown>;
    await tc.db.query(`INSERT INTO reports (report_id, device_id, seq, kid, collected_at, received_at, trigger, summary, jws) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
      [x.report_id, x.device_id, x.seq, x.kid, x.collected_at, x.received_at, x.trigger, JSON.stringify(x.summary), x.jws]);
  });

  it('a truncated period (the last reports deleted) fails: the chain ends before what the collector applied', async () => {
    const saved = await tc.db.query(`SELECT * FROM reports WHERE device_id = 'dev-fw' AND collected_at >= $1`, [d(5)]);
    await tc.db.query(`DELETE FROM reports WHERE device_id = 'dev-fw' AND collected_at >= $1`, [d(5)]);
    const r = await verify();
    expect(r.ok).toBe(false);
    expect(text(r)).toMatch(/device dev-fw: the collector applied reports up to seq \d+, but the bundle ends at seq \d+ with no report after the period/);
    for (const x of saved.rows as Record<string, unknown>[])
      await tc.db.query(`INSERT INTO reports (report_id, device_id, seq, kid, collected_at, received_at, trigger, summary, jws) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
        [x.report_id, x.device_id, x.seq, x.kid, x.collected_at, x.received_at, x.trigger, JSON.stringify(x.summary), x.jws]);
    expect((await verify()).ok).toBe(true);
  });

  it('an exclusion inserted without its effect on the signed reports fails recomputation', async () => {
    await tc.db.query(`INSERT INTO exclusions (id, device_id, check_id, rationale, approved_by, created_at, expires_at) VALUES ('exc-x', 'dev-fw', 'firewall', 'backdated by an insider', 'user:x', $1, $2)`, [d(0.5), d(5.5)]);
    const r = await verify();
    expect(r.ok).toBe(false);
    expect(text(r)).toMatch(/events\.csv: .*device dev-fw.*firewall/);
    await tc.db.query(`DELETE FROM exclusions WHERE id = 'exc-x'`);
  });
});
