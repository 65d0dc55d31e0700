/**
 * Reports that leave out an unchanged software list (FEATURE_SOFTWARE_DELTA): the collector
 * announces the feature, keeps the list it last received under the report's hash, drops it when
 * the hash moved without a list (never shows a list the device did not report under that hash),
 * and still takes whole-list reports without a hash (agents from before the feature). Both stores.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { softwareListHash } from '../../shared/src/protocol/inventory.js';
import { FEATURE_SOFTWARE_DELTA } from '../../shared/src/protocol/messages.js';
import { backends } from '../helpers/db.js';
import { startTestCollector, type TestCollector } from '../helpers/collector.js';
import { connectDevice, enrollDevice, makePayload, nextMessage, signJson, type TestDevice } from '../helpers/device.js';

const LIST = [{ name: 'bash', version: '5.2.15' }, { name: 'openssh-server', version: '9.2p1' }];
const NEWER = [...LIST, { name: 'nmap', version: '7.93' }];

for (const backend of backends()) {
  describe(`software list by hash (${backend})`, () => {
    let c: TestCollector;
    beforeAll(async () => {
      c = await startTestCollector(backend);
    }, 120_000);
    afterAll(async () => c?.cleanup());

    /** Sign and send one report whose inventory is changed by `edit`; resolves on its ack. */
    const sender = async (d: TestDevice) => {
      const s = await connectDevice(d);
      let t = Date.now() - 60_000;
      const send = async (edit: (inv: Record<string, unknown>) => void) => {
        const p = makePayload(d, { collectedAt: new Date((t += 1000)) });
        edit(p.inventory as unknown as Record<string, unknown>);
        const jws = await signJson(d.key, p);
        s.ws.send(JSON.stringify({ type: 'report', id: p.reportId, jws }));
        const m = await nextMessage(s.messages, (x) => (x.type === 'ack' || x.type === 'reject') && x.id === p.reportId);
        expect(m.type, JSON.stringify(m)).toBe('ack');
        return p.reportId;
      };
      return { s, send };
    };
    const software = async (id: string) => {
      await c.projector.catchUp();
      const r = await c.db.query<{ inventory: { software?: unknown; softwareHash?: string } }>('SELECT inventory FROM devices WHERE id = $1', [id]);
      return r.rows[0].inventory;
    };

    it('announces the feature after the welcome', async () => {
      const d = await enrollDevice(c.url);
      const s = await connectDevice(d);
      const f = await nextMessage(s.messages, (m) => m.type === 'features');
      expect(f.accepts).toContain(FEATURE_SOFTWARE_DELTA);
      s.ws.close();
    });

    it('keeps the list across reports that carry only its hash, and drops it when the hash moves without a list', async () => {
      const d = await enrollDevice(c.url);
      const { s, send } = await sender(d);
      await send((inv) => Object.assign(inv, { software: LIST, softwareHash: softwareListHash(LIST) }));
      expect((await software(d.deviceId)).software).toEqual(LIST);
      for (let i = 0; i < 3; i++) await send((inv) => Object.assign(inv, { softwareHash: softwareListHash(LIST) }));
      const kept = await software(d.deviceId);
      expect(kept.software).toEqual(LIST);
      expect(kept.softwareHash).toBe(softwareListHash(LIST));
      // The device says its list changed but did not send it (its report with the list was lost):
      // the old list is not shown under the new hash.
      await send((inv) => Object.assign(inv, { softwareHash: softwareListHash(NEWER) }));
      const dropped = await software(d.deviceId);
      expect(dropped.software).toBeUndefined();
      expect(dropped.softwareHash).toBe(softwareListHash(NEWER));
      // The help desk reads that the list is on its way, not "no software".
      const page = await c.api(`/devices/${d.deviceId}`);
      expect(page.status).toBe(200);
      expect(String(page.body)).toContain('id="software-pending"');
      await send((inv) => Object.assign(inv, { software: NEWER, softwareHash: softwareListHash(NEWER) }));
      expect((await software(d.deviceId)).software).toEqual(NEWER);
      s.ws.close();
    });

    it('takes the list from an earlier report of the same batch', async () => {
      const d = await enrollDevice(c.url);
      const { s, send } = await sender(d);
      // Both arrive before the projector runs, so they are applied in one pass.
      await c.projector.stop();
      try {
        await send((inv) => Object.assign(inv, { software: NEWER, softwareHash: softwareListHash(NEWER) }));
        await send((inv) => Object.assign(inv, { softwareHash: softwareListHash(NEWER) }));
        expect((await software(d.deviceId)).software).toEqual(NEWER);
      } finally {
        c.projector.start();
      }
      s.ws.close();
    });

    it('a whole-list report without a hash (an older agent) is stored as before', async () => {
      const d = await enrollDevice(c.url);
      const { s, send } = await sender(d);
      await send((inv) => Object.assign(inv, { software: LIST }));
      const inv = await software(d.deviceId);
      expect(inv.software).toEqual(LIST);
      expect(inv.softwareHash).toBeUndefined();
      s.ws.close();
    });

    it('a malformed hash is refused naming the field', async () => {
      const d = await enrollDevice(c.url);
      const s = await connectDevice(d);
      const p = makePayload(d);
      (p.inventory as unknown as Record<string, unknown>).softwareHash = 'not-a-hash';
      s.ws.send(JSON.stringify({ type: 'report', id: p.reportId, jws: await signJson(d.key, p) }));
      const m = await nextMessage(s.messages, (x) => (x.type === 'ack' || x.type === 'reject') && x.id === p.reportId);
      expect(m.type).toBe('reject');
      expect(JSON.stringify(m)).toMatch(/softwareHash/);
      s.ws.close();
    });
  });
}
