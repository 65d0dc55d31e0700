/**
 * Linux distributions, keyed by os-release ID. Where a vendor gives only a month (Ubuntu
 * LTS), the first day of that month is used: ending a day early is a false "fail" for a
 * few weeks, ending late would be a false "pass". Debian's dates are the end of Debian LTS
 * (free, by the Debian project, for the main architectures); the security team's own end
 * is in the note. Paid programmes the agent cannot see (RHEL ELS, SUSE LTSS, Debian ELTS)
 * are not counted: the policy can add them.
 */
import type { LifecycleEntry } from './types.js';

const UBU = 'https://ubuntu.com/about/release-cycle';
const UBU_WIKI = 'https://wiki.ubuntu.com/Releases';
const DEB = 'https://wiki.debian.org/LTS';
const RHEL = 'https://access.redhat.com/support/policy/updates/errata';
const CENTOS = 'https://www.centos.org/centos-linux-eol/';
const STREAM = 'https://www.centos.org/cl-vs-cs/';
const ROCKY = 'https://wiki.rockylinux.org/rocky/version/';
const ALMA = 'https://wiki.almalinux.org/release-notes/';
const OL = 'https://www.oracle.com/a/ocom/docs/elsp-lifetime-069338.pdf';
const FED = 'https://docs.fedoraproject.org/en-US/releases/eol/';
const SUSE = 'https://www.suse.com/lifecycle/';
const LEAP = 'https://en.opensuse.org/Lifetime';

const lts = (release: string, codename: string, end: string, esm: string): LifecycleEntry => ({
  family: 'ubuntu',
  release,
  name: `Ubuntu ${release} LTS (${codename})`,
  end,
  extended: { kind: 'ubuntu-pro-esm', end: esm },
  source: UBU,
  note: `standard support ends ${end.slice(0, 7)}; Ubuntu Pro ESM to ${esm.slice(0, 7)}`,
});
const interim = (release: string, end: string): LifecycleEntry => ({ family: 'ubuntu', release, name: `Ubuntu ${release}`, end, source: UBU_WIKI });
const major = (family: string, name: string, source: string, rows: [string, string][]): LifecycleEntry[] =>
  rows.map(([release, end]) => ({ family, release, name: `${name} ${release}`, end, source }));

export const LINUX: LifecycleEntry[] = [
  lts('14.04', 'trusty', '2019-04-01', '2024-04-01'),
  lts('16.04', 'xenial', '2021-04-01', '2026-04-01'),
  lts('18.04', 'bionic', '2023-05-31', '2028-04-01'),
  lts('20.04', 'focal', '2025-05-29', '2030-04-01'),
  lts('22.04', 'jammy', '2027-06-01', '2032-04-01'),
  lts('24.04', 'noble', '2029-06-01', '2034-04-01'),
  lts('26.04', 'resolute', '2031-06-01', '2036-04-01'),
  interim('22.10', '2023-07-20'),
  interim('23.04', '2024-01-25'),
  interim('23.10', '2024-07-11'),
  interim('24.10', '2025-07-10'),
  interim('25.04', '2026-01-01'),
  interim('25.10', '2026-07-01'),
  { family: 'debian', release: '9', name: 'Debian 9 (stretch)', end: '2022-06-30', source: DEB, note: 'security team support ended 2020-07-06' },
  { family: 'debian', release: '10', name: 'Debian 10 (buster)', end: '2024-06-30', source: DEB, note: 'security team support ended 2022-09-10' },
  { family: 'debian', release: '11', name: 'Debian 11 (bullseye)', end: '2026-08-31', source: DEB, note: 'security team support ended 2024-08-14' },
  { family: 'debian', release: '12', name: 'Debian 12 (bookworm)', end: '2028-06-30', source: DEB, note: 'security team support ends 2026-06-10' },
  { family: 'debian', release: '13', name: 'Debian 13 (trixie)', end: '2030-06-30', source: DEB },
  ...major('rhel', 'Red Hat Enterprise Linux', RHEL, [['7', '2024-06-30'], ['8', '2029-05-31'], ['9', '2032-05-31'], ['10', '2035-05-31']]),
  { family: 'centos', release: '7', name: 'CentOS Linux 7', end: '2024-06-30', source: CENTOS },
  { family: 'centos', release: '8', name: 'CentOS Linux 8', end: '2021-12-31', source: CENTOS },
  { family: 'centos', release: 'stream-8', name: 'CentOS Stream 8', end: '2024-05-31', source: STREAM },
  { family: 'centos', release: 'stream-9', name: 'CentOS Stream 9', end: '2027-05-31', source: STREAM },
  ...major('rocky', 'Rocky Linux', ROCKY, [['8', '2029-05-31'], ['9', '2032-05-31'], ['10', '2035-05-31']]),
  ...major('almalinux', 'AlmaLinux', ALMA, [['8', '2029-03-01'], ['9', '2032-05-31'], ['10', '2035-05-31']]),
  ...major('ol', 'Oracle Linux', OL, [['7', '2024-12-31'], ['8', '2029-07-01'], ['9', '2032-06-01']]),
  ...major('fedora', 'Fedora Linux', FED, [['37', '2023-12-05'], ['38', '2024-05-21'], ['39', '2024-11-26'], ['40', '2025-05-13'], ['41', '2025-12-15']]),
  { family: 'fedora', release: '42', name: 'Fedora Linux 42', end: null, source: FED, note: 'ends four weeks after Fedora 44 ships' },
  { family: 'fedora', release: '43', name: 'Fedora Linux 43', end: null, source: FED, note: 'ends four weeks after Fedora 45 ships' },
  ...major('sles', 'SUSE Linux Enterprise Server', SUSE, [['12.5', '2024-10-31'], ['15.3', '2022-12-31'], ['15.4', '2023-12-31'], ['15.5', '2024-12-31'], ['15.6', '2025-12-31'], ['15.7', '2031-07-31']]),
  ...major('opensuse-leap', 'openSUSE Leap', LEAP, [['15.3', '2022-12-31'], ['15.4', '2023-12-07'], ['15.5', '2024-12-31'], ['15.6', '2026-04-30'], ['16.0', '2027-10-31']]),
  { family: 'opensuse-tumbleweed', release: '*', name: 'openSUSE Tumbleweed', end: 'rolling', source: 'https://get.opensuse.org/tumbleweed/' },
  { family: 'arch', release: '*', name: 'Arch Linux', end: 'rolling', source: 'https://wiki.archlinux.org/title/Arch_Linux' },
];
