/**
 * Offline: the collector is down while an agent produces 500 reports; when it comes back,
 * all 500 arrive, in order, exactly once.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { backends, freePort, tempDir } from '../helpers/db.js';
import { startTestCollector, type TestCollector } from '../helpers/collector.js';
import { produce, stopFleet, type FleetAgent } from '../helpers/fleet.js';
import { enrollDevice, makePayload } from '../helpers/device.js';
import { waitFor } from '../helpers/agent.js';
import { Spool } from '../../agent/src/spool/spool.js';
import { AgentLink } from '../../agent/src/transport/link.js';
import { join } from 'node:path';

describe.each(backends())('offline agent on %s', (backend) => {
  let c: TestCollector | null = null;
  const fleet: FleetAgent[] = [];
  afterAll(async () => {
    stopFleet(fleet);
    await c?.cleanup();
  });

  it('delivers 500 reports produced while the collector was down, in order, once', async () => {
    const port = await freePort();
    // Enroll while the collector is up, then take it down.
    const first = await startTestCollector(backend, { PORT: String(port) });
    const device = await enrollDevice(first.url);
    const dataDir = first.dataDir;
    const dbUrl = first.databaseUrl;
    await first.close();

    const dir = tempDir('posture-offline-');
    const spool = new Spool(join(dir, 'spool'), join(dir, 'q'));
    const a: FleetAgent = { device, spool, produced: [], closeCodes: [], link: null as never };
    a.link = new AgentLink(
      { server: first.url, deviceId: device.deviceId, audience: device.audience, key: device.key, spool, agentVersion: 't', backoffBaseMs: 100, backoffCapMs: 1000 },
      { onCommand: () => {}, onState: () => {}, log: () => {} },
    );
    fleet.push(a);
    a.link.start();
    for (let i = 0; i < 500; i++) await produce(a);
    expect(spool.size).toBe(500);
    void makePayload;

    // The collector returns (same store, same port).
    c = await startTestCollector(backend, { PORT: String(port), POSTURE_DATA_DIR: dataDir, ...(dbUrl ? { DATABASE_URL: dbUrl } : {}) });
    await waitFor(async () => spool.size === 0, 90_000, 250);
    const rows = await c.db.query<{ report_id: string }>(
      'SELECT report_id FROM reports WHERE device_id = $1 ORDER BY received_at, seq',
      [device.deviceId],
    );
    expect(rows.rows.length).toBe(500);
    expect(rows.rows.map((r) => r.report_id)).toEqual(a.produced);
    const dev = await c.api(`/api/v1/devices/${device.deviceId}`);
    expect(dev.body.lastReportAt).toBeTruthy();
  }, 180_000);
});
