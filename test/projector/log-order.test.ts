/**
 * The projector against the real log on PostgreSQL: it never skips a report whose transaction
 * commits late (a lower ingest_seq committing after a higher one), applies each report exactly
 * once, resumes from its stored position, and passes over a report it cannot apply instead of
 * stalling its partition.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { PG_URL, freshPgDatabase } from '../helpers/db.js';
import { openPg } from '../../server/src/db/pg.js';
import { migrate } from '../../server/src/db/migrate.js';
import type { Db } from '../../server/src/db/types.js';
import { storeReports } from '../../server/src/ingest/store.js';
import type { VerifiedReport } from '../../server/src/ingest/apply.js';
import { Projector } from '../../server/src/projector/projector.js';
import { DEFAULT_POLICY } from '../../shared/src/policy/default-policy.js';
import { makePayload, sampleInventory, type TestDevice } from '../helpers/device.js';

/** A stored-report shape as the gateway hands it over (the projector does not re-verify). */
function report(d: TestDevice, at = new Date()): VerifiedReport {
  const payload = makePayload(d, { collectedAt: at });
  const b64 = (s: string) => Buffer.from(s).toString('base64url');
  return { payload, kid: 'k1', jws: `${b64('{"alg":"EdDSA","kid":"k1"}')}.${b64(JSON.stringify(payload))}.${b64('sig')}` };
}

async function device(db: Db): Promise<TestDevice> {
  const id = `dev_${randomBytes(6).toString('hex')}`;
  await db.query(`INSERT INTO devices (id, fingerprint, hostname, platform, inventory) VALUES ($1, $2, 'h', 'linux', $3)`, [id, randomBytes(16).toString('hex'), JSON.stringify(sampleInventory('h'))]);
  return { deviceId: id, audience: 'a', key: null as never, fingerprint: '', server: '', seq: 0 };
}

const applied = async (db: Db, id: string) => Number((await db.query<{ n: string }>('SELECT reports_projected AS n FROM devices WHERE id = $1', [id])).rows[0].n);

describe.skipIf(!PG_URL)('projector on PostgreSQL', () => {
  let fresh: Awaited<ReturnType<typeof freshPgDatabase>>;
  let db: Db;
  const policy = { policy: DEFAULT_POLICY };
  beforeAll(async () => {
    fresh = await freshPgDatabase('proj');
    db = await openPg(fresh.url, { max: 4 });
    await migrate(db);
  });
  afterAll(async () => {
    await db?.close();
    await fresh?.drop();
  });

  it('does not pass over a report whose transaction commits after a later one', async () => {
    const d = await device(db);
    const late = new pg.Client({ connectionString: fresh.url });
    await late.connect();
    try {
      // Writer A stores first (lower ingest_seq) but commits last.
      await late.query('BEGIN');
      const a = report(d, new Date(Date.now() - 1000));
      await storeReports({ query: async (sql, params) => { const r = await late.query(sql, params as unknown[]); return { rows: r.rows, rowCount: r.rowCount ?? 0 }; } }, [a]);
      const b = report(d);
      await db.tx((q) => storeReports(q, [b]));
      const seqs = (await db.query<{ report_id: string; ingest_seq: string }>('SELECT report_id, ingest_seq FROM reports WHERE report_id = $1', [b.payload.reportId])).rows;
      expect(seqs).toHaveLength(1); // B is visible, A is not yet

      const p = new Projector(db, policy);
      expect(await p.catchUp()).toBe(0); // B waits behind the writer still in progress
      expect(await applied(db, d.deviceId)).toBe(0);

      await late.query('COMMIT');
      expect(await p.catchUp()).toBe(2);
      expect(await applied(db, d.deviceId)).toBe(2);
      // A fresh projector (another collector, a restart) resumes from the stored position.
      expect(await new Projector(db, policy).catchUp()).toBe(0);
      expect(await applied(db, d.deviceId)).toBe(2);
      const dev = (await db.query<{ state: string; last_report_at: Date }>('SELECT state, last_report_at FROM devices WHERE id = $1', [d.deviceId])).rows[0];
      expect(dev.state).toBe('compliant');
      expect(new Date(dev.last_report_at).toISOString()).toBe(b.payload.collectedAt);
      // One event per check and one for the device: the first report moved them, the second changed nothing.
      const ev = await db.query<{ n: string }>('SELECT count(*) AS n FROM state_events WHERE device_id = $1', [d.deviceId]);
      expect(Number(ev.rows[0].n)).toBe(a.payload.checks.length + 1);
    } finally {
      await late.end();
    }
  });

  it('a writer holding its lock in another session does not stall reports stored before it', async () => {
    const d = await device(db);
    const first = report(d);
    await db.tx((q) => storeReports(q, [first]));
    const other = new pg.Client({ connectionString: fresh.url });
    await other.connect();
    try {
      // A long unrelated write transaction (not a report writer) must not hold projection back.
      await other.query('BEGIN');
      await other.query(`UPDATE collector_meta SET value = value WHERE key = 'none'`);
      await other.query('SELECT pg_current_xact_id()');
      expect(await new Projector(db, policy).catchUp()).toBe(1);
      expect(await applied(db, d.deviceId)).toBe(1);
    } finally {
      await other.query('ROLLBACK');
      await other.end();
    }
  });

  it('records a report it cannot decode once and moves on', async () => {
    const d = await device(db);
    const bad = report(d, new Date(Date.now() - 1000));
    // A row whose JWS was edited in the database so that its payload no longer decodes.
    const b64 = (s: string) => Buffer.from(s).toString('base64url');
    bad.jws = `${b64('{"alg":"EdDSA","kid":"k1"}')}.${b64('{"not":"a report"')}.${b64('sig')}`;
    const good = report(d);
    await db.tx((q) => storeReports(q, [bad, good]));
    const p = new Projector(db, policy);
    expect(await p.catchUp()).toBe(2);
    expect(await applied(db, d.deviceId)).toBe(1);
    const f = await db.query<{ report_id: string; error: string }>('SELECT report_id, error FROM projector_failures');
    expect(f.rows.map((r) => r.report_id)).toEqual([bad.payload.reportId]);
    expect(f.rows[0].error).toMatch(/does not decode/);
    // The failure is not retried forever: the position is past it.
    expect(await p.catchUp()).toBe(0);
  });

  it('isolates a report the evaluator cannot apply and applies its neighbours', async () => {
    const d = await device(db);
    const ok1 = report(d, new Date(Date.now() - 2000));
    const broken = report(d, new Date(Date.now() - 1000));
    // Decodes, but is not a report (no checks array): applying it throws.
    const b64 = (s: string) => Buffer.from(s).toString('base64url');
    broken.jws = `${b64('{"alg":"EdDSA"}')}.${b64(JSON.stringify({ ...broken.payload, checks: null }))}.${b64('sig')}`;
    const ok2 = report(d);
    await db.tx((q) => storeReports(q, [ok1, broken, ok2]));
    const p = new Projector(db, policy);
    expect(await p.catchUp()).toBe(3);
    expect(await applied(db, d.deviceId)).toBe(2);
    const f = await db.query<{ report_id: string }>('SELECT report_id FROM projector_failures WHERE report_id = $1', [broken.payload.reportId]);
    expect(f.rows).toHaveLength(1);
  });
});
