/**
 * Issue 12 #1 and #3 through the collectors: end of support with nothing pending, verified
 * extended support, and pending updates on repositories without security metadata.
 * Shapes: dnf check-update columns as in the Fedora/RHEL fixtures beside this file (a Rocky 9
 * mirror without updateinfo prints nothing for `updateinfo list`); `pro status --format json`
 * keeps every key of a real Ubuntu Pro client 37.2 capture published in a public Go test
 * (code-search id 70413975694), identifiers redacted there; the ESU rows are the
 * SoftwareLicensingProduct ID/LicenseStatus pairs Microsoft documents for ESU MAK activation.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { fail, fakeContext, fixture, ok } from '../../../../test/agent/fake-context.js';
import { collectLinux } from './linux.js';
import { collectWin32 } from './win32.js';
import { oldestBuildTime, parseProStatus } from './parse-linux.js';
import { windowsEsu } from './parse-windows.js';
import { clearPendingMemory } from './pending-cache.js';
import { spec } from './spec.js';

const fx = (n: string) => fixture('patch-level', n);
const NOW = new Date('2026-12-03T12:00:00Z');
beforeEach(clearPendingMemory);
/** The fake files are dated 2024-04-18; the last-update age is not what these tests are about. */
const T = { ...spec.defaults, maxDaysSinceUpdate: 3650 };

describe('no security metadata is not zero security updates', () => {
  const rocky = (updateinfo: (args: string[]) => ReturnType<typeof ok>) =>
    fakeContext({
      now: NOW,
      files: { '/etc/os-release': fx('os-release.rocky9.txt'), '/usr/bin/dnf': 'x', '/var/lib/dnf/history.sqlite': 'x' },
      commands: { dnf: (args) => (args.includes('check-update') ? ok(fx('dnf-check-update.rocky9.mirror-15.txt'), { code: 100, ok: false }) : updateinfo(args)) },
    });
  it('dnf: 15 pending, updateinfo prints nothing → security count unknown, verdict unknown (was "pass, 15 pending")', async () => {
    const obs = await collectLinux(rocky(() => ok('')));
    expect(obs.facts).toMatchObject({ pendingUpdates: 15, pendingSecurityUpdates: null, securityMetadata: false, osId: 'rocky' });
    const v = spec.evaluate(obs, T, { now: NOW, platform: 'linux' });
    expect(v.status).toBe('unknown');
    expect(v.summary).toMatch(/15 pending update\(s\) and no security classification from dnf/);
  });
  it('dnf without updateinfo: the oldest pending build time gives oldestPendingDays (for withoutSecurityMetadata)', async () => {
    const built = (d: string) => String(Date.parse(d) / 1000);
    const obs = await collectLinux(rocky((args) => (args.includes('repoquery') ? ok(`${built('2026-11-01T00:00:00Z')}\\n${built('2026-11-20T00:00:00Z')}\\n`) : ok(''))));
    expect(obs.facts).toMatchObject({ pendingSecurityUpdates: null, oldestPendingDays: 32 });
    expect(oldestBuildTime('garbage\n12\n')).toBeNull();
  });
  it('dnf: updateinfo present but nothing security-relevant pending → 0, pass', async () => {
    const obs = await collectLinux(rocky((args) => (args.includes('--all') ? ok('RLBA-2024:3325 bugfix  bash-5.1.8-9.el9.x86_64\n') : ok(''))));
    expect(obs.facts).toMatchObject({ pendingSecurityUpdates: 0, securityMetadata: true });
    expect(spec.evaluate(obs, T, { now: NOW, platform: 'linux' }).status).toBe('pass');
  });
  it('apt: no -security suite in the downloaded lists → unknown, not 0', async () => {
    const ctx = (lists: Record<string, string>) =>
      fakeContext({
        now: NOW,
        files: { '/etc/os-release': fx('os-release.debian12.txt'), '/var/lib/dpkg/status': 'P\n', ...lists },
        commands: { apt: ok('Listing...\nbash/stable 5.2.15-2+b8 amd64 [upgradable from: 5.2.15-2+b7]\n') },
      });
    const none = await collectLinux(ctx({ '/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease': 'x' }));
    expect(none.facts).toMatchObject({ pendingUpdates: 1, pendingSecurityUpdates: null, securityMetadata: false });
    clearPendingMemory(); // the fake directory keeps one mtime; on a host the lists' change is a cache miss
    const withSec = await collectLinux(ctx({ '/var/lib/apt/lists/deb.debian.org_debian-security_dists_bookworm-security_InRelease': 'x' }));
    expect(withSec.facts).toMatchObject({ pendingUpdates: 1, pendingSecurityUpdates: 0, securityMetadata: true });
  });
  it('zypper: no patch metadata at all (Tumbleweed, third-party repos) → unknown', async () => {
    const empty = `<?xml version='1.0'?>\n<stream>\n<update-status version="0.6">\n<update-list>\n</update-list>\n</update-status>\n</stream>\n`;
    const obs = await collectLinux(
      fakeContext({
        now: NOW,
        files: { '/etc/os-release': 'ID="opensuse-tumbleweed"\nNAME="openSUSE Tumbleweed"\nVERSION_ID="20241201"\n', '/usr/bin/zypper': 'x' },
        commands: { zypper: (args) => ok(args.includes('list-updates') ? fx('zypper-list-updates.leap15.xml') : empty) },
      }),
    );
    expect(obs.facts.pendingSecurityUpdates).toBeNull();
    expect(obs.facts.pendingUpdates).toBeGreaterThan(0);
    expect(spec.evaluate(obs, T, { now: NOW, platform: 'linux' }).status).not.toBe('pass');
  });
});

describe('end of support through the collectors', () => {
  const bionic = (pro: ReturnType<typeof ok>) =>
    fakeContext({
      now: NOW,
      files: { '/etc/os-release': fx('os-release.ubuntu18.txt'), '/var/lib/dpkg/status': 'P\n', '/var/lib/apt/lists/security.ubuntu.com_ubuntu_dists_bionic-security_InRelease': 'x', '/var/log/dpkg.log': 'x' },
      commands: { apt: ok('Listing...\n'), pro },
    });
  it('Ubuntu 18.04 with nothing pending fails with the date unless Ubuntu Pro ESM is active', async () => {
    const plain = await collectLinux(bionic(ok(fx('pro-status-json.ubuntu18.unattached.json'))));
    expect(plain.facts.extendedSupport).toMatchObject({ kind: 'ubuntu-pro-esm', active: false });
    const v = spec.evaluate(plain, T, { now: NOW, platform: 'linux' });
    expect(v).toMatchObject({ status: 'fail', summary: expect.stringContaining('reached end of security support on 2023-05-31') });
    const esm = await collectLinux(bionic(ok(fx('pro-status-json.ubuntu18.esm-enabled.json'))));
    expect(esm.facts.extendedSupport).toMatchObject({ active: true, expires: '9999-12-31' });
    expect(spec.evaluate(esm, T, { now: NOW, platform: 'linux' })).toMatchObject({ status: 'pass', summary: expect.stringContaining('Ubuntu Pro ESM is active') });
    const noPro = await collectLinux(bionic(fail('not_found')));
    expect(spec.evaluate(noPro, T, { now: NOW, platform: 'linux' }).summary).toMatch(/could not be verified/);
  });
  it('a supported Ubuntu does not spend a Python start on pro status', async () => {
    const ctx = fakeContext({ now: NOW, files: { '/etc/os-release': 'ID=ubuntu\nNAME="Ubuntu"\nVERSION_ID="24.04"\n', '/var/lib/dpkg/status': 'P\n' }, commands: { apt: ok('Listing...\n'), pro: ok('{}') } });
    await collectLinux(ctx);
    expect(ctx.calls.some((c) => c.startsWith('pro '))).toBe(false);
  });
  it('pro status parser: garbage and other shapes are never "active"', () => {
    for (const t of ['', 'not json', '{}', '{"attached":"yes"}', '[1]', '{"attached":true,"services":[{"name":"esm-infra","entitled":"no","status":"enabled"}]}']) expect(parseProStatus(t).active).not.toBe(true);
  });
  it('Windows 10 22H2 (build 19045) with no pending updates: fails after 2025-10-14 without ESU, passes within the licensed ESU year', async () => {
    const win = (file: string) => fakeContext({ platform: 'win32', now: NOW, commands: { powershell: ok(fx(file)) } });
    const noEsu = await collectWin32(win('WindowsUpdate-report.win10-22h2.no-esu.json'));
    expect(noEsu.facts).toMatchObject({ osVersion: '10.0.19045.6456', pendingSecurityUpdates: 0, extendedSupport: { kind: 'windows-esu', active: false } });
    expect(spec.evaluate(noEsu, spec.defaults, { now: NOW, platform: 'win32' })).toMatchObject({ status: 'fail', summary: expect.stringContaining('2025-10-14') });
    const y1 = await collectWin32(win('WindowsUpdate-report.win10-22h2.esu-year1.json'));
    expect(y1.facts.extendedSupport).toMatchObject({ active: true, years: 1 });
    expect(spec.evaluate(y1, spec.defaults, { now: new Date('2026-06-01T00:00:00Z'), platform: 'win32' }).status).toBe('pass');
    // Year 1 ends 2026-10-13: in December 2026 only a year-2 licence would cover it.
    expect(spec.evaluate(y1, spec.defaults, { now: NOW, platform: 'win32' }).status).toBe('fail');
    expect(windowsEsu({ esu: null, esuError: 'Access denied' })).toMatchObject({ active: null });
  });
});
