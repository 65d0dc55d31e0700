/**
 * Acceptance QA: when the agent cannot deliver, `posture-agent status` said only "Connection:
 * waiting"; the reason (collector unreachable, key refused) and refused reports were in
 * status.json but never shown. Pure view/render functions on the real status shape.
 */
import { describe, expect, it } from 'vitest';
import { buildStatusView, renderStatus } from '../../agent/src/cli/status.js';
import type { AgentStatus } from '../../agent/src/runtime/status-file.js';

const base: AgentStatus = {
  deviceId: 'dev_x',
  server: 'http://collector:8080',
  connection: 'waiting',
  revoked: false,
  lastCycleAt: new Date().toISOString(),
  lastAckAt: null,
  lastError: 'closed by collector: 4002 key is not the device’s current key',
  spool: { pending: 2, evicted: 0, quarantined: 1, bytes: 100, nextSeq: 5 },
  checks: [{ id: 'firewall', status: 'pass', summary: 'on', remediation: [] }],
};

describe('status shows why delivery fails', () => {
  it('names the last error and the set-aside reports while not connected', () => {
    const v = buildStatusView({ deviceId: 'dev_x', server: base.server }, base, null);
    expect(v.lastError).toMatch(/4002/);
    expect(v.quarantinedReports).toBe(1);
    const text = renderStatus(v);
    expect(text).toMatch(/Problem: closed by collector: 4002/);
    expect(text).toMatch(/Set aside: 1 report/);
  });

  it('shows no stale problem once connected', () => {
    const v = buildStatusView({ deviceId: 'dev_x', server: base.server }, { ...base, connection: 'connected', spool: { ...base.spool, quarantined: 0 } }, null);
    expect(v.lastError).toBeNull();
    expect(renderStatus(v)).not.toMatch(/Problem:|Set aside:/);
  });
});
