/**
 * Known EDR / antivirus agents on Linux and macOS, recognised by their process names
 * (Linux comm is truncated to 15 characters, so prefixes are matched) and by install
 * paths (installed but not running is reported as running: false, which fails).
 */
import type { ProcessInfo } from '../../exec/processes.js';

export interface KnownAgent {
  name: string;
  kind: 'antivirus' | 'edr';
  processes: { linux: string[]; darwin: string[] };
  paths: { linux: string[]; darwin: string[] };
}

export const KNOWN_AGENTS: KnownAgent[] = [
  {
    name: 'CrowdStrike Falcon',
    kind: 'edr',
    processes: { linux: ['falcon-sensor', 'falcond'], darwin: ['com.crowdstrike.falcon.Agent', 'falcond'] },
    paths: { linux: ['/opt/CrowdStrike/falconctl'], darwin: ['/Applications/Falcon.app'] },
  },
  {
    name: 'SentinelOne',
    kind: 'edr',
    processes: { linux: ['s1-agent', 'sentinelone-age'], darwin: ['sentineld', 'SentinelAgent'] },
    paths: { linux: ['/opt/sentinelone/bin/sentinelctl'], darwin: ['/Library/Sentinel/sentinel-agent.bundle', '/Applications/SentinelOne'] },
  },
  {
    name: 'Microsoft Defender for Endpoint',
    kind: 'edr',
    processes: { linux: ['wdavdaemon'], darwin: ['wdavdaemon'] },
    paths: { linux: ['/opt/microsoft/mdatp'], darwin: ['/Applications/Microsoft Defender.app'] },
  },
  {
    name: 'Sophos Protection',
    kind: 'antivirus',
    processes: { linux: ['sophos_threat_d', 'sophos_managem'], darwin: ['SophosScanD', 'SophosAntiVirus'] },
    paths: { linux: ['/opt/sophos-spl'], darwin: ['/Applications/Sophos/Sophos Endpoint.app'] },
  },
  {
    name: 'Elastic Defend',
    kind: 'edr',
    processes: { linux: ['elastic-endpoin'], darwin: ['elastic-endpoint'] },
    paths: { linux: ['/opt/Elastic/Endpoint'], darwin: ['/Library/Elastic/Endpoint'] },
  },
];

export function isRunning(procs: ProcessInfo[], names: string[]): boolean {
  return procs.some((p) => names.some((n) => p.name === n || p.name.startsWith(n) || p.cmdline.split(' ')[0].endsWith(`/${n}`)));
}
