/**
 * Attack pass (session 4, S4-A4): a silent month vanishes once pruned. Digests were written
 * only for device-months with reports, and a bundle's figures sum the digests' seconds; a
 * device that sent nothing for a whole month (its agent stopped by the employee, say) had no
 * digest for it, so once retention pruned that month its stale time was counted nowhere.
 * Measured here before the fix: dev-s at 68.18 % compliant with 756 hours without reports
 * over the raw period, then 98.53 % and 24 hours over the same period after pruning, both
 * bundles VERIFIED. Required: every device that existed in the month gets a digest (one of
 * no reports carries no chain fields), and the same period gives the same figures before and
 * after pruning, and verifies.
 * Data: real device-signed reports (test/evidence/seed.ts), the real job, PGlite.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/db.js';
import { openPglite } from '../../server/src/db/pglite.js';
import { migrate } from '../../server/src/db/migrate.js';
import type { Db } from '../../server/src/db/types.js';
import { loadIdentity, type CollectorIdentity } from '../../server/src/meta/collector-identity.js';
import { runRetention } from '../../server/src/retention/prune.js';
import { buildBundle } from '../../server/src/evidence/bundle.js';
import { verifyBundleDir } from '../../scripts/evidence/verify-bundle.js';
import { monthBounds } from '#shared/evidence/digest.js';
import { parseCsv } from '#shared/evidence/csv.js';
import { DEFAULT_POLICY } from '#shared/policy/default-policy.js';
import { every, seedDevices } from '../evidence/seed.js';

const DAY = 86_400_000;
const NOW = new Date();
const EDGE = monthBounds(new Date(NOW.getTime() - 400 * DAY)).from;
const monthStart = (k: number) => new Date(Date.UTC(EDGE.getUTCFullYear(), EDGE.getUTCMonth() + k, 1));
const FROM = monthStart(-2);
const TO = new Date(EDGE.getTime() + 40 * DAY);

describe('a month in which a device sent nothing still counts after it is pruned', () => {
  let db: Db;
  let identity: CollectorIdentity;
  const dataDir = tempDir('posture-atk-silent-');
  const dirs: string[] = [];

  beforeAll(async () => {
    db = await openPglite(dataDir);
    await migrate(db);
    identity = await loadIdentity(db);
    const start = new Date(FROM.getTime() + 3 * DAY);
    await seedDevices(db, [
      { id: 'dev-a', hostname: 'a', enrolledAt: new Date(start.getTime() - DAY), reportTimes: every(start, NOW, 12) },
      // Nothing at all in the month before the edge.
      { id: 'dev-s', hostname: 's', enrolledAt: new Date(start.getTime() - DAY), reportTimes: [...every(start, monthStart(-1), 12), ...every(monthStart(0), NOW, 12)] },
    ]);
  }, 180_000);
  afterAll(async () => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await db?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const figures = async () => {
    const dir = tempDir('posture-atk-silent-bundle-');
    dirs.push(dir);
    const b = await buildBundle({ db, identity, currentPolicy: DEFAULT_POLICY, version: 'test' }, FROM, TO, dir, new Date());
    const r = await verifyBundleDir(dir);
    const rows = parseCsv(readFileSync(join(dir, 'devices.csv'), 'utf8'));
    const col = (name: string) => rows[0].indexOf(name);
    const of = (id: string) => {
      const row = rows.find((x) => x[0] === id)!;
      return { pct: row[col('overall_pct_compliant')], hours: row[col('hours_without_reports')] };
    };
    return { ok: r.ok, problems: r.problems.map((p) => `${p.file}: ${p.message}`), digests: b.manifest.digests, s: of('dev-s'), a: of('dev-a') };
  };

  it('same figures before and after pruning, and both verify', async () => {
    const before = await figures();
    expect(before.problems).toEqual([]);
    expect(before.digests).toBeUndefined();
    // The silent month is stale time: well under dev-a's.
    expect(Number(before.s.pct)).toBeLessThan(Number(before.a.pct) - 20);

    await runRetention(db, DEFAULT_POLICY, { now: new Date(), ignoreLease: true });
    const silent = (await db.query<{ reports: string; first_seq: string | null; head_hash: string | null }>(
      `SELECT reports::text, first_seq::text, head_hash FROM monthly_digests WHERE device_id = 'dev-s' AND month = $1::date`, [monthStart(-1).toISOString().slice(0, 10)])).rows;
    expect(silent).toEqual([{ reports: '0', first_seq: null, head_hash: null }]);

    const after = await figures();
    expect(after.problems).toEqual([]);
    expect(after.ok).toBe(true);
    expect(after.digests?.rawFrom).toBe(EDGE.toISOString());
    expect(after.digests?.deviceMonths).toBe(4);
    expect(after.s).toEqual(before.s);
    expect(after.a).toEqual(before.a);
  });
});
