import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from './default-policy.js';
import { explainPolicy, resolvePolicy } from './effective.js';
import { evaluateDevice } from './evaluate.js';
import { parsePolicy } from './load.js';
import { ownerCheck, OWNER_CHECK_ID } from './owner-check.js';
import type { Policy } from './schema.js';
import type { CheckResult } from '../checks/result.js';

const policy: Policy = {
  ...structuredClone(DEFAULT_POLICY),
  customChecks: [{ id: 'custom.vpn', title: 'VPN client', required: true, graceHours: 24, probes: { linux: { kind: 'file', path: '/etc/vpn.conf' } } } as never],
  groups: [
    { name: 'servers', intervalSec: 300, checks: { screen_lock: { required: false }, patch_level: { graceHours: 24, platforms: { linux: { maxDaysSinceUpdate: 7 } } } } },
    { name: 'strict', checks: { screen_lock: { required: true, maxIdleSeconds: 300 }, patch_level: { graceHours: 4 }, 'custom.vpn': { graceHours: 0 } }, people: { ownerRequired: true } },
  ],
};

describe('effective policy (group overrides)', () => {
  it('a device in no listed group gets the policy object unchanged', () => {
    expect(resolvePolicy(policy, 'linux', [])).toBe(policy);
    expect(resolvePolicy(policy, 'linux', ['unknown-group'])).toBe(policy);
    expect(resolvePolicy(policy, 'linux', undefined)).toBe(policy);
  });

  it('later groups in policy order win, whatever order the device lists them in', () => {
    for (const groups of [['servers', 'strict'], ['strict', 'servers']]) {
      const p = resolvePolicy(policy, 'linux', groups);
      expect(p.checks.screen_lock.required).toBe(true);
      expect(p.checks.screen_lock.maxIdleSeconds).toBe(300);
      expect(p.checks.patch_level.graceHours).toBe(4);
      // A setting only the earlier group sets survives (the platform override of servers).
      expect(p.checks.patch_level.maxDaysSinceUpdate).toBe(7);
      expect(p.intervalSec).toBe(300);
      expect(p.people?.ownerRequired).toBe(true);
      expect(p.customChecks?.[0].graceHours).toBe(0);
      expect(p.checks.firewall).toBe(policy.checks.firewall); // untouched checks keep their rule
    }
  });

  it("a group's rule beats the policy's platform override; the group's platform override beats its rule", () => {
    const p: Policy = { ...policy, groups: [{ name: 'g', checks: { patch_level: { minOsVersion: '13.0', platforms: { win32: { minOsVersion: '10.0.22000' } } } } }] };
    expect(resolvePolicy(p, 'darwin', ['g']).checks.patch_level.minOsVersion).toBe('13.0'); // policy said 14.0 for darwin
    expect(resolvePolicy(p, 'win32', ['g']).checks.patch_level.minOsVersion).toBe('10.0.22000');
    expect(resolvePolicy(p, 'linux', []).checks.patch_level.platforms?.darwin?.minOsVersion).toBe('14.0');
  });

  it('explains which layer set each setting', () => {
    const e = explainPolicy(policy, 'linux', ['servers']);
    expect(e.groups).toEqual(['servers']);
    expect(e.checks.screen_lock.required).toEqual({ value: false, source: 'group servers' });
    expect(e.checks.patch_level.maxDaysSinceUpdate).toEqual({ value: 7, source: 'group servers (linux)' });
    expect(e.checks.firewall.required).toEqual({ value: true, source: 'policy' });
    expect(e.checks['custom.vpn'].graceHours).toEqual({ value: 24, source: 'policy' });
    expect(e.device.intervalSec).toEqual({ value: 300, source: 'group servers' });
    expect(e.device.ownerRequired).toEqual({ value: false, source: 'built-in default' });
  });

  it('the override changes the verdict only for the group', () => {
    const results: CheckResult[] = [{ id: 'screen_lock', status: 'fail', summary: 'off', evidence: {}, remediation: { steps: [] } }];
    const now = new Date('2026-01-01T00:00:00Z');
    const plain = evaluateDevice({ policy, platform: 'linux', results, now });
    const server = evaluateDevice({ policy: resolvePolicy(policy, 'linux', ['servers']), platform: 'linux', results, now, deviceGroups: ['servers'] });
    expect(plain.checks.find((c) => c.id === 'screen_lock')!.state).toBe('failing');
    expect(server.checks.find((c) => c.id === 'screen_lock')!.state).toBe('not_required');
  });

  it('the loader refuses unknown check ids, duplicate groups and thresholds on custom checks, with the path', () => {
    const bad = (groups: unknown) => parsePolicy(JSON.stringify({ ...policy, groups }), 'p.json');
    const r1 = bad([{ name: 'a', checks: { nope: { required: false } } }]);
    expect(r1.ok).toBe(false);
    expect(!r1.ok && r1.errors.join('\n')).toContain('/groups/0/checks/nope');
    const r2 = bad([{ name: 'a' }, { name: 'a' }]);
    expect(!r2.ok && r2.errors.join('\n')).toContain('listed twice');
    const r3 = bad([{ name: 'a', checks: { 'custom.vpn': { maxIdleSeconds: 5 } } }]);
    expect(!r3.ok && r3.errors.join('\n')).toContain('may set only');
    const r4 = bad([{ name: 'Bad Name' }]);
    expect(!r4.ok && r4.errors.join('\n')).toContain('/groups/0/name');
    expect(bad([{ name: 'ok-1', checks: { firewall: { graceHours: 1 } } }]).ok).toBe(true);
  });
});

describe('owner_assigned', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const req: Policy = { ...policy, people: { ownerRequired: true, ownerGraceHours: 48 } };
  it('is failing for the grace period from the first unowned evaluation, then noncompliant', () => {
    const first = ownerCheck(req, { assigned: false }, {}, now)!;
    expect(first.state).toBe('failing');
    expect(first.deadline?.toISOString()).toBe('2026-01-03T00:00:00.000Z');
    const later = ownerCheck(req, { assigned: false }, { [OWNER_CHECK_ID]: { state: 'failing' as const, failingSince: now } }, new Date('2026-01-03T00:00:01Z'))!;
    expect(later.state).toBe('noncompliant');
    expect(ownerCheck(req, { assigned: true }, {}, now)!.state).toBe('pass');
  });
  it('is absent when not evaluated here or never required; not_required once tracked', () => {
    expect(ownerCheck(req, undefined, {}, now)).toBeNull();
    expect(ownerCheck(policy, { assigned: false }, {}, now)).toBeNull();
    expect(ownerCheck(policy, { assigned: false, tracked: true }, {}, now)!.state).toBe('not_required');
  });
  it('makes the device noncompliant through evaluateDevice', () => {
    const ev = evaluateDevice({ policy: { ...req, people: { ownerRequired: true, ownerGraceHours: 0 } }, platform: 'linux', results: [], now, owner: { assigned: false } });
    expect(ev.failingChecks).toContain(OWNER_CHECK_ID);
    expect(ev.state).toBe('noncompliant');
  });
});
