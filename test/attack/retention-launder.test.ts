/**
 * Attack pass (session 4, S4-A1): an operator with database access launders an edit through
 * retention. The monthly digest is computed from the database's state events (not replayed
 * from the signed reports) and then signed by the collector; once the month's raw reports are
 * dropped, nothing in a later bundle can contradict the signed digest. So: edit dev-b's
 * firewall events of a month that is about to be pruned to `pass`, let the daily job run,
 * export: the bundle printed VERIFIED with dev-b at 100 % firewall compliance while the
 * device-signed reports of that month (gone now) said the firewall was off for ten days.
 * Required: the job prunes a month only when the evidence of that month verifies against the
 * signed reports (the same verifier an auditor runs); otherwise it keeps the month raw, writes
 * no digest for it, and says why in a `retention.refused` audit entry. The bundle then still
 * carries the raw reports and fails naming the edited events.
 * Data: real device-signed reports (test/evidence/seed.ts), the real job, PGlite (the same SQL
 * as PostgreSQL; the prune tests cover both stores).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { tempDir } from '../helpers/db.js';
import { openPglite } from '../../server/src/db/pglite.js';
import { migrate } from '../../server/src/db/migrate.js';
import type { Db } from '../../server/src/db/types.js';
import { loadIdentity, type CollectorIdentity } from '../../server/src/meta/collector-identity.js';
import { runRetention } from '../../server/src/retention/prune.js';
import { buildBundle } from '../../server/src/evidence/bundle.js';
import { verifyBundleDir } from '../../scripts/evidence/verify-bundle.js';
import { monthBounds, monthKey } from '#shared/evidence/digest.js';
import { DEFAULT_POLICY } from '#shared/policy/default-policy.js';
import { every, seedDevices } from '../evidence/seed.js';

const DAY = 86_400_000;
const NOW = new Date();
const EDGE = monthBounds(new Date(NOW.getTime() - 400 * DAY)).from;
const monthStart = (k: number) => new Date(Date.UTC(EDGE.getUTCFullYear(), EDGE.getUTCMonth() + k, 1));
const OLD2 = monthStart(-2);
const OLD1 = monthStart(-1);
const TO = new Date(EDGE.getTime() + 40 * DAY);

describe('retention does not launder a database edit into a signed digest', () => {
  let db: Db;
  let identity: CollectorIdentity;
  const dirs: string[] = [];
  const dataDir = tempDir('posture-atk-launder-');

  beforeAll(async () => {
    db = await openPglite(dataDir);
    await migrate(db);
    identity = await loadIdentity(db);
    const start = new Date(OLD2.getTime() + 3 * DAY);
    await seedDevices(db, [
      { id: 'dev-a', hostname: 'a', enrolledAt: new Date(start.getTime() - DAY), reportTimes: every(start, NOW, 12) },
      { id: 'dev-b', hostname: 'b', enrolledAt: new Date(start.getTime() - DAY), reportTimes: every(start, NOW, 12),
        events: [{ checkId: 'firewall', to: 'fail', at: new Date(OLD1.getTime() + 2 * DAY) }, { checkId: 'firewall', to: 'pass', at: new Date(OLD1.getTime() + 12 * DAY) }] },
    ]);
  }, 180_000);
  afterAll(async () => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await db?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('an edited month is kept raw, not digested, and the bundle fails naming the edit', async () => {
    // The insider: dev-b's firewall never failed in OLD1, as far as the database says.
    const edited = await db.query(
      `DELETE FROM state_events WHERE device_id = 'dev-b' AND check_id = 'firewall' AND at >= $1 AND at < $2 AND to_state <> 'pass'`,
      [OLD1, monthStart(0)],
    );
    expect(edited.rowCount).toBeGreaterThan(0);
    await db.query(`UPDATE state_events SET from_state = 'pass' WHERE device_id = 'dev-b' AND check_id = 'firewall' AND at >= $1 AND at < $2`, [OLD1, monthStart(0)]);

    const run = await runRetention(db, DEFAULT_POLICY, { now: new Date(), ignoreLease: true });

    // OLD2 verifies and is pruned; OLD1 (and every month after it) stays raw.
    const digested = (await db.query<{ device_id: string; month: string }>(`SELECT device_id, to_char(month, 'YYYY-MM') AS month FROM monthly_digests ORDER BY 1, 2`)).rows;
    expect(digested.map((d) => `${d.device_id} ${d.month}`)).toEqual([`dev-a ${monthKey(OLD2)}`, `dev-b ${monthKey(OLD2)}`]);
    const old1Reports = await db.query(`SELECT 1 FROM reports WHERE device_id = 'dev-b' AND collected_at >= $1 AND collected_at < $2`, [OLD1, monthStart(0)]);
    expect(old1Reports.rows.length).toBeGreaterThan(0);
    expect(run.kinds.find((k) => k.kind === 'reports')?.months).toEqual([monthKey(OLD2)]);
    expect(run.refused?.month).toBe(monthKey(OLD1));

    const refused = (await db.query<{ detail: { month: string; problems: string[] } }>(`SELECT detail FROM audit_log WHERE action = 'retention.refused'`)).rows;
    expect(refused).toHaveLength(1);
    expect(refused[0].detail.month).toBe(monthKey(OLD1));
    expect(refused[0].detail.problems.join('\n')).toMatch(/events\.csv/);

    // The auditor's bundle still has the raw month and catches the edit.
    const dir = tempDir('posture-atk-launder-bundle-');
    dirs.push(dir);
    await buildBundle({ db, identity, currentPolicy: DEFAULT_POLICY, version: 'test' }, OLD2, TO, dir, new Date());
    const r = await verifyBundleDir(dir);
    expect(r.ok).toBe(false);
    expect(r.problems.map((p) => `${p.file}: ${p.message}`).join('\n')).toMatch(/events\.csv/);
  });
});
