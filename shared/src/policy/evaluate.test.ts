import { describe, expect, it } from 'vitest';
import { evaluateDevice } from '#shared/policy/evaluate.js';
import { DEFAULT_POLICY } from '#shared/policy/default-policy.js';
import type { CheckResult } from '#shared/checks/result.js';
import { CHECK_IDS, type CheckId } from '#shared/checks/ids.js';

const pass = (id: CheckId, facts?: unknown): CheckResult => ({
  id, status: 'pass', summary: 'ok', evidence: facts === undefined ? {} : { facts }, remediation: { steps: [] },
});
const allPass = (): CheckResult[] => CHECK_IDS.map((id) => pass(id));
const t0 = new Date('2026-01-01T00:00:00Z');
const hours = (h: number) => new Date(t0.getTime() + h * 3600_000);

describe('evaluateDevice', () => {
  it('is compliant when every required check passes', () => {
    const e = evaluateDevice({ policy: DEFAULT_POLICY, platform: 'linux', results: allPass(), now: t0 });
    expect(e.state).toBe('compliant');
    expect(e.failingChecks).toEqual([]);
  });

  it('gives a failing check its grace period, then makes the device noncompliant', () => {
    const results = allPass().map((r) => (r.id === 'firewall' ? { ...r, evidence: { facts: { inboundFiltered: false, backends: ['nftables'] } } } : r));
    const first = evaluateDevice({ policy: DEFAULT_POLICY, platform: 'linux', results, now: t0 });
    expect(first.state).toBe('failing');
    expect(first.nextDeadline?.toISOString()).toBe(hours(72).toISOString());
    const fw = first.checks.find((c) => c.id === 'firewall')!;
    // A later report must not restart the grace period.
    const later = evaluateDevice({
      policy: DEFAULT_POLICY, platform: 'linux', results, now: hours(73),
      previous: { firewall: { state: fw.state, failingSince: fw.failingSince } },
    });
    expect(later.state).toBe('noncompliant');
    expect(later.failingChecks).toEqual(['firewall']);
  });

  it('counts a disabled Windows public profile as a failure even if inbound is filtered elsewhere', () => {
    const results = allPass().map((r) =>
      r.id === 'firewall'
        ? { ...r, evidence: { facts: { inboundFiltered: true, backends: ['windows-firewall'], profiles: [{ name: 'Domain', enabled: true }, { name: 'Private', enabled: true }, { name: 'Public', enabled: false }] } } }
        : r,
    );
    const e = evaluateDevice({ policy: DEFAULT_POLICY, platform: 'win32', results, now: t0 });
    const fw = e.checks.find((c) => c.id === 'firewall')!;
    expect(fw.verdict).toBe('fail');
    expect(fw.reasons.join()).toContain('Public');
  });

  it('applies thresholds from facts, not the agent verdict', () => {
    const results = allPass().map((r) =>
      r.id === 'patch_level'
        ? { ...r, evidence: { facts: { osName: 'macOS', osVersion: '13.6', pendingUpdates: 0, pendingSecurityUpdates: 0, daysSinceLastUpdate: 1, autoUpdatesEnabled: true } } }
        : r,
    );
    const e = evaluateDevice({ policy: DEFAULT_POLICY, platform: 'darwin', results, now: t0 });
    const reasons = e.checks.find((c) => c.id === 'patch_level')!.reasons.join('\n');
    expect(reasons).toMatch(/older than the minimum 14.0/);
    // macOS 13 also left Apple's security support on 2025-09-15 (lifecycle table).
    expect(reasons).toMatch(/macOS 13 Ventura reached end of security support on 2025-09-15/);
  });

  it('honours exclusions until they expire', () => {
    const results = allPass().map((r) => (r.id === 'usb_storage' ? { ...r, status: 'fail' as const, evidence: { facts: { policy: 'allowed', mechanisms: [], attachedMassStorage: [] } } } : r));
    const excl = [{ checkId: 'usb_storage' as const, expiresAt: hours(10) }];
    expect(evaluateDevice({ policy: DEFAULT_POLICY, platform: 'linux', results, exclusions: excl, now: t0 }).state).toBe('compliant');
    expect(evaluateDevice({ policy: DEFAULT_POLICY, platform: 'linux', results, exclusions: excl, now: hours(11) }).state).toBe('failing');
  });

  it('is unknown when a required check could not be determined', () => {
    const results = allPass().map((r) => (r.id === 'screen_lock' ? { ...r, status: 'unknown' as const, reason: 'no desktop session' } : r));
    const e = evaluateDevice({ policy: DEFAULT_POLICY, platform: 'linux', results, now: t0 });
    expect(e.state).toBe('unknown');
  });
});

describe('antivirus judgement', () => {
  const av = (products: unknown[]) => allPass().map((r) => (r.id === 'antivirus' ? { ...r, evidence: { facts: { products } } } : r));
  const verdict = (products: unknown[]) => evaluateDevice({ policy: DEFAULT_POLICY, platform: 'linux', results: av(products), now: t0 }).checks.find((c) => c.id === 'antivirus')!.verdict;
  it('does not pass an antivirus whose signature age is unknown', () => {
    expect(verdict([{ name: 'ClamAV', kind: 'antivirus', running: true, realTimeProtection: null, definitionsUpToDate: null, definitionsAgeDays: null }])).toBe('unknown');
  });
  it('passes a running EDR (self-updating, no signature age) only when its own tool confirmed its health', () => {
    expect(verdict([{ name: 'CrowdStrike Falcon', kind: 'edr', running: true, realTimeProtection: true, definitionsUpToDate: null, definitionsAgeDays: null, healthConfirmed: true }])).toBe('pass');
    // Issue 12 #2: process-only evidence (or an old agent that does not report health) is unknown, never pass.
    expect(verdict([{ name: 'CrowdStrike Falcon', kind: 'edr', running: true, realTimeProtection: null, definitionsUpToDate: null, definitionsAgeDays: null }])).toBe('unknown');
    expect(verdict([{ name: 'SentinelOne', kind: 'edr', running: true, realTimeProtection: null, definitionsUpToDate: null, definitionsAgeDays: null, healthConfirmed: null }])).toBe('unknown');
    expect(verdict([{ name: 'SentinelOne', kind: 'edr', running: true, realTimeProtection: null, definitionsUpToDate: null, definitionsAgeDays: null, healthConfirmed: false }])).toBe('fail');
  });
  it('fails stale definitions and passes fresh ones', () => {
    expect(verdict([{ name: 'ClamAV', kind: 'antivirus', running: true, realTimeProtection: null, definitionsUpToDate: null, definitionsAgeDays: 30 }])).toBe('fail');
    expect(verdict([{ name: 'ClamAV', kind: 'antivirus', running: true, realTimeProtection: null, definitionsUpToDate: null, definitionsAgeDays: 1 }])).toBe('pass');
  });
  it('fails when nothing is installed', () => {
    expect(verdict([])).toBe('fail');
  });
});
