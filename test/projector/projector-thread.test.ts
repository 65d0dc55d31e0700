/**
 * The projector on its own worker thread and PostgreSQL pool (POSTURE_PROJECTOR_THREAD=on,
 * server/src/projector/thread.ts): a report acked over a real socket is applied by that thread —
 * the device's last report time and one state event per check plus one for the device —
 * and the same report sent again is acked as a duplicate and applied no second time.
 * PostgreSQL only (the thread opens its own pool; PGlite lives in one thread).
 */
import { describe, expect, it, vi } from 'vitest';
import { ProjectorThread } from '../../server/src/projector/thread.js';
import { PG_URL } from '../helpers/db.js';
import { startTestCollector } from '../helpers/collector.js';
import { connectDevice, enrollDevice, nextMessage, signedReport } from '../helpers/device.js';
import { waitFor } from '../helpers/agent.js';

describe.skipIf(!PG_URL)('projector on a worker thread', () => {
  it('applies an acked report once, a resent duplicate not again', async () => {
    // Observed, not replaced: proves the commits woke the thread (the in-process projector is not started).
    const woken = vi.spyOn(ProjectorThread.prototype, 'wake');
    const c = await startTestCollector('pg', { POSTURE_PROJECTOR_THREAD: 'on' });
    try {
      const d = await enrollDevice(c.url);
      const s = await connectDevice(d);
      await nextMessage(s.messages, (m) => m.type === 'welcome');
      const events = async () => Number((await c.db.query<{ n: string }>('SELECT count(*) AS n FROM state_events WHERE device_id = $1', [d.deviceId])).rows[0].n);
      const atEnrollment = await events(); // enrollment records the device's first state itself
      const r = await signedReport(d);
      s.ws.send(JSON.stringify({ type: 'report', id: r.id, jws: r.jws }));
      await nextMessage(s.messages, (m) => m.type === 'ack' && m.id === r.id);
      const lastReport = async () => (await c.db.query<{ last_report_at: Date | null }>('SELECT last_report_at FROM devices WHERE id = $1', [d.deviceId])).rows[0]?.last_report_at;
      const at = await waitFor(async () => lastReport(), 20_000, 100);
      expect(new Date(at).toISOString()).toBe(r.payload.collectedAt);
      expect(await events()).toBe(atEnrollment + r.payload.checks.length + 1);

      s.ws.send(JSON.stringify({ type: 'report', id: r.id, jws: r.jws }));
      const dup = await nextMessage(s.messages, (m) => m.type === 'ack' && m.id === r.id && m.duplicate === true);
      expect(dup.duplicate).toBe(true);
      // A later report from the device shows the thread still runs, and the duplicate added nothing.
      const r2 = await signedReport(d);
      s.ws.send(JSON.stringify({ type: 'report', id: r2.id, jws: r2.jws }));
      await nextMessage(s.messages, (m) => m.type === 'ack' && m.id === r2.id);
      await waitFor(async () => (new Date((await lastReport()) ?? 0).toISOString() === r2.payload.collectedAt ? true : undefined), 20_000, 100);
      expect(await events()).toBe(atEnrollment + r.payload.checks.length + 1);
      expect(woken).toHaveBeenCalled();
      s.ws.close();
    } finally {
      woken.mockRestore();
      await c.cleanup();
    }
  });
});
