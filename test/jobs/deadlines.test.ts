/**
 * Time-driven transitions happen without a new report: a grace deadline passing makes the
 * device noncompliant, and an expired exclusion stops covering its check.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../helpers/db.js';
import { startTestCollector, type TestCollector } from '../helpers/collector.js';
import { connectDevice, enrollDevice, nextMessage, sampleChecks, signedReport } from '../helpers/device.js';
import { waitFor } from '../helpers/agent.js';
import { DEFAULT_POLICY } from '../../shared/src/policy/default-policy.js';

const failingFirewall = () => sampleChecks({ firewall: { status: 'fail', evidence: { facts: { inboundFiltered: false, backends: ['nftables'] } } } });

describe.each(backends())('deadline and expiry jobs on %s', (backend) => {
  let c: TestCollector;
  beforeAll(async () => {
    c = await startTestCollector(backend);
    // 3 seconds of grace for the firewall.
    await c.ctx.policy.record({ ...DEFAULT_POLICY, checks: { ...DEFAULT_POLICY.checks, firewall: { ...DEFAULT_POLICY.checks.firewall, graceHours: 3 / 3600 } } }, 'test', 'test');
  });
  afterAll(async () => c?.cleanup());

  async function report(checks = failingFirewall()) {
    const d = await enrollDevice(c.url);
    const s = await connectDevice(d);
    const r = await signedReport(d, { checks });
    s.ws.send(JSON.stringify({ type: 'report', id: r.id, jws: r.jws }));
    await nextMessage(s.messages, (m) => m.type === 'ack');
    await c.projector.catchUp();
    s.ws.close();
    return d;
  }
  const state = async (id: string) => (await c.api(`/api/v1/devices/${id}`)).body.state;

  it('a failing check past its grace deadline makes the device noncompliant without a new report', async () => {
    const d = await report();
    expect(await state(d.deviceId)).toBe('failing');
    await waitFor(async () => (await state(d.deviceId)) === 'noncompliant', 15_000, 250);
    const ev = await c.db.query<{ to_state: string; detail: { job?: string } }>(`SELECT to_state, detail FROM state_events WHERE device_id = $1 AND check_id = '*' ORDER BY id DESC LIMIT 1`, [d.deviceId]);
    expect(ev.rows[0]).toMatchObject({ to_state: 'noncompliant', detail: { job: 'grace-deadline' } });
  });

  it('an expired exclusion stops covering its check', async () => {
    const d = await report(sampleChecks({ usb_storage: { status: 'fail', evidence: { facts: { policy: 'allowed', mechanisms: [], attachedMassStorage: [] } } } }));
    await c.db.query(`INSERT INTO exclusions (id, device_id, check_id, rationale, approved_by, expires_at) VALUES ($1, $2, 'usb_storage', 'pilot group, USB needed for lab work', 'test', now() + interval '3 seconds')`, [`ex_${d.deviceId}`, d.deviceId]);
    const { reevaluateDevice } = await import('../../server/src/exclusions/reevaluate.js');
    await c.db.tx((q) => reevaluateDevice(q, c.ctx.policy.policy, d.deviceId, [], { test: true }));
    expect(await state(d.deviceId)).toBe('compliant');
    await waitFor(async () => (await state(d.deviceId)) === 'failing', 15_000, 250);
  });
});
