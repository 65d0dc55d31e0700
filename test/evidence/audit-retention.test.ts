/**
 * Audit-log retention: pruning deletes the oldest entries in bounded batches through the
 * trigger's controlled bypass, each batch recorded by an audit.prune entry carrying the anchor
 * hash; a bundle exported afterwards starts its chain from that anchor and verifies, saying how
 * many facts lost their entries to retention; removing entries beyond what was pruned still fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_TOKEN, startTestCollector, type TestCollector } from '../helpers/collector.js';
import { tempDir } from '../helpers/db.js';
import { openPglite } from '../../server/src/db/pglite.js';
import { migrate } from '../../server/src/db/migrate.js';
import { unpackTarGz } from '../../scripts/evidence/unpack.js';
import { verifyBundleDir } from '../../scripts/evidence/verify-bundle.js';
import { pruneAuditLog } from '../../server/src/audit/prune.js';
import type { Manifest } from '#shared/evidence/manifest.js';
import { DEFAULT_POLICY } from '#shared/policy/default-policy.js';
import { appendAuditAt, every, seedDevices } from './seed.js';

const H = 3_600_000;
const DAY = 24 * H;
const TO = new Date(Math.floor(Date.now() / H) * H - DAY);
const FROM = new Date(TO.getTime() - 6 * DAY);
const d = (days: number) => new Date(FROM.getTime() + days * DAY);

describe('audit-log retention (pglite)', () => {
  let tc: TestCollector;
  let store = '';
  const exportBundle = async () => {
    const dir = tempDir('posture-retention-');
    const res = await fetch(`${tc.url}/api/v1/evidence?from=${FROM.toISOString()}&to=${TO.toISOString()}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    await unpackTarGz(Readable.fromWeb(res.body as never), dir);
    return dir;
  };
  const text = (r: Awaited<ReturnType<typeof verifyBundleDir>>) => r.problems.map((p) => `${p.file}: ${p.message}`).join('\n');
  const count = async () => Number((await tc.db.query<{ n: string }>('SELECT count(*)::text AS n FROM audit_log')).rows[0].n);

  beforeAll(async () => {
    // A store with history older than the retention: entries 500 days old, and a policy version
    // (with its entry) 450 days old that every later bundle's policy.json history lists.
    const dir = (store = tempDir('posture-retention-store-'));
    const db = await openPglite(dir);
    await migrate(db);
    for (let i = 0; i < 6; i++) await appendAuditAt(db, new Date(Date.now() - (500 - i) * DAY), { actor: 'user:old', action: 'legacy.thing', target: String(i) });
    const old = new Date(Date.now() - 450 * DAY);
    const pv = await db.query<{ id: string }>(`INSERT INTO policy_versions (policy, source, created_at, created_by, comment) VALUES ($1, 'api', $2, 'user:old', 'long ago') RETURNING id::text`, [JSON.stringify(DEFAULT_POLICY), old]);
    await appendAuditAt(db, old, { actor: 'user:old', action: 'policy.update', target: `policy:${pv.rows[0].id}`, detail: { source: 'api' } });
    await db.close();
    tc = await startTestCollector('pglite', { POSTURE_DATA_DIR: dir });
    await seedDevices(tc.db, [
      { id: 'dev-x', hostname: 'x', enrolledAt: d(-10), reportTimes: every(d(-1), TO, 6),
        exclusions: [{ id: 'exc-1', checkId: 'antivirus', rationale: 'build host, no AV', approvedBy: 'user:ciso', from: d(1), to: d(4) }] },
    ]);
  }, 120_000);
  afterAll(async () => {
    await tc?.cleanup();
    if (store) rmSync(store, { recursive: true, force: true });
  });

  it('prunes in bounded batches, each recorded with its anchor; refuses a cutoff younger than 400 days', async () => {
    await expect(pruneAuditLog(tc.db, new Date())).rejects.toThrow(/less than 400 days ago/);
    const before = await count();
    const r = await pruneAuditLog(tc.db, new Date(Date.now() - 400 * DAY - 60_000), { batch: 2 });
    // The 7 entries older than the cutoff, two per batch; the collector's recent entries remain.
    expect(r.deleted).toBe(7);
    expect(r.batches).toBe(4);
    expect(await count()).toBe(before - 7 + 4);
    const prunes = (await tc.db.query<{ detail: { fromSeq: number; throughSeq: number; anchorHash: string; deleted: number } }>(`SELECT detail FROM audit_log WHERE action = 'audit.prune' ORDER BY audit_log.seq`)).rows.map((x) => x.detail);
    expect(prunes.map((p) => p.deleted)).toEqual([2, 2, 2, 1]);
    expect(prunes.at(-1)).toMatchObject({ fromSeq: 7, throughSeq: 7, anchorHash: r.anchor!.hash });
    expect((await tc.db.query<{ n: string }>(`SELECT count(*)::text AS n FROM audit_log WHERE at < now() - interval '400 days'`)).rows[0].n).toBe('0');
    await expect(tc.db.query('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
  });

  it('a bundle after pruning starts from the anchor and verifies, saying what retention removed', async () => {
    const dir = await exportBundle();
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    expect(m.audit.link).not.toBeNull();
    // The head is the newest entry before the export's own (numerically: seq 10 sorts before 9 as text).
    const max = Number((await tc.db.query<{ m: string }>('SELECT max(seq)::text AS m FROM audit_log')).rows[0].m);
    expect(max).toBeGreaterThan(10);
    expect(m.audit.head?.seq).toBe(max - 1);
    const r = await verifyBundleDir(dir);
    expect(text(r)).toBe('');
    expect(r.audit?.excused).toBe(1); // the 450-day-old policy version: its entry was pruned
    expect(r.audit?.matched).toBeGreaterThanOrEqual(1); // exc-1, recent, still matched
    expect(r.audit?.prunedBefore).not.toBeNull();
  });

  it('an entry removed beyond what was pruned still fails', async () => {
    const first = (await tc.db.query<{ seq: string }>('SELECT min(seq)::text AS seq FROM audit_log')).rows[0].seq;
    await tc.db.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only');
    try {
      await tc.db.query('DELETE FROM audit_log WHERE seq = $1', [first]);
    } finally {
      await tc.db.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only');
    }
    const r = await verifyBundleDir(await exportBundle());
    expect(r.ok).toBe(false);
    expect(text(r)).toMatch(/audit\.csv: (row 2: the segment starts at seq \d+ but the manifest signs no link entry before it|.*no audit\.prune entry records pruning)/);
  });

  it('a forged pruning of recent entries fails: the minimum retention was not kept', async () => {
    const rows = (await tc.db.query<{ seq: string; hash: string; at: Date }>('SELECT seq::text AS seq, hash, at FROM audit_log ORDER BY audit_log.seq LIMIT 2')).rows;
    await tc.db.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only');
    try {
      await tc.db.query('DELETE FROM audit_log WHERE seq <= $1', [rows[1].seq]);
    } finally {
      await tc.db.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only');
    }
    await appendAuditAt(tc.db, new Date(), { actor: 'system:retention', action: 'audit.prune', detail: { fromSeq: Number(rows[0].seq), throughSeq: Number(rows[1].seq), anchorHash: rows[1].hash, throughAt: new Date(rows[1].at).toISOString(), deleted: 2 } });
    const r = await verifyBundleDir(await exportBundle());
    expect(r.ok).toBe(false);
    expect(text(r)).toMatch(/audit\.csv: row \d+: audit\.prune entry seq \d+ \(at \S+\) removed entries up to \S+, less than 400 days before it ran: the minimum retention was not kept/);
  });
});
