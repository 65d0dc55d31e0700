/**
 * Windows end of security updates, from Microsoft's lifecycle pages. A client build has
 * one date per servicing channel: Home/Pro (also Pro Education, Pro for Workstations),
 * Enterprise/Education (+ IoT Enterprise), and LTSB/LTSC, which reuse GA builds
 * (LTSC 2021 is build 19044 like 21H2, LTSC 2019 is 17763 like 1809).
 */
import type { LifecycleEntry } from './types.js';

const W10 = 'https://learn.microsoft.com/en-us/lifecycle/products/windows-10-home-and-pro';
const W10E = 'https://learn.microsoft.com/en-us/lifecycle/products/windows-10-enterprise-and-education';
const W11 = 'https://learn.microsoft.com/en-us/lifecycle/products/windows-11-home-and-pro';
const W11E = 'https://learn.microsoft.com/en-us/lifecycle/products/windows-11-enterprise-and-education';
const ESU = 'https://learn.microsoft.com/en-us/windows/whats-new/extended-security-updates';
const LTSC = 'https://learn.microsoft.com/en-us/windows/release-health/release-information';

type Row = [release: string, name: string, homePro: string, enterprise: string];
const client = (rows: Row[], srcHome: string, srcEnt: string): LifecycleEntry[] =>
  rows.flatMap(([release, name, homePro, enterprise]) => [
    { family: 'windows', release, name, edition: 'home-pro' as const, end: homePro, source: srcHome },
    { family: 'windows', release, name, edition: 'enterprise' as const, end: enterprise, source: srcEnt },
  ]);

export const WINDOWS: LifecycleEntry[] = [
  ...client(
    [
      ['17763', 'Windows 10 1809', '2020-11-10', '2021-05-11'],
      ['18362', 'Windows 10 1903', '2020-12-08', '2020-12-08'],
      ['18363', 'Windows 10 1909', '2021-05-11', '2022-05-10'],
      ['19041', 'Windows 10 2004', '2021-12-14', '2021-12-14'],
      ['19042', 'Windows 10 20H2', '2022-05-10', '2023-05-09'],
      ['19043', 'Windows 10 21H1', '2022-12-13', '2022-12-13'],
      ['19044', 'Windows 10 21H2', '2023-06-13', '2024-06-11'],
    ],
    W10,
    W10E,
  ),
  // 22H2, the last Windows 10: every edition ends on the same day; ESU (paid, or the
  // consumer enrolment) extends it a year at a time, verifiable by its licence.
  ...(['home-pro', 'enterprise'] as const).map((edition) => ({
    family: 'windows',
    release: '19045',
    name: 'Windows 10 22H2',
    edition,
    end: '2025-10-14',
    extended: { kind: 'windows-esu' as const, end: '2028-10-10', years: ['2026-10-13', '2027-10-12', '2028-10-10'] },
    source: edition === 'home-pro' ? W10 : W10E,
    note: `ESU years end 2026-10-13, 2027-10-12, 2028-10-10 (${ESU})`,
  })),
  { family: 'windows', release: '10240', name: 'Windows 10 Enterprise 2015 LTSB', edition: 'ltsc', end: '2025-10-14', source: LTSC },
  { family: 'windows', release: '14393', name: 'Windows 10 Enterprise 2016 LTSB', edition: 'ltsc', end: '2026-10-13', source: LTSC },
  { family: 'windows', release: '17763', name: 'Windows 10 Enterprise LTSC 2019', edition: 'ltsc', end: '2029-01-09', source: LTSC },
  { family: 'windows', release: '19044', name: 'Windows 10 Enterprise LTSC 2021', edition: 'ltsc', end: '2027-01-12', source: LTSC },
  ...client(
    [
      ['22000', 'Windows 11 21H2', '2023-10-10', '2024-10-08'],
      ['22621', 'Windows 11 22H2', '2024-10-08', '2025-10-14'],
      ['22631', 'Windows 11 23H2', '2025-11-11', '2026-11-10'],
      ['26100', 'Windows 11 24H2', '2026-10-13', '2027-10-12'],
      ['26200', 'Windows 11 25H2', '2027-10-12', '2028-10-10'],
    ],
    W11,
    W11E,
  ),
  { family: 'windows', release: '26100', name: 'Windows 11 Enterprise LTSC 2024', edition: 'ltsc', end: '2029-10-09', source: LTSC },
  // Server: Long-Term Servicing Channel releases, extended support end (security updates).
  { family: 'windows-server', release: '7601', name: 'Windows Server 2008 R2', end: '2020-01-14', source: 'https://learn.microsoft.com/en-us/lifecycle/products/windows-server-2008-r2' },
  { family: 'windows-server', release: '9200', name: 'Windows Server 2012', end: '2023-10-10', source: 'https://learn.microsoft.com/en-us/lifecycle/products/windows-server-2012' },
  { family: 'windows-server', release: '9600', name: 'Windows Server 2012 R2', end: '2023-10-10', source: 'https://learn.microsoft.com/en-us/lifecycle/products/windows-server-2012-r2' },
  { family: 'windows-server', release: '14393', name: 'Windows Server 2016', end: '2027-01-12', source: 'https://learn.microsoft.com/en-us/lifecycle/products/windows-server-2016' },
  { family: 'windows-server', release: '17763', name: 'Windows Server 2019', end: '2029-01-09', source: 'https://learn.microsoft.com/en-us/lifecycle/products/windows-server-2019' },
  { family: 'windows-server', release: '20348', name: 'Windows Server 2022', end: '2031-10-14', source: 'https://learn.microsoft.com/en-us/lifecycle/products/windows-server-2022' },
  { family: 'windows-server', release: '26100', name: 'Windows Server 2025', end: '2034-10-10', source: 'https://learn.microsoft.com/en-us/lifecycle/products/windows-server-2025' },
];
