import { beforeEach, describe, expect, it } from 'vitest';
import { fail, fakeContext, fixture, ok } from '../../../../test/agent/fake-context.js';
import { collectLinux } from './linux.js';
import { clearPendingMemory } from './pending-cache.js';
import {
  aptReadsFile,
  parseAptHistoryLastUpdate,
  parseAptList,
  parseAptPeriodic,
  parseAptSimulate,
  parseCheckupdates,
  parseDnfCheckUpdate,
  parseDnfUpdateinfo,
  parseOsRelease,
  parseZypperXml,
} from './parse-linux.js';
import { spec } from './spec.js';

const fx = (n: string) => fixture('patch-level', n);

describe('package manager parsers', () => {
  it('apt simulation counts Inst lines and security origins (captured on this Debian 12 host)', () => {
    const r = parseAptSimulate(fx('apt-get-s-upgrade.debian12.pending.txt'));
    expect(r).toMatchObject({ pending: 124, security: 69 });
    expect(r.sample.length).toBe(20);
  });
  it('apt: ubuntu security pocket, and nothing pending', () => {
    expect(parseAptSimulate(fx('apt-get-s-upgrade.ubuntu22.security.txt'))).toMatchObject({ pending: 3, security: 2 });
    expect(parseAptSimulate(fx('apt-get-s-upgrade.ubuntu22.uptodate.txt'))).toMatchObject({ pending: 0, security: 0 });
  });
  it('apt list --upgradable: suites name the security pocket (Debian 12 captured here, Ubuntu 24.04)', () => {
    const deb = parseAptList(fx('apt-list-upgradable.debian12.pending.txt'));
    expect(deb).toMatchObject({ pending: 113, security: 66 });
    expect(deb.sample[0]).toBe('appstream');
    expect(parseAptList(fx('apt-list-upgradable.ubuntu24.security.txt'))).toMatchObject({ pending: 4, security: 2, sample: ['libssl3t64', 'openssl', 'snapd', 'tzdata'] });
    expect(parseAptList(fx('apt-list-upgradable.ubuntu24.none.txt'))).toMatchObject({ pending: 0, security: 0 });
  });
  it('apt history: newest upgrade/install, not removals', () => {
    const d = parseAptHistoryLastUpdate(fx('apt-history.debian12.log'))!;
    expect([d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours()]).toEqual([2024, 4, 10, 9]);
    expect(parseAptHistoryLastUpdate('')).toBeNull();
  });
  it('apt periodic variants: nested scopes, "0", comments and key case; ignored file names', () => {
    expect(parseAptPeriodic([fx('apt-conf-20auto-upgrades.debian12.nested.txt')])).toEqual({ unattendedUpgrade: '1', updatePackageLists: '1' });
    expect(parseAptPeriodic([fx('apt-conf-20auto-upgrades.ubuntu24.disabled.txt')]).unattendedUpgrade).toBe('0');
    expect(parseAptPeriodic([fx('apt-conf-50local.comments-case.txt')]).unattendedUpgrade).toBe('7');
    expect(parseAptPeriodic(['/* APT::Periodic::Unattended-Upgrade "1"; */\n'])).toEqual({ unattendedUpgrade: null, updatePackageLists: null });
    expect(['20auto-upgrades', '50unattended-upgrades.dpkg-old', '99x.disabled', '10foo~', '01proxy.conf'].filter(aptReadsFile)).toEqual(['20auto-upgrades', '01proxy.conf']);
  });
  it('apt periodic: later files override earlier ones', () => {
    expect(parseAptPeriodic([fx('apt-conf-20auto-upgrades.ubuntu22.txt')]).unattendedUpgrade).toBe('1');
    expect(parseAptPeriodic([fx('apt-conf-20auto-upgrades.ubuntu22.txt'), fx('apt-conf-99-disable.ubuntu22.txt')]).unattendedUpgrade).toBe('0');
  });
  it('dnf, zypper, pacman', () => {
    expect(parseDnfCheckUpdate(fx('dnf-check-update.fedora39.txt'))).toMatchObject({ pending: 5, sample: ['firefox', 'kernel', 'kernel-core', 'openssl-libs', 'xz-libs'] });
    // dnf4/yum print a name too wide for its column on its own line (the layout of real RHEL
    // outputs); it was not counted before.
    expect(parseDnfCheckUpdate(fx('dnf-check-update.rhel9.wrapped-name.txt'))).toMatchObject({ pending: 3, sample: ['NetworkManager', 'NetworkManager-initscripts-updown', 'kernel'] });
    expect(parseDnfUpdateinfo(fx('dnf-updateinfo-list-security.rhel9.txt'))).toBe(4);
    expect(parseZypperXml(fx('zypper-list-updates.leap15.xml'))).toMatchObject({ packages: 2, sample: ['libopenssl3', 'vim'] });
    expect(parseZypperXml(fx('zypper-list-patches-security.leap15.xml')).securityPatches).toBe(1);
    expect(parseCheckupdates(fx('checkupdates.arch.txt'))).toMatchObject({ pending: 3, security: null });
  });
  it('dnf5 (Fedora 41): check-update lines and the Type/Severity columns of updateinfo', () => {
    expect(parseDnfCheckUpdate(fx('dnf5-check-update.fedora41.txt'))).toMatchObject({ pending: 4, sample: ['firefox', 'openssl', 'openssl-libs', 'tzdata'] });
    expect(parseDnfUpdateinfo(fx('dnf5-updateinfo-list-security.fedora41.txt'))).toBe(3);
  });
  it('os-release', () => {
    expect(parseOsRelease(fx('os-release.debian12.txt'))).toMatchObject({ name: 'Debian GNU/Linux', versionId: '12', id: 'debian' });
  });
});

describe('linux collector + spec', () => {
  beforeEach(clearPendingMemory);
  const debian = (aptOut: ReturnType<typeof ok>, extra: Record<string, string> = {}) =>
    fakeContext({
      commands: { 'apt-get': aptOut },
      files: {
        '/etc/os-release': fx('os-release.debian12.txt'),
        '/var/lib/dpkg/status': 'Package: base-files\n',
        '/var/log/apt/history.log': fx('apt-history.debian12.log'),
        ...extra,
      },
    });
  it('pass: nothing pending, updated 10 days ago', async () => {
    const obs = await collectLinux(debian(ok(fx('apt-get-s-upgrade.ubuntu22.uptodate.txt')), { '/var/lib/dpkg/status': 'Package: a\n' }));
    expect(obs.facts).toMatchObject({ osName: 'Debian GNU/Linux', osVersion: '12', pendingUpdates: 0, pendingSecurityUpdates: 0, daysSinceLastUpdate: 10, packageManager: 'apt', autoUpdatesEnabled: false });
    expect(spec.evaluate(obs, spec.defaults).status).toBe('pass');
  });
  it('auto updates: missing 20auto-upgrades is off; a .dpkg-old copy does not count', async () => {
    const base = { '/var/lib/dpkg/status': 'Package: auto\n', '/usr/bin/unattended-upgrade': '#!/usr/bin/python3' };
    const missing = await collectLinux(debian(ok(fx('apt-get-s-upgrade.ubuntu22.uptodate.txt')), { ...base, '/etc/apt/apt.conf.d/50unattended-upgrades': 'Unattended-Upgrade::Allowed-Origins { "${distro_id}:${distro_codename}-security"; };\n' }));
    expect(missing.facts.autoUpdatesEnabled).toBe(false);
    const old = await collectLinux(debian(ok(fx('apt-get-s-upgrade.ubuntu22.uptodate.txt')), { ...base, '/etc/apt/apt.conf.d/20auto-upgrades.dpkg-old': fx('apt-conf-20auto-upgrades.ubuntu22.txt') }));
    expect(old.facts.autoUpdatesEnabled).toBe(false);
    const nested = await collectLinux(debian(ok(fx('apt-get-s-upgrade.ubuntu22.uptodate.txt')), { ...base, '/etc/apt/apt.conf.d/20auto-upgrades': fx('apt-conf-20auto-upgrades.debian12.nested.txt') }));
    expect(nested.facts.autoUpdatesEnabled).toBe(true);
  });
  it('fail: pending security updates', async () => {
    const obs = await collectLinux(
      debian(ok(fx('apt-get-s-upgrade.ubuntu22.security.txt')), {
        '/var/lib/dpkg/status': 'Package: second-state\n', // differs in size: the apt memo must miss
        '/usr/bin/unattended-upgrade': '#!/usr/bin/python3',
        '/etc/apt/apt.conf.d/20auto-upgrades': fx('apt-conf-20auto-upgrades.ubuntu22.txt'),
      }),
    );
    expect(obs.facts.autoUpdatesEnabled).toBe(true);
    expect(spec.evaluate(obs, spec.defaults)).toMatchObject({ status: 'fail', summary: expect.stringContaining('2 pending security update(s)') });
  });
  it('unknown: apt-get timed out, permission denied, or no package manager', async () => {
    for (const r of [fail('timeout', '', null), fail('permission_denied', 'E: Could not open lock file')]) {
      const obs = await collectLinux(debian(r, { '/var/lib/dpkg/status': `Package: ${r.error}\n` }));
      expect(spec.evaluate(obs, spec.defaults).status).toBe('unknown');
      expect(obs.reason).toMatch(/apt-get/);
    }
    const none = await collectLinux(fakeContext({ files: { '/etc/os-release': fx('os-release.debian12.txt') } }));
    expect(none.reason).toMatch(/no supported package manager/);
    expect(spec.evaluate(none, spec.defaults).status).toBe('unknown');
  });
  it('apt front end preferred; apt-get simulation when apt fails or prints no listing', async () => {
    const viaApt = debian(fail('timeout', '', null));
    const a = await collectLinux({ ...viaApt, run: (n, args, o) => (n === 'apt' ? Promise.resolve({ ok: true, code: 0, stdout: fx('apt-list-upgradable.ubuntu24.security.txt'), stderr: '', error: null, command: 'apt list' }) : viaApt.run(n, args, o)) });
    expect(a.facts).toMatchObject({ pendingUpdates: 4, pendingSecurityUpdates: 2 });
    const ctx = fakeContext({
      commands: { apt: ok(''), 'apt-get': ok(fx('apt-get-s-upgrade.ubuntu22.security.txt')) },
      files: { '/var/lib/dpkg/status': 'Package: fallback\n' },
    });
    const b = await collectLinux(ctx);
    expect(ctx.calls).toEqual(expect.arrayContaining(['apt list --upgradable', 'apt-get -s -o Debug::NoLocking=1 upgrade']));
    expect(b.facts).toMatchObject({ pendingUpdates: 3, pendingSecurityUpdates: 2 });
  });
  it('fedora: dnf exit 100 means updates available', async () => {
    const obs = await collectLinux(
      fakeContext({
        files: { '/usr/bin/dnf': 'ELF' },
        commands: { dnf: (args) => (args.includes('check-update') ? { ok: false, code: 100, stdout: fx('dnf-check-update.fedora39.txt'), error: 'failed' } : ok(fx('dnf-updateinfo-list-security.rhel9.txt'))) },
      }),
    );
    expect(obs.facts).toMatchObject({ packageManager: 'dnf', pendingUpdates: 5, pendingSecurityUpdates: 4, autoUpdatesEnabled: false });
  });
});
