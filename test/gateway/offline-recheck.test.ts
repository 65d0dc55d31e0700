/** A re-check requested while the device is offline reaches it when it reconnects. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, type TestCollector } from '../helpers/collector.js';
import { connectDevice, enrollDevice, nextMessage } from '../helpers/device.js';

describe('re-check of an offline device', () => {
  let c: TestCollector;
  beforeAll(async () => {
    c = await startTestCollector('pglite');
  });
  afterAll(async () => c?.cleanup());

  it('is delivered on reconnect', async () => {
    const d = await enrollDevice(c.url);
    const r = await c.api(`/api/v1/devices/${d.deviceId}/check-now`, { method: 'POST', body: JSON.stringify({ checks: ['firewall'] }) });
    expect(r.status).toBe(202);
    const s = await connectDevice(d);
    const cmd = await nextMessage(s.messages, (m) => m.type === 'command' && m.command === 'check-now');
    expect(cmd.commandId).toBe(r.body.commandId);
    expect(cmd.checks).toEqual(['firewall']);
    s.ws.close();
  });
});
