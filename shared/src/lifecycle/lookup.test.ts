import { describe, expect, it } from 'vitest';
import { assessLifecycle, identifyRelease } from './lookup.js';
import { LIFECYCLE_AS_OF, LIFECYCLE_TABLE, lifecycleTableWarning } from './table.js';

const day = (d: string) => new Date(`${d}T12:00:00Z`);
const next = (d: string) => new Date(Date.parse(`${d}T00:00:00Z`) + 86_400_000 + 3_600_000);
/** A clock inside the table's trust window, for open-ended entries. */
const FRESH = day(LIFECYCLE_AS_OF);

describe('OS lifecycle table', () => {
  it('every dated entry names a public source and a valid day', () => {
    for (const e of LIFECYCLE_TABLE) {
      expect(e.source, e.name).toMatch(/^https:\/\//);
      if (typeof e.end === 'string' && e.end !== 'rolling') expect(Number.isNaN(Date.parse(e.end)), e.name).toBe(false);
    }
  });

  // Each platform family on both sides of its cut-off (the clock is injected).
  const cases: [string, string, Record<string, string>, string][] = [
    ['Windows 10 22H2 (19045), every edition', 'win32', { osName: 'Windows 10 Pro', osVersion: '10.0.19045.6456' }, '2025-10-14'],
    ['Windows 10 22H2 Enterprise', 'win32', { osName: 'Windows 10 Enterprise', osVersion: '10.0.19045.6456' }, '2025-10-14'],
    ['Windows 10 21H2 Home/Pro', 'win32', { osName: 'Windows 10 Pro', osVersion: '10.0.19044.1' }, '2023-06-13'],
    ['Windows 10 LTSC 2021 keeps its own date', 'win32', { osName: 'Windows 10 Enterprise LTSC 2021', osVersion: '10.0.19044.1' }, '2027-01-12'],
    ['Windows 11 23H2 Home/Pro', 'win32', { osName: 'Windows 11 Pro', osVersion: '10.0.22631.3296' }, '2025-11-11'],
    ['Windows 11 23H2 Enterprise', 'win32', { osName: 'Windows 11 Enterprise', osVersion: '10.0.22631.3296' }, '2026-11-10'],
    ['Windows 11 24H2 Home/Pro', 'win32', { osName: 'Windows 11 Home', osVersion: '10.0.26100.1' }, '2026-10-13'],
    ['Windows Server 2012 R2', 'win32', { osName: 'Windows Server 2012 R2 Standard', osVersion: '10.0.9600' }, '2023-10-10'],
    ['Windows Server 2019 (same build as 1809)', 'win32', { osName: 'Windows Server 2019 Datacenter', osVersion: '10.0.17763.5576' }, '2029-01-09'],
    ['macOS 13 Ventura', 'darwin', { osName: 'macOS', osVersion: '13.6.7' }, '2025-09-15'],
    ['macOS 10.15 Catalina', 'darwin', { osName: 'Mac OS X', osVersion: '10.15.7' }, '2022-09-12'],
    ['Ubuntu 18.04 LTS', 'linux', { osId: 'ubuntu', osName: 'Ubuntu', osVersion: '18.04' }, '2023-05-31'],
    ['Ubuntu 23.10 (interim)', 'linux', { osId: 'ubuntu', osName: 'Ubuntu', osVersion: '23.10' }, '2024-07-11'],
    ['Debian 11 (after LTS)', 'linux', { osId: 'debian', osName: 'Debian GNU/Linux', osVersion: '11' }, '2026-08-31'],
    ['RHEL 7', 'linux', { osId: 'rhel', osName: 'Red Hat Enterprise Linux Server', osVersion: '7.9' }, '2024-06-30'],
    ['Rocky 8', 'linux', { osId: 'rocky', osName: 'Rocky Linux', osVersion: '8.9' }, '2029-05-31'],
    ['AlmaLinux 8', 'linux', { osId: 'almalinux', osName: 'AlmaLinux', osVersion: '8.10' }, '2029-03-01'],
    ['Oracle Linux 7', 'linux', { osId: 'ol', osName: 'Oracle Linux Server', osVersion: '7.9' }, '2024-12-31'],
    ['CentOS Stream 8', 'linux', { osId: 'centos', osName: 'CentOS Stream', osVersion: '8' }, '2024-05-31'],
    ['Fedora 40', 'linux', { osId: 'fedora', osName: 'Fedora Linux', osVersion: '40' }, '2025-05-13'],
    ['SLES 15 SP5', 'linux', { osId: 'sles', osName: 'SLES', osVersion: '15.5' }, '2024-12-31'],
    ['openSUSE Leap 15.5', 'linux', { osId: 'opensuse-leap', osName: 'openSUSE Leap', osVersion: '15.5' }, '2024-12-31'],
  ];
  for (const [label, platform, facts, end] of cases) {
    it(`${label}: supported on ${end}, ended the day after`, () => {
      expect(assessLifecycle(platform, facts, day(end)).state).toBe('supported');
      const after = assessLifecycle(platform, facts, next(end));
      expect(after.state).toBe('ended');
      expect(after.summary).toContain(end);
    });
  }

  it('an older agent without os-release ID is identified by its NAME', () => {
    expect(identifyRelease('linux', { osName: 'Rocky Linux', osVersion: '9.3' })).toEqual({ family: 'rocky', release: '9' });
    expect(identifyRelease('linux', { osName: 'SLES', osVersion: '15-SP5' })).toEqual({ family: 'sles', release: '15.5' });
  });

  it('a release the table does not know is unknown, never supported', () => {
    const a = assessLifecycle('linux', { osId: 'ubuntu', osName: 'Ubuntu', osVersion: '17.10' }, FRESH);
    expect(a).toMatchObject({ state: 'unknown' });
    expect(a.summary).toMatch(/not in the OS lifecycle table/);
    expect(assessLifecycle('win32', { osName: 'Windows 10 Enterprise LTSC', osVersion: '10.0.19045.1' }, FRESH).state).toBe('unknown');
    expect(assessLifecycle('linux', { osName: null, osVersion: null }, FRESH).state).toBe('unknown');
    expect(assessLifecycle('linux', { osId: 'gentoo', osName: 'Gentoo', osVersion: '2.15' }, FRESH).state).toBe('unknown');
  });

  it('rolling releases have no end; open-ended dates are trusted only while the table is fresh', () => {
    expect(assessLifecycle('linux', { osId: 'arch', osName: 'Arch Linux', osVersion: null }, day('2030-01-01')).state).toBe('rolling');
    expect(assessLifecycle('darwin', { osVersion: '15.3' }, FRESH).state).toBe('supported');
    const stale = assessLifecycle('darwin', { osVersion: '15.3' }, day('2027-06-01'));
    expect(stale.state).toBe('unknown');
    expect(stale.summary).toMatch(/over six months ago/);
  });

  it('Ubuntu Pro ESM extends an LTS only when verified active, and only to the ESM end', () => {
    const f = { osId: 'ubuntu', osName: 'Ubuntu', osVersion: '18.04' };
    const now = day('2026-12-03');
    expect(assessLifecycle('linux', f, now).summary).toMatch(/Ubuntu Pro ESM could not be verified/);
    expect(assessLifecycle('linux', { ...f, extendedSupport: { kind: 'ubuntu-pro-esm', active: false, detail: 'not attached to an Ubuntu Pro subscription' } }, now)).toMatchObject({ state: 'ended' });
    const esm = { ...f, extendedSupport: { kind: 'ubuntu-pro-esm' as const, active: true, expires: '9999-12-31' } };
    expect(assessLifecycle('linux', esm, now)).toMatchObject({ state: 'extended', end: '2028-04-01' });
    expect(assessLifecycle('linux', esm, next('2028-04-01')).state).toBe('ended');
    // A contract that expires earlier ends the cover earlier.
    expect(assessLifecycle('linux', { ...f, extendedSupport: { kind: 'ubuntu-pro-esm', active: true, expires: '2026-01-31' } }, now).state).toBe('ended');
    // The policy may refuse to count ESM.
    expect(assessLifecycle('linux', esm, now, { allowExtendedSupport: false }).state).toBe('ended');
  });

  it('Windows 10 22H2 ESU covers the licensed year only', () => {
    const f = { osName: 'Windows 10 Pro', osVersion: '10.0.19045.6456' };
    const y1 = { ...f, extendedSupport: { kind: 'windows-esu' as const, active: true, years: 1 } };
    expect(assessLifecycle('win32', y1, day('2026-10-13'))).toMatchObject({ state: 'extended', end: '2026-10-13' });
    expect(assessLifecycle('win32', y1, next('2026-10-13')).state).toBe('ended');
    expect(assessLifecycle('win32', { ...f, extendedSupport: { kind: 'windows-esu', active: true, years: 2 } }, day('2027-06-01')).state).toBe('extended');
    expect(assessLifecycle('win32', { ...f, extendedSupport: { kind: 'windows-esu', active: false } }, day('2026-01-01')).summary).toMatch(/ESU\) is not active/);
  });

  it('the policy overrides and extends the table', () => {
    const rules = { releases: [{ family: 'rhel', release: '7', end: '2028-06-30', source: 'RHEL 7 ELS contract #123' }, { family: 'gentoo', release: '2.15', end: 'rolling' as const }] };
    expect(assessLifecycle('linux', { osId: 'rhel', osName: 'Red Hat Enterprise Linux', osVersion: '7.9' }, day('2026-01-01'), rules).state).toBe('supported');
    expect(assessLifecycle('linux', { osId: 'gentoo', osName: 'Gentoo', osVersion: '2.15' }, day('2026-01-01'), rules).state).toBe('rolling');
  });

  it('warns when the table is older than six months', () => {
    expect(lifecycleTableWarning(day('2025-11-15'), '2025-10-31')).toBeNull();
    expect(lifecycleTableWarning(day('2026-06-01'), '2025-10-31')).toMatch(/213 days old \(as of 2025-10-31\)/);
  });
});
