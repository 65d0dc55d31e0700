import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from './default-policy.js';
import { judgeCheck } from './judge.js';
import type { CheckResult } from '../checks/result.js';
import type { PatchLevelFacts } from '../checks/facts.js';
import type { Policy } from './schema.js';

const result = (facts: Partial<PatchLevelFacts>): CheckResult => ({ id: 'patch_level', status: 'pass', summary: 'agent said pass', evidence: { facts }, remediation: { steps: [] } });
const clean = { pendingUpdates: 0, pendingSecurityUpdates: 0, daysSinceLastUpdate: 1, autoUpdatesEnabled: true };
const at = (d: string) => new Date(`${d}T12:00:00Z`);
const withRule = (platform: 'linux' | 'win32' | 'darwin', extra: Record<string, unknown>): Policy => ({
  ...DEFAULT_POLICY,
  checks: { ...DEFAULT_POLICY.checks, patch_level: { ...DEFAULT_POLICY.checks.patch_level, platforms: { ...DEFAULT_POLICY.checks.patch_level.platforms, [platform]: { ...(DEFAULT_POLICY.checks.patch_level.platforms?.[platform] ?? {}), ...extra } } } },
});

describe('patch_level: end of support (issue 12 #1)', () => {
  it('Windows 10 22H2 with nothing pending fails after 2025-10-14 with the date; passes before; ESU verified passes', () => {
    const win10 = { ...clean, osName: 'Windows 10 Pro', osVersion: '10.0.19045.6456' };
    expect(judgeCheck(DEFAULT_POLICY, 'win32', result(win10), at('2025-10-14')).verdict).toBe('pass');
    const after = judgeCheck(DEFAULT_POLICY, 'win32', result(win10), at('2025-10-15'));
    expect(after.verdict).toBe('fail');
    expect(after.reasons[0]).toMatch(/Windows 10 22H2 reached end of security support on 2025-10-14/);
    const esu = { ...win10, extendedSupport: { kind: 'windows-esu' as const, active: true, years: 1 } };
    expect(judgeCheck(DEFAULT_POLICY, 'win32', result(esu), at('2026-03-01')).verdict).toBe('pass');
    expect(judgeCheck(DEFAULT_POLICY, 'win32', result(esu), at('2026-10-14')).verdict).toBe('fail');
  });
  it('Ubuntu 18.04 with nothing pending fails; with Ubuntu Pro ESM active it passes', () => {
    const bionic = { ...clean, osId: 'ubuntu', osName: 'Ubuntu', osVersion: '18.04', packageManager: 'apt' };
    expect(judgeCheck(DEFAULT_POLICY, 'linux', result(bionic), at('2023-05-31')).verdict).toBe('pass');
    expect(judgeCheck(DEFAULT_POLICY, 'linux', result(bionic), at('2026-12-03'))).toMatchObject({ verdict: 'fail', reasons: [expect.stringContaining('2023-05-31')] });
    const esm = { ...bionic, extendedSupport: { kind: 'ubuntu-pro-esm' as const, active: true, expires: '9999-12-31' } };
    expect(judgeCheck(DEFAULT_POLICY, 'linux', result(esm), at('2026-12-03')).verdict).toBe('pass');
  });
  it('an unknown release is unknown, not pass; the policy can switch end-of-support off', () => {
    const odd = { ...clean, osId: 'ubuntu', osName: 'Ubuntu', osVersion: '17.10' };
    expect(judgeCheck(DEFAULT_POLICY, 'linux', result(odd), at('2024-01-01')).verdict).toBe('unknown');
    expect(judgeCheck(withRule('linux', { requireSupportedOs: false }), 'linux', result(odd), at('2024-01-01')).verdict).toBe('pass');
  });
  it('the policy lifecycle entries override the table (e.g. a paid RHEL 7 ELS contract)', () => {
    const el7 = { ...clean, osId: 'rhel', osName: 'Red Hat Enterprise Linux', osVersion: '7.9' };
    expect(judgeCheck(DEFAULT_POLICY, 'linux', result(el7), at('2026-01-01')).verdict).toBe('fail');
    const policy: Policy = { ...DEFAULT_POLICY, lifecycle: { releases: [{ family: 'rhel', release: '7', end: '2028-06-30', source: 'ELS contract' }] } };
    expect(judgeCheck(policy, 'linux', result(el7), at('2026-01-01')).verdict).toBe('pass');
  });
});

describe('patch_level: OS version floor per distribution', () => {
  const policy = withRule('linux', { minOsVersionBy: { ubuntu: '22.04', debian: '12', rhel: '9' } });
  it('each family has its own floor; one number no longer judges every distribution', () => {
    const now = at('2025-01-01');
    expect(judgeCheck(policy, 'linux', result({ ...clean, osId: 'debian', osName: 'Debian GNU/Linux', osVersion: '12' }), now).verdict).toBe('pass');
    expect(judgeCheck(policy, 'linux', result({ ...clean, osId: 'ubuntu', osName: 'Ubuntu', osVersion: '20.04' }), now)).toMatchObject({ verdict: 'fail', reasons: [expect.stringContaining('minimum 22.04 for ubuntu')] });
    expect(judgeCheck(policy, 'linux', result({ ...clean, osId: 'rhel', osName: 'Red Hat Enterprise Linux', osVersion: '8.10' }), now).verdict).toBe('fail');
    expect(judgeCheck(policy, 'linux', result({ ...clean, osId: 'ubuntu', osName: 'Ubuntu', osVersion: '24.04' }), now).verdict).toBe('pass');
  });
});

describe('patch_level: pending updates without security metadata (issue 12 #3)', () => {
  const rocky = { osId: 'rocky', osName: 'Rocky Linux', osVersion: '9.4', packageManager: 'dnf', pendingUpdates: 15, pendingSecurityUpdates: null, securityMetadata: false, daysSinceLastUpdate: 3 };
  const now = at('2025-01-01');
  it('15 pending and no updateinfo is unknown by default, never "pass"', () => {
    const j = judgeCheck(DEFAULT_POLICY, 'linux', result(rocky), now);
    expect(j.verdict).toBe('unknown');
    expect(j.reasons[0]).toMatch(/15 pending update\(s\) and no security classification from dnf/);
  });
  it('the policy thresholds decide then: pass within them, fail beyond, unknown when a needed fact is missing', () => {
    const ok = withRule('linux', { withoutSecurityMetadata: { maxPendingUpdates: 20, maxDaysSinceUpdate: 7 } });
    expect(judgeCheck(ok, 'linux', result(rocky), now).verdict).toBe('pass');
    const strict = withRule('linux', { withoutSecurityMetadata: { maxPendingUpdates: 10 } });
    expect(judgeCheck(strict, 'linux', result(rocky), now)).toMatchObject({ verdict: 'fail', reasons: [expect.stringContaining('more than the 10 allowed')] });
    const byAge = withRule('linux', { withoutSecurityMetadata: { maxOldestPendingDays: 14 } });
    expect(judgeCheck(byAge, 'linux', result(rocky), now).verdict).toBe('unknown');
    expect(judgeCheck(byAge, 'linux', result({ ...rocky, oldestPendingDays: 30 }), now).verdict).toBe('fail');
    expect(judgeCheck(byAge, 'linux', result({ ...rocky, oldestPendingDays: 2 }), now).verdict).toBe('pass');
  });
  it('nothing pending at all needs no classification', () => {
    expect(judgeCheck(DEFAULT_POLICY, 'linux', result({ ...rocky, pendingUpdates: 0 }), now).verdict).toBe('pass');
  });
});
