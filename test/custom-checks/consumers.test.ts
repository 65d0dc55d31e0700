/**
 * Custom checks are first-class in every consumer that lists checks: agent `status` and
 * notifications (titles from the policy the agent holds), the My-device page ("what is
 * collected" lists what each custom probe reads), the dashboard's failing-check filter.
 */
import { describe, expect, it } from 'vitest';
import { buildStatusView } from '../../agent/src/cli/status.js';
import { situations } from '../../agent/src/notify/notifier.js';
import { transparencySection } from '../../server/src/mydevice/view.js';
import { parseDeviceFilters } from '../../server/src/dashboard/devices-page.js';
import { DEFAULT_POLICY } from '../../shared/src/policy/default-policy.js';
import type { CustomCheck } from '../../shared/src/custom-checks/schema.js';
import type { CheckResult } from '../../shared/src/checks/result.js';

const vpn: CustomCheck = { id: 'custom.vpn-client', title: 'Company VPN client is installed', probes: { linux: { kind: 'package', names: ['openvpn'] } } };
const result: CheckResult = { id: 'custom.vpn-client', status: 'fail', summary: 'Company VPN client is installed: no', evidence: {}, remediation: { steps: ['Install the VPN client.'] } };

describe('custom checks in consumers', () => {
  it('agent status (local results) and notifications use the custom title', () => {
    const now = new Date();
    const v = buildStatusView(
      { deviceId: 'dev_1', server: 'https://c', policy: { customChecks: [vpn] } },
      { deviceId: 'dev_1', server: 'https://c', connection: 'offline', revoked: false, lastCycleAt: now.toISOString(), lastAckAt: null, lastError: null, spool: { pending: 0, evicted: 0, quarantined: 0, bytes: 0, nextSeq: 1 }, checks: [{ id: result.id, status: 'fail', summary: result.summary, remediation: result.remediation.steps }] },
      null,
      now,
    );
    expect(v.checks.find((c) => c.id === 'custom.vpn-client')?.title).toBe('Company VPN client is installed');
    const s = situations([result], null, now, now, { customChecks: [vpn] });
    expect(s[0]).toMatchObject({ title: 'Company VPN client is installed', state: 'failing', firstStep: 'Install the VPN client.' });
  });

  it('My-device "what is collected" lists what a custom probe reads, per platform', () => {
    const linux = String(transparencySection('linux', [vpn]));
    expect(linux).toContain('data-custom-check="custom.vpn-client"');
    expect(linux).toMatch(/whether one of openvpn is installed, and its version/);
    expect(String(transparencySection('darwin', [vpn]))).not.toContain('custom.vpn-client');
  });

  it('the dashboard filter accepts declared custom ids only', () => {
    const policy = { ...DEFAULT_POLICY, customChecks: [vpn] };
    expect(parseDeviceFilters({ check: 'custom.vpn-client' }, policy).failingCheck).toBe('custom.vpn-client');
    expect(parseDeviceFilters({ check: 'custom.other' }, policy).failingCheck).toBeUndefined();
    expect(parseDeviceFilters({ check: 'firewall' }).failingCheck).toBe('firewall');
  });
});

describe('agent what-is-collected', () => {
  it('lists the custom checks the agent holds for its platform', async () => {
    const { transparencyFor } = await import('../../agent/src/transparency/render.js');
    const t = transparencyFor('linux', [vpn]);
    expect(t.checks.at(-1)).toEqual({ id: 'custom.vpn-client', title: 'Company VPN client is installed (company check)', evidence: ['whether one of openvpn is installed, and its version'], sources: ['the list of installed packages/applications'] });
    expect(transparencyFor('win32', [vpn]).checks).toHaveLength(6);
  });
});
