import { describe, expect, it } from 'vitest';
import { CHECK_IDS, PLATFORMS } from '../../../shared/src/checks/ids.js';
import { CheckResult } from '../../../shared/src/checks/result.js';
import { judgeCheck } from '../../../shared/src/policy/judge.js';
import { DEFAULT_POLICY } from '../../../shared/src/policy/default-policy.js';
import { compile } from '../../../shared/src/schema/validate.js';
import { fakeContext } from '../../../test/agent/fake-context.js';
import { remediationFor, runOne } from './registry.js';
import type { Collector } from './types.js';

const valid = compile(CheckResult);

describe('runOne guard', () => {
  it('turns a throwing collector into unknown with the error as reason', async () => {
    const boom: Collector<'firewall'> = async () => {
      throw new Error('kaboom');
    };
    const r = await runOne('firewall', boom as Collector<never>, fakeContext());
    expect(r).toMatchObject({ id: 'firewall', status: 'unknown', reason: 'probe error: kaboom' });
    expect(valid.check(r)).toBe(true);
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
  });
  it('turns an overrun into unknown', async () => {
    const hang: Collector<'antivirus'> = () => new Promise(() => {});
    const r = await runOne('antivirus', hang as Collector<never>, fakeContext(), { checkTimeoutMs: 50 });
    expect(r.reason).toMatch(/exceeded 50 ms/);
  });
  it('reports an unsupported platform as unknown', async () => {
    const r = await runOne('usb_storage', undefined, fakeContext({ platform: 'darwin' }));
    expect(r).toMatchObject({ status: 'unknown', reason: 'not supported on darwin' });
  });
  it('trims oversized evidence and text but keeps facts', async () => {
    const big: Collector<'screen_lock'> = async () => ({
      facts: { lockEnabled: true, idleTimeoutSeconds: 60, session: 'gnome' },
      detail: { huge: 'x'.repeat(50_000), small: 1, ...Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, i])) },
      reason: 'r'.repeat(2000),
    });
    const r = await runOne('screen_lock', big as Collector<never>, fakeContext());
    expect(valid.validate(r)).toEqual({ ok: true, value: r });
    expect(r.evidence.facts).toEqual({ lockEnabled: true, idleTimeoutSeconds: 60, session: 'gnome' });
    expect(r.evidence.huge).toBeUndefined();
    expect(JSON.stringify(r.evidence).length).toBeLessThan(9000);
    expect(r.reason!.length).toBe(500);
  });
  it('applies threshold overrides', async () => {
    const c: Collector<'screen_lock'> = async () => ({ facts: { lockEnabled: true, idleTimeoutSeconds: 600, session: 'gnome' } });
    expect((await runOne('screen_lock', c as Collector<never>, fakeContext())).status).toBe('pass');
    expect((await runOne('screen_lock', c as Collector<never>, fakeContext(), { thresholds: { maxIdleSeconds: 300 } })).status).toBe('fail');
  });
});

describe('agent verdict agrees with the collector policy evaluator', () => {
  // A wrong "pass" must not ship unnoticed: for representative facts, the agent's default
  // verdict must never be 'pass' where the shared judge (DEFAULT_POLICY) says otherwise.
  const cases: [Parameters<typeof runOne>[0], unknown][] = [
    ['disk_encryption', { systemVolumeEncrypted: false, volumes: [{ name: 'C:', system: true, encrypted: false, protection: 'suspended' }] }],
    ['disk_encryption', { systemVolumeEncrypted: true, volumes: [] }],
    ['firewall', { inboundFiltered: true, backends: ['windows-firewall'], profiles: [{ name: 'Public', enabled: false }] }],
    ['firewall', { inboundFiltered: false, backends: [] }],
    ['antivirus', { products: [{ name: 'X', kind: 'antivirus', running: true, realTimeProtection: true, definitionsUpToDate: null, definitionsAgeDays: 30 }] }],
    ['antivirus', { products: [{ name: 'Y', kind: 'edr', running: true, realTimeProtection: null, definitionsUpToDate: null, definitionsAgeDays: null }] }],
    ['patch_level', { osName: 'Debian', osVersion: '12', pendingUpdates: 3, pendingSecurityUpdates: 2, daysSinceLastUpdate: 1, autoUpdatesEnabled: true }],
    ['patch_level', { osName: 'Debian', osVersion: '12', pendingUpdates: 0, pendingSecurityUpdates: 0, daysSinceLastUpdate: 45, autoUpdatesEnabled: true }],
    ['usb_storage', { policy: 'allowed', mechanisms: [], attachedMassStorage: [] }],
    ['usb_storage', { policy: 'read_only', mechanisms: ['Deny_Write'], attachedMassStorage: [] }],
    ['screen_lock', { lockEnabled: true, idleTimeoutSeconds: 1800 }],
    ['screen_lock', { lockEnabled: true, idleTimeoutSeconds: 0 }],
  ];
  for (const [id, facts] of cases) {
    it(`${id} ${JSON.stringify(facts).slice(0, 80)}`, async () => {
      const c = (async () => ({ facts })) as unknown as Collector<never>;
      const r = await runOne(id, c, fakeContext());
      const j = judgeCheck(DEFAULT_POLICY, 'linux', r);
      if (r.status === 'pass') expect(j.verdict).toBe('pass');
      if (j.verdict === 'fail') expect(r.status).toBe('fail');
    });
  }
});

describe('remediationFor', () => {
  it('has short, concrete steps for every check on every platform', () => {
    for (const id of CHECK_IDS) {
      for (const p of PLATFORMS) {
        const steps = remediationFor(id, p);
        expect(steps.length, `${id}/${p}`).toBeGreaterThan(0);
        expect(steps.length).toBeLessThanOrEqual(12);
        for (const s of steps) expect(s.length).toBeLessThanOrEqual(500);
      }
    }
    expect(remediationFor('firewall', 'linux').join(' ')).toContain('sudo ufw enable');
    expect(remediationFor('disk_encryption', 'darwin')[0]).toContain('FileVault → Turn On');
  });
});
