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

describe('update-now of an offline device', () => {
  let c: TestCollector;
  beforeAll(async () => {
    c = await startTestCollector('pglite');
  });
  afterAll(async () => c?.cleanup());

  // Issued between enrollment and the agent's first connection (the self-update test's order):
  // it used to be marked delivered and dropped, so the agent never tried.
  it('is delivered on connect until the device answers it', async () => {
    const d = await enrollDevice(c.url);
    const r = await c.api(`/api/v1/devices/${d.deviceId}/update-now`, { method: 'POST' });
    expect(r.status).toBe(202);
    const s = await connectDevice(d);
    const cmd = await nextMessage(s.messages, (m) => m.type === 'command' && m.command === 'update-now');
    expect(cmd.commandId).toBe(r.body.commandId);
    s.ws.send(JSON.stringify({ type: 'command-result', commandId: cmd.commandId, ok: true, error: 'up-to-date' }));
    await new Promise((res) => setTimeout(res, 1000));
    s.ws.close();
    // Answered: a reconnect does not ask again.
    const s2 = await connectDevice(d);
    const again = await Promise.race([
      nextMessage(s2.messages, (m) => m.type === 'command' && m.command === 'update-now').then(() => 'resent'),
      new Promise((res) => setTimeout(() => res('not resent'), 3000)),
    ]);
    expect(again).toBe('not resent');
    s2.ws.close();
  });
});
