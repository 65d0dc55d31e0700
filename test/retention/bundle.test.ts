/**
 * A bundle over a period whose oldest months retention pruned verifies from the signed monthly
 * digests; tampering through the database fails naming device and month: a digest changed, a
 * digest deleted (the month right before the raw reports, or the first of the period); and
 * deleting a raw report in a month that was not pruned still fails as before.
 * Data: real device-signed reports (test/evidence/seed.ts), pruned by the real job.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PG_URL, freshPgDatabase, tempDir } from '../helpers/db.js';
import { openPglite } from '../../server/src/db/pglite.js';
import { openPg } from '../../server/src/db/pg.js';
import { migrate } from '../../server/src/db/migrate.js';
import type { Db } from '../../server/src/db/types.js';
import { loadIdentity, type CollectorIdentity } from '../../server/src/meta/collector-identity.js';
import { runRetention } from '../../server/src/retention/prune.js';
import { buildBundle } from '../../server/src/evidence/bundle.js';
import { verifyBundleDir } from '../../scripts/evidence/verify-bundle.js';
import { monthBounds, monthKey } from '#shared/evidence/digest.js';
import { parseCsv } from '#shared/evidence/csv.js';
import type { Manifest } from '#shared/evidence/manifest.js';
import { DEFAULT_POLICY } from '#shared/policy/default-policy.js';
import { every, seedDevices } from '../evidence/seed.js';

const DAY = 86_400_000;
const NOW = new Date();
const EDGE = monthBounds(new Date(NOW.getTime() - 400 * DAY)).from;
const monthStart = (k: number) => new Date(Date.UTC(EDGE.getUTCFullYear(), EDGE.getUTCMonth() + k, 1));
const OLD3 = monthStart(-3); // before the period: its digest is the chain edge
const OLD2 = monthStart(-2);
const OLD1 = monthStart(-1);
const FROM = OLD2;
const TO = new Date(EDGE.getTime() + 40 * DAY);

const STORES = ['pglite', ...(PG_URL ? ['pg'] : [])] as const;

describe.each(STORES)('bundles over pruned months (%s)', (kind) => {
  let db: Db;
  let identity: CollectorIdentity;
  let cleanup: () => Promise<void> = async () => {};
  const dirs: string[] = [];
  const exportAndVerify = async (from = FROM) => {
    const dir = tempDir('posture-pruned-bundle-');
    dirs.push(dir);
    const b = await buildBundle({ db, identity, currentPolicy: DEFAULT_POLICY, version: 'test' }, from, TO, dir, new Date());
    const r = await verifyBundleDir(dir);
    return { dir, manifest: b.manifest, r, text: r.problems.map((p) => `${p.file}: ${p.message}`).join('\n') };
  };
  // As an insider would: switch the append-only trigger off, change the row, switch it back on.
  const tamper = async (sql: string, params: unknown[]) => {
    await db.query('ALTER TABLE monthly_digests DISABLE TRIGGER monthly_digests_append_only');
    try {
      await db.query(sql, params);
    } finally {
      await db.query('ALTER TABLE monthly_digests ENABLE TRIGGER monthly_digests_append_only');
    }
  };

  beforeAll(async () => {
    if (kind === 'pg') {
      const fresh = await freshPgDatabase('retbundle');
      db = openPg(fresh.url);
      cleanup = async () => {
        await db.close();
        await fresh.drop();
      };
    } else {
      const dir = tempDir('posture-retbundle-');
      db = await openPglite(dir);
      cleanup = async () => {
        await db.close();
        rmSync(dir, { recursive: true, force: true });
      };
    }
    await migrate(db);
    identity = await loadIdentity(db);
    const start = new Date(OLD3.getTime() + 3 * DAY);
    await seedDevices(db, [
      { id: 'dev-a', hostname: 'a', enrolledAt: new Date(start.getTime() - DAY), reportTimes: every(start, NOW, 12) },
      { id: 'dev-b', hostname: 'b', enrolledAt: new Date(start.getTime() - DAY), reportTimes: every(start, NOW, 12),
        events: [{ checkId: 'firewall', to: 'fail', at: new Date(OLD1.getTime() + 2 * DAY) }, { checkId: 'firewall', to: 'pass', at: new Date(OLD1.getTime() + 12 * DAY) }] },
    ]);
    // Now, not NOW: digests are signed after the collector key came into force.
    await runRetention(db, DEFAULT_POLICY, { now: new Date(), ignoreLease: true });
  }, 180_000);
  afterAll(async () => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await cleanup();
  });

  it('verifies from digests and says which device-months are digests', async () => {
    const { dir, manifest, r, text } = await exportAndVerify();
    expect(text).toBe('');
    expect(r.ok).toBe(true);
    expect(manifest.digests).toEqual({ file: 'digests.jsonl', rawFrom: EDGE.toISOString(), deviceMonths: 4 } satisfies Manifest['digests']);
    expect(r.digests).toEqual({ deviceMonths: 4, rawFrom: EDGE.toISOString() });
    // The raw part starts at the edge: no report of the pruned months ships.
    const lines = readFileSync(join(dir, 'reports.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { collectedAt: string });
    expect(lines.every((l) => Date.parse(l.collectedAt) >= EDGE.getTime())).toBe(true);
    // dev-b's ten firewall-off days of OLD1 count (time-weighted) in devices.csv; dev-a passes everything.
    const rows = parseCsv(readFileSync(join(dir, 'devices.csv'), 'utf8'));
    const col = rows[0].indexOf('firewall_pct_compliant');
    const pctOf = (id: string) => Number(rows.find((x) => x[0] === id)![col]);
    expect(pctOf('dev-a')).toBe(100);
    // ≈ 10 of ≈ 100 measured days failing (grace included: not compliant).
    expect(pctOf('dev-b')).toBeLessThan(pctOf('dev-a') - 8);
    expect(pctOf('dev-b')).toBeGreaterThan(pctOf('dev-a') - 12);
  });

  it('a period starting later links to the newest digest before it (the edge)', async () => {
    const { dir, manifest, r, text } = await exportAndVerify(OLD1);
    expect(text).toBe('');
    expect(r.ok).toBe(true);
    expect(manifest.digests?.deviceMonths).toBe(2);
    const lines = readFileSync(join(dir, 'digests.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { deviceId: string; month: string; edge: boolean });
    expect(lines.filter((l) => l.edge).map((l) => `${l.deviceId} ${l.month}`)).toEqual([`dev-a ${monthKey(OLD2)}`, `dev-b ${monthKey(OLD2)}`]);
  });

  it('a digest changed in the database fails, naming device and month', async () => {
    const row = (await db.query<{ jws: string }>(`SELECT jws FROM monthly_digests WHERE device_id = 'dev-b' AND month = $1::date`, [OLD1.toISOString().slice(0, 10)])).rows[0];
    const [h, p, s] = row.jws.split('.');
    const body = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    body.checks.firewall.seconds.pass += body.checks.firewall.seconds.failing + body.checks.firewall.seconds.noncompliant;
    body.checks.firewall.seconds.failing = 0;
    body.checks.firewall.seconds.noncompliant = 0;
    const forged = `${h}.${Buffer.from(JSON.stringify(body)).toString('base64url')}.${s}`;
    await tamper(`UPDATE monthly_digests SET jws = $1 WHERE device_id = 'dev-b' AND month = $2::date`, [forged, OLD1.toISOString().slice(0, 10)]);
    try {
      const { r, text } = await exportAndVerify();
      expect(r.ok).toBe(false);
      expect(text).toMatch(new RegExp(`digests\\.jsonl: line \\d+: device dev-b month ${monthKey(OLD1)}: the digest's signature does not verify`));
    } finally {
      await tamper(`UPDATE monthly_digests SET jws = $1 WHERE device_id = 'dev-b' AND month = $2::date`, [row.jws, OLD1.toISOString().slice(0, 10)]);
    }
  });

  it('a digest deleted from the database fails, naming device and month', async () => {
    const keep = (await db.query<Record<string, unknown>>(`SELECT device_id, month::text AS month, reports, first_seq, last_seq, head_hash, kid, jws, created_at FROM monthly_digests WHERE device_id = 'dev-a' ORDER BY month`)).rows;
    const restore = async () => {
      for (const k of keep)
        await tamper(`INSERT INTO monthly_digests (device_id, month, reports, first_seq, last_seq, head_hash, kid, jws, created_at) VALUES ($1,$2::date,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT DO NOTHING`,
          [k.device_id, k.month, k.reports, k.first_seq, k.last_seq, k.head_hash, k.kid, k.jws, k.created_at]);
    };
    // The month right before the raw reports.
    await tamper(`DELETE FROM monthly_digests WHERE device_id = 'dev-a' AND month = $1::date`, [OLD1.toISOString().slice(0, 10)]);
    try {
      const { r, text } = await exportAndVerify();
      expect(r.ok).toBe(false);
      expect(text).toMatch(new RegExp(`reports\\.jsonl: line \\d+: device dev-a: .*missing.*the chain continues from the signed digest of ${monthKey(OLD2)}: the digest of a later pruned month \\(before ${monthKey(EDGE)}\\) is missing`));
    } finally {
      await restore();
    }
    // The first month of the period.
    await tamper(`DELETE FROM monthly_digests WHERE device_id = 'dev-a' AND month = $1::date`, [OLD2.toISOString().slice(0, 10)]);
    try {
      const { r, text } = await exportAndVerify();
      expect(r.ok).toBe(false);
      expect(text).toMatch(new RegExp(`digests\\.jsonl: device dev-a month ${monthKey(OLD1)}: does not continue month ${monthKey(OLD3)} \\(no digest for ${monthKey(OLD2)}: missing\\): \\d+ report\\(s\\) missing`));
    } finally {
      await restore();
    }
    expect((await exportAndVerify()).r.ok).toBe(true);
  });

  it('a raw report deleted in a month that was not pruned still fails', async () => {
    const victim = (await db.query<{ report_id: string; seq: string }>(`SELECT report_id, seq::text AS seq FROM reports WHERE device_id = 'dev-b' AND collected_at >= $1 ORDER BY collected_at OFFSET 10 LIMIT 1`, [new Date(EDGE.getTime() + 5 * DAY)])).rows[0];
    await db.query('DELETE FROM reports WHERE report_id = $1', [victim.report_id]);
    const { r, text } = await exportAndVerify();
    expect(r.ok).toBe(false);
    expect(text).toMatch(new RegExp(`reports\\.jsonl: line \\d+: device dev-b: 1 report\\(s\\) missing between seq ${Number(victim.seq) - 1} .* and seq ${Number(victim.seq) + 1}`));
  });
});
