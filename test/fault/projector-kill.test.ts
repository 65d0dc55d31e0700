/**
 * Fault: kill -9 between report commit and projection. The collector acks reports (committed
 * to the log) while every partition's projector lock is held elsewhere, so none is applied;
 * then it is killed with SIGKILL. A new collector applies each of them exactly once: one
 * projected count per report, one state event per check and device, nothing twice.
 */
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { PG_URL, freePort, freshPgDatabase, tempDir } from '../helpers/db.js';
import { spawnCollectorProcess } from '../helpers/collector.js';
import { connectDevice, enrollDevice, nextMessage, signedReport, type TestDevice } from '../helpers/device.js';
import { waitFor } from '../helpers/agent.js';
import { PARTITIONS, partitionLockKey } from '../../server/src/projector/partition.js';

const DEVICES = 20;
const PER_DEVICE = 3;

describe.skipIf(!PG_URL)('projector across a collector kill -9', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const f of cleanups.reverse()) await f();
  });

  it('applies every acked report exactly once after a kill -9 before projection', async () => {
    const db = await freshPgDatabase('projkill');
    cleanups.push(() => db.drop());
    const env = { PORT: String(await freePort()), POSTURE_DATA_DIR: tempDir(), DATABASE_URL: db.url };
    let proc = spawnCollectorProcess(env);
    cleanups.push(() => void proc.child.kill('SIGKILL'));
    const url = await proc.ready;

    // Hold every partition's projector lock from outside: reports are stored and acked, never applied.
    const blocker = new pg.Client({ connectionString: db.url });
    await blocker.connect();
    cleanups.push(() => blocker.end().catch(() => {}));
    for (let p = 0; p < PARTITIONS; p++) await blocker.query('SELECT pg_advisory_lock($1)', [partitionLockKey(p)]);

    const devices: TestDevice[] = [];
    for (let i = 0; i < DEVICES; i++) devices.push(await enrollDevice(url));
    const acked: string[] = [];
    for (const d of devices) {
      const s = await connectDevice(d);
      for (let k = 0; k < PER_DEVICE; k++) {
        const r = await signedReport(d, { collectedAt: new Date(Date.now() - (PER_DEVICE - k) * 1000) });
        s.ws.send(JSON.stringify({ type: 'report', id: r.id, jws: r.jws }));
        await nextMessage(s.messages, (m) => m.type === 'ack' && m.id === r.id);
        acked.push(r.id);
      }
      s.ws.close();
    }
    const q = (sql: string, params: unknown[] = []) => blocker.query(sql, params);
    expect(Number((await q('SELECT count(*) AS n FROM reports')).rows[0].n)).toBe(acked.length);
    // Committed, acked, and not applied: the window the kill lands in.
    expect(Number((await q('SELECT coalesce(sum(reports_projected), 0) AS n FROM devices')).rows[0].n)).toBe(0);
    // (enrollment writes no report events; none from reports yet)
    expect(Number((await q('SELECT count(*) AS n FROM state_events WHERE report_id IS NOT NULL')).rows[0].n)).toBe(0);

    proc.child.kill('SIGKILL');
    await new Promise((r) => proc.child.once('exit', r));
    for (let p = 0; p < PARTITIONS; p++) await blocker.query('SELECT pg_advisory_unlock($1)', [partitionLockKey(p)]);

    proc = spawnCollectorProcess(env);
    await proc.ready;
    await waitFor(async () => Number((await q('SELECT coalesce(sum(reports_projected), 0) AS n FROM devices')).rows[0].n) === acked.length, 60_000, 200);
    // Let a few more polling passes run: nothing may be applied a second time.
    await new Promise((r) => setTimeout(r, 1500));
    const per = await q('SELECT d.id, d.reports_projected, d.state, (SELECT count(*) FROM reports r WHERE r.device_id = d.id) AS stored FROM devices d');
    for (const row of per.rows) {
      expect(Number(row.reports_projected)).toBe(PER_DEVICE);
      expect(Number(row.stored)).toBe(PER_DEVICE);
      expect(row.state).toBe('compliant');
    }
    const positions = await q('SELECT coalesce(sum(projected), 0) AS n FROM projector_positions');
    expect(Number(positions.rows[0].n)).toBe(acked.length);
    // Each device: one event per check and one for the device (first report); identical later reports add none.
    const ev = await q(`SELECT device_id, count(*) AS n FROM state_events WHERE report_id IS NOT NULL GROUP BY device_id`);
    expect(ev.rows).toHaveLength(DEVICES);
    for (const row of ev.rows) expect(Number(row.n)).toBe(6 + 1);
    expect(Number((await q('SELECT count(*) AS n FROM projector_failures')).rows[0].n)).toBe(0);
  }, 180_000);
});
