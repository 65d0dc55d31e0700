/**
 * A transaction PostgreSQL aborts to break a deadlock is run again, not surfaced as a failure:
 * two transactions that take a row lock and the audit-chain advisory lock in opposite orders
 * (the ordering audit/log.ts cannot rule out) both commit. A non-transient error is not retried.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPg, TX_ATTEMPTS } from '../../server/src/db/pg.js';
import type { Db } from '../../server/src/db/types.js';
import { freshPgDatabase, PG_URL } from '../helpers/db.js';

const LOCK = 7_362_190_999; // a key of its own: not the real chain lock, same kind of lock

describe.skipIf(!PG_URL)('PostgreSQL transactions: deadlock retry', () => {
  let fresh: Awaited<ReturnType<typeof freshPgDatabase>>;
  let db: Db;
  beforeAll(async () => {
    fresh = await freshPgDatabase('txconflict');
    db = openPg(fresh.url, { max: 4 });
    await db.exec('CREATE TABLE t (id int PRIMARY KEY, n int NOT NULL DEFAULT 0); INSERT INTO t (id) VALUES (1);');
  });
  afterAll(async () => {
    await db?.close();
    await fresh?.drop();
  });

  it('two transactions locking in opposite orders both commit; the aborted one ran again', async () => {
    let attemptsA = 0;
    let attemptsB = 0;
    // Each side waits until the other holds its first lock, so the cycle is certain on the first attempt.
    let aHolds!: () => void;
    let bHolds!: () => void;
    const aLocked = new Promise<void>((r) => (aHolds = r));
    const bLocked = new Promise<void>((r) => (bHolds = r));
    const a = db.tx(async (q) => {
      attemptsA++;
      await q.query('UPDATE t SET n = n + 1 WHERE id = 1');
      aHolds();
      if (attemptsA === 1) await bLocked;
      await q.query('SELECT pg_advisory_xact_lock($1)', [LOCK]);
    });
    const b = db.tx(async (q) => {
      attemptsB++;
      await q.query('SELECT pg_advisory_xact_lock($1)', [LOCK]);
      bHolds();
      if (attemptsB === 1) await aLocked;
      await q.query('UPDATE t SET n = n + 1 WHERE id = 1');
    });
    await Promise.all([a, b]);
    // Exactly one of the two was chosen as the deadlock victim and ran a second time.
    expect(attemptsA + attemptsB).toBe(3);
    const r = await db.query<{ n: number }>('SELECT n FROM t WHERE id = 1');
    expect(r.rows[0].n).toBe(2); // each committed once: the aborted attempt left nothing
  });

  it('a deterministic error is thrown at once, not retried', async () => {
    let attempts = 0;
    await expect(
      db.tx(async (q) => {
        attempts++;
        await q.query('INSERT INTO t (id) VALUES (1)'); // duplicate key: 23505
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect(attempts).toBe(1);
  });

  it('a conflict that keeps recurring is thrown after TX_ATTEMPTS runs', async () => {
    let attempts = 0;
    await expect(
      db.tx(async (q) => {
        attempts++;
        await q.query(`DO $$ BEGIN RAISE EXCEPTION 'forced' USING ERRCODE = '40001'; END $$`);
      }),
    ).rejects.toMatchObject({ code: '40001' });
    expect(attempts).toBe(TX_ATTEMPTS);
  });
});
