/**
 * A collector with the verification pool on (POSTURE_VERIFY_WORKERS=1, real worker thread,
 * real socket): a good report is acked only after it is stored, verbatim; a report whose
 * signature was changed is refused once with the same code as without the pool, and not stored.
 */
import { describe, expect, it, vi } from 'vitest';
import { VerifyPool } from '../../server/src/ingest/verify-pool.js';
import { startTestCollector } from '../helpers/collector.js';
import { connectDevice, enrollDevice, nextMessage, signedReport } from '../helpers/device.js';

describe('socket path with report verification in a worker thread', () => {
  it('acks a stored good report and refuses a changed signature with bad_signature', async () => {
    // Observed, not replaced: the real pool runs; the spy only proves the socket path used it.
    const through = vi.spyOn(VerifyPool.prototype, 'verify');
    const c = await startTestCollector('pglite', { POSTURE_VERIFY_WORKERS: '1' });
    try {
      const d = await enrollDevice(c.url);
      const s = await connectDevice(d);
      await nextMessage(s.messages, (m) => m.type === 'welcome');
      const good = await signedReport(d);
      s.ws.send(JSON.stringify({ type: 'report', id: good.id, jws: good.jws }));
      await nextMessage(s.messages, (m) => m.type === 'ack' && m.id === good.id);
      const row = await c.db.query<{ jws: string }>('SELECT jws FROM reports WHERE report_id = $1', [good.id]);
      expect(row.rows[0].jws).toBe(good.jws);

      const bad = await signedReport(d);
      const [h, p, sig] = bad.jws.split('.');
      const changed = `${h}.${p}.${(sig[0] === 'A' ? 'B' : 'A') + sig.slice(1)}`;
      s.ws.send(JSON.stringify({ type: 'report', id: bad.id, jws: changed }));
      const m = await nextMessage(s.messages, (x) => x.id === bad.id);
      expect([m.type, m.code]).toEqual(['reject', 'bad_signature']);
      expect((await c.db.query('SELECT 1 FROM reports WHERE report_id = $1', [bad.id])).rows).toEqual([]);
      expect(through.mock.calls.map((call) => call[1])).toEqual([good.id, bad.id]);
      s.ws.close();
    } finally {
      through.mockRestore();
      await c.cleanup();
    }
  });
});
