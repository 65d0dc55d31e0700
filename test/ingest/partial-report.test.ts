/**
 * A check-now for some checks produces a report with only those checks; the others must
 * keep their last result and state instead of turning "unknown".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, type TestCollector } from '../helpers/collector.js';
import { connectDevice, enrollDevice, nextMessage, sampleChecks, signedReport } from '../helpers/device.js';

describe('partial reports', () => {
  let c: TestCollector;
  beforeAll(async () => {
    c = await startTestCollector('pglite');
  });
  afterAll(async () => c?.cleanup());

  it('keeps the checks a report does not carry', async () => {
    const d = await enrollDevice(c.url);
    const s = await connectDevice(d);
    const full = await signedReport(d, { checks: sampleChecks({ firewall: { status: 'fail', evidence: { facts: { inboundFiltered: false, backends: ['nftables'] } } } }) });
    s.ws.send(JSON.stringify({ type: 'report', id: full.id, jws: full.jws }));
    await nextMessage(s.messages, (m) => m.type === 'ack' && m.id === full.id);
    const only = await signedReport(d, { checks: sampleChecks({ usb_storage: { summary: 'USB storage blocked (re-checked)' } }).filter((x) => x.id === 'usb_storage'), trigger: 'check-now:cmd_x' });
    s.ws.send(JSON.stringify({ type: 'report', id: only.id, jws: only.jws }));
    await nextMessage(s.messages, (m) => m.type === 'ack' && m.id === only.id);
    await c.projector.catchUp();
    s.ws.close();
    const dev = (await c.api(`/api/v1/devices/${d.deviceId}`)).body;
    expect(dev.state).toBe('failing');
    expect(dev.failingChecks).toEqual(['firewall']);
    const byId = Object.fromEntries(dev.checks.map((x: { id: string }) => [x.id, x]));
    expect(byId.firewall.state).toBe('failing');
    expect(byId.firewall.reportId).toBe(full.id); // still the result it came from
    expect(byId.usb_storage.reportId).toBe(only.id); // its result changed in the partial report
    expect(byId.firewall.checkedAt).toBe(byId.firewall.collectedAt); // not re-checked by the partial report
    expect(Date.parse(byId.usb_storage.checkedAt)).toBeGreaterThanOrEqual(Date.parse(byId.firewall.checkedAt));
    expect(dev.checks).toHaveLength(6);
  });

  it('does not rewrite an unchanged result, but shows when it was last confirmed', async () => {
    const d = await enrollDevice(c.url);
    const s = await connectDevice(d);
    const send = async (at: Date) => {
      const r = await signedReport(d, { collectedAt: at });
      s.ws.send(JSON.stringify({ type: 'report', id: r.id, jws: r.jws }));
      await nextMessage(s.messages, (m) => m.type === 'ack' && m.id === r.id);
      return r;
    };
    const first = await send(new Date(Date.now() - 60_000));
    const second = await send(new Date());
    await c.projector.catchUp();
    s.ws.close();
    const fw = (await c.api(`/api/v1/devices/${d.deviceId}`)).body.checks.find((x: { id: string }) => x.id === 'firewall');
    expect(fw.reportId).toBe(first.id);
    expect(fw.checkedAt).toBe(second.payload.collectedAt);
  });
});
