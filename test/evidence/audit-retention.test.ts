/**
 * Audit-log retention: pruning deletes the oldest entries in bounded batches through the
 * trigger's controlled bypass, each batch recorded by an audit.prune entry carrying the anchor
 * hash; a bundle exported afterwards starts its chain from that anchor and verifies, saying how
 * many facts lost their entries to retention; removing entries beyond what was pruned still fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_TOKEN, startTestCollector, type TestCollector } from '../helpers/collector.js';
import { tempDir } from '../helpers/db.js';
import { unpackTarGz } from '../../scripts/evidence/unpack.js';
import { verifyBundleDir } from '../../scripts/evidence/verify-bundle.js';
import { pruneAuditLog } from '../../server/src/audit/prune.js';
import type { Manifest } from '#shared/evidence/manifest.js';
import { every, seedDevices } from './seed.js';

const H = 3_600_000;
const DAY = 24 * H;
const TO = new Date(Math.floor(Date.now() / H) * H - DAY);
const FROM = new Date(TO.getTime() - 6 * DAY);
const d = (days: number) => new Date(FROM.getTime() + days * DAY);

describe('audit-log retention (pglite)', () => {
  let tc: TestCollector;
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
    tc = await startTestCollector('pglite');
    await seedDevices(tc.db, [
      { id: 'dev-x', hostname: 'x', enrolledAt: d(-10), reportTimes: every(d(-1), TO, 6),
        exclusions: [{ id: 'exc-1', checkId: 'antivirus', rationale: 'build host, no AV', approvedBy: 'user:ciso', from: d(1), to: d(4) }] },
    ]);
  }, 120_000);
  afterAll(async () => {
    await tc?.cleanup();
  });

  it('prunes in bounded batches, each recorded with its anchor; the trigger still refuses other deletes', async () => {
    const before = await count();
    expect(before).toBeGreaterThan(2);
    const cut = new Date();
    const r = await pruneAuditLog(tc.db, cut, { batch: 2 });
    // Every entry older than the cut, two per batch; the audit.prune entries (newer) remain.
    expect(r.deleted).toBe(before);
    expect(r.batches).toBe(Math.ceil(before / 2));
    expect(await count()).toBe(r.batches);
    const prunes = (await tc.db.query<{ detail: { fromSeq: number; throughSeq: number; anchorHash: string; deleted: number } }>(`SELECT detail FROM audit_log WHERE action = 'audit.prune' ORDER BY audit_log.seq`)).rows.map((x) => x.detail);
    expect(prunes.at(-1)).toMatchObject({ throughSeq: r.anchor!.seq, anchorHash: r.anchor!.hash });
    expect(prunes.reduce((n, p) => n + p.deleted, 0)).toBe(before);
    await expect(tc.db.query('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
  });

  it('a bundle after pruning starts from the anchor and verifies, saying what retention removed', async () => {
    const dir = await exportBundle();
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    expect(m.audit.link).not.toBeNull();
    const r = await verifyBundleDir(dir);
    expect(text(r)).toBe('');
    expect(r.audit?.excused).toBeGreaterThanOrEqual(1); // exc-1's entry was pruned
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
});
