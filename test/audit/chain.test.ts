/**
 * The audit log on both stores: entries written before the chain are chained in id order by
 * the migration; appends from several connections still form one chain; UPDATE, DELETE and
 * TRUNCATE are refused by the trigger; the retention setting lets DELETE through only up to
 * the declared sequence number.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { backends, freshPgDatabase, tempDir } from '../helpers/db.js';
import { openPg } from '../../server/src/db/pg.js';
import { openPglite } from '../../server/src/db/pglite.js';
import { migrate } from '../../server/src/db/migrate.js';
import type { Db } from '../../server/src/db/types.js';
import { audit } from '../../server/src/audit/log.js';
import { AuditChainCheck } from '../../shared/src/audit/chain.js';

const MIGRATIONS = join(import.meta.dirname, '..', '..', 'server', 'src', 'db', 'migrations');

async function chainProblems(db: Db): Promise<string[]> {
  const rows = await db.query<{ seq: string; at: Date; actor: string; action: string; target: string | null; outcome: string; ip: string | null; detail: unknown; prev_hash: string | null; hash: string }>(
    'SELECT seq::text, at, actor, action, target, outcome, ip, detail, prev_hash, hash FROM audit_log ORDER BY audit_log.seq');
  const c = new AuditChainCheck(null);
  const out: string[] = [];
  for (const r of rows.rows) {
    const bad = c.push({ seq: Number(r.seq), at: new Date(r.at).toISOString(), actor: r.actor, action: r.action, target: r.target, outcome: r.outcome, ip: r.ip, detail: r.detail, prevHash: r.prev_hash, hash: r.hash });
    if (bad) out.push(bad);
  }
  return out;
}

describe.each(backends())('audit chain on %s', (backend) => {
  let db: Db;
  let second: Db | null = null;
  const cleanups: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    // A store as it was before the chain: every migration except 030/031, and entries in it.
    const before = tempDir('posture-mig-');
    cleanups.push(async () => rmSync(before, { recursive: true, force: true }));
    for (const f of readdirSync(MIGRATIONS)) if (!/^03[01]_/.test(f)) copyFileSync(join(MIGRATIONS, f), join(before, f));
    if (backend === 'pg') {
      const fresh = await freshPgDatabase('audit');
      cleanups.push(() => fresh.drop());
      db = openPg(fresh.url, { max: 4 });
      second = openPg(fresh.url, { max: 4 });
    } else {
      const dir = tempDir('posture-audit-');
      cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
      db = await openPglite(dir);
    }
    await migrate(db, before);
    for (let i = 0; i < 5; i++)
      await db.query(`INSERT INTO audit_log (at, actor, action, target, detail) VALUES (now() - interval '1 day' + $1 * interval '1 second', 'user:old', 'legacy.thing', $2, $3)`, [i, `t${i}`, JSON.stringify({ n: i, z: 'a', a: [1, { y: 2, b: null }] })]);
    await migrate(db);
  }, 120_000);
  afterAll(async () => {
    await second?.close();
    await db?.close();
    for (const c of cleanups.reverse()) await c();
  });

  it('chains entries written before the chain, in id order', async () => {
    const r = await db.query<{ id: string; seq: string; prev_hash: string | null }>('SELECT id::text, seq::text, prev_hash FROM audit_log ORDER BY audit_log.id');
    expect(r.rows.map((x) => Number(x.seq))).toEqual([1, 2, 3, 4, 5]);
    expect(r.rows[0].prev_hash).toBeNull();
    expect(await chainProblems(db)).toEqual([]);
  });

  it('appends from concurrent writers still form one chain', async () => {
    const writers = [db, second ?? db];
    await Promise.all(Array.from({ length: 40 }, (_, i) => writers[i % writers.length].tx(async (q) => {
      await audit(q, { actor: `user:w${i % 2}`, action: 'test.append', target: String(i), detail: { i, when: new Date(0), skip: undefined } });
    })));
    await audit(db, { actor: 'user:x', action: 'test.outside_tx' });
    const n = await db.query<{ n: string; max: string }>('SELECT count(*)::text AS n, max(seq)::text AS max FROM audit_log');
    expect(n.rows[0]).toEqual({ n: '46', max: '46' });
    expect(await chainProblems(db)).toEqual([]);
  });

  it('refuses UPDATE, DELETE and TRUNCATE, and an insert that does not extend the chain', async () => {
    await expect(db.query(`UPDATE audit_log SET actor = 'user:mallory' WHERE seq = 2`)).rejects.toThrow(/append-only: UPDATE refused/);
    await expect(db.query('DELETE FROM audit_log WHERE seq = 2')).rejects.toThrow(/append-only: DELETE refused/);
    await expect(db.query('TRUNCATE audit_log')).rejects.toThrow(/append-only: TRUNCATE refused/);
    await expect(db.query(`INSERT INTO audit_log (actor, action, seq, prev_hash, hash) VALUES ('user:m', 'forged', 1000, 'x', 'y')`)).rejects.toThrow(/does not extend the chain/);
    expect(await chainProblems(db)).toEqual([]);
  });

  it('lets the retention setting delete only up to the declared seq, inside its transaction', async () => {
    await expect(db.tx(async (q) => {
      await q.query(`SELECT set_config('posture.audit_prune_through', '2', true)`);
      await q.query('DELETE FROM audit_log WHERE seq <= 3');
    })).rejects.toThrow(/append-only: DELETE refused/);
    await db.tx(async (q) => {
      await q.query(`SELECT set_config('posture.audit_prune_through', '2', true)`);
      expect((await q.query('DELETE FROM audit_log WHERE seq <= 2')).rowCount).toBe(2);
    });
    // The setting was transaction-local: the next DELETE is refused again.
    await expect(db.query('DELETE FROM audit_log WHERE seq = 3')).rejects.toThrow(/append-only/);
    expect((await db.query('SELECT 1 FROM audit_log')).rows).toHaveLength(44);
  });
});
