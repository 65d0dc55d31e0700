import { describe, expect, it } from 'vitest';
import { renderStatus, type StatusView } from './status.js';

const view = (clockSkewSec: number | null): StatusView => ({
  deviceId: 'dev_x', server: 'http://c', state: 'compliant', exitCode: 0, source: 'local', connection: 'connected',
  lastCycleAt: null, lastAckAt: null, queuedReports: 0, lastError: null, clockSkewSec, quarantinedReports: 0, collectorUnreachable: null, verdictsFrom: null, checks: [],
});

describe('status clock warning', () => {
  it('tells the employee when the clock is far from the collector’s', () => {
    expect(renderStatus(view(-900))).toMatch(/clock is 15 minute\(s\) ahead of the collector/);
    expect(renderStatus(view(600))).toMatch(/10 minute\(s\) behind/);
  });
  it('says nothing for a small difference or when unknown', () => {
    expect(renderStatus(view(30))).not.toMatch(/Clock:/);
    expect(renderStatus(view(null))).not.toMatch(/Clock:/);
  });
});
