/**
 * Where a machine's OS stands in its vendor's lifecycle: from the patch_level facts
 * (platform, osName, osVersion, os-release ID) to a release of the table and a state.
 * Pure, with the clock passed in. A release the table does not know is `unknown`, never
 * supported: an agent cannot vouch for an OS nobody has dated.
 */
import type { PatchLevelFacts } from '../checks/facts.js';
import { LIFECYCLE_AS_OF, LIFECYCLE_TABLE, STALE_AFTER_DAYS } from './table.js';
import type { LifecycleEntry, LifecyclePolicy, WindowsEdition } from './types.js';

export interface ReleaseId {
  family: string;
  release: string;
  edition?: WindowsEdition;
}

export type LifecycleState = 'supported' | 'extended' | 'ended' | 'rolling' | 'unknown';

export interface LifecycleAssessment {
  state: LifecycleState;
  release: ReleaseId | null;
  /** The matched entry's name, end and source (absent when unmatched). */
  name?: string;
  end?: string | null;
  source?: string;
  /** One sentence saying what was decided and why. */
  summary: string;
}

const DAY = 86_400_000;
const RHEL_LIKE = new Set(['rhel', 'rocky', 'almalinux', 'ol', 'centos', 'fedora', 'debian']);

/** Linux os-release ID from an older agent's NAME when the ID was not reported. */
function idFromName(name: string): string | null {
  const table: [RegExp, string][] = [
    [/^ubuntu/i, 'ubuntu'],
    [/^debian/i, 'debian'],
    [/^red hat enterprise/i, 'rhel'],
    [/^rocky/i, 'rocky'],
    [/^almalinux/i, 'almalinux'],
    [/^oracle linux/i, 'ol'],
    [/^centos/i, 'centos'],
    [/^fedora/i, 'fedora'],
    [/^sles|^suse linux enterprise/i, 'sles'],
    [/^opensuse leap/i, 'opensuse-leap'],
    [/^opensuse tumbleweed/i, 'opensuse-tumbleweed'],
    [/^arch linux/i, 'arch'],
  ];
  return table.find(([re]) => re.test(name))?.[1] ?? null;
}

/** Which release of the table a machine runs, or null when the facts do not say. */
export function identifyRelease(platform: string, f: Partial<PatchLevelFacts>): ReleaseId | null {
  const name = typeof f.osName === 'string' ? f.osName : '';
  const version = typeof f.osVersion === 'string' ? f.osVersion.trim() : '';
  if (platform === 'win32') {
    const build = /^10\.0\.(\d+)/.exec(version)?.[1];
    if (!build) return null;
    if (/server/i.test(name)) return { family: 'windows-server', release: build };
    const edition: WindowsEdition = /LTS[BC]/i.test(name) ? 'ltsc' : /enterprise|education|iot/i.test(name) && !/pro education/i.test(name) ? 'enterprise' : 'home-pro';
    return { family: 'windows', release: build, edition };
  }
  if (platform === 'darwin') {
    const m = /^(\d+)(?:\.(\d+))?/.exec(version);
    if (!m) return null;
    return { family: 'macos', release: m[1] === '10' ? `10.${m[2] ?? '0'}` : m[1] };
  }
  const id = (typeof f.osId === 'string' && f.osId ? f.osId.toLowerCase() : null) ?? idFromName(name);
  if (!id) return null;
  if (id === 'arch' || id === 'opensuse-tumbleweed') return { family: id, release: '*' };
  if (!version) return null;
  if (id === 'centos' && /stream/i.test(name)) return { family: id, release: `stream-${version.split('.')[0]}` };
  if (RHEL_LIKE.has(id)) return { family: id, release: version.split('.')[0] };
  if (id === 'sles' || id === 'sled' || id === 'opensuse-leap') return { family: id === 'sled' ? 'sles' : id, release: version.replace(/-SP(\d+)$/i, '.$1') };
  return { family: id, release: version };
}

/** The table with the policy's entries laid over it (same family, release and edition replaces). */
function entries(policy?: LifecyclePolicy): LifecycleEntry[] {
  const extra = (policy?.releases ?? []).map((e) => ({ ...e, name: e.name ?? `${e.family} ${e.release}`, source: e.source ?? 'company policy' })) as LifecycleEntry[];
  const same = (a: LifecycleEntry, b: LifecycleEntry) => a.family === b.family && a.release === b.release && (a.edition ?? null) === (b.edition ?? null);
  return [...extra, ...LIFECYCLE_TABLE.filter((t) => !extra.some((e) => same(e, t)))];
}

export function findEntry(id: ReleaseId, policy?: LifecyclePolicy): LifecycleEntry | null {
  const all = entries(policy);
  const exact = all.find((e) => e.family === id.family && e.release === id.release && (e.edition ?? undefined) === id.edition);
  if (exact) return exact;
  // An LTSC build the table has no LTSC row for is not a GA build: do not borrow its date.
  if (id.edition === 'ltsc') return null;
  return all.find((e) => e.family === id.family && e.release === id.release && !e.edition) ?? null;
}

const afterDay = (day: string, now: Date) => now.getTime() >= Date.parse(`${day}T00:00:00Z`) + DAY;

/**
 * Assess the OS of one machine. `extended` in the facts is what the agent verified on the
 * machine (Ubuntu Pro ESM attached and esm-infra enabled; Windows ESU licence year N).
 */
export function assessLifecycle(platform: string, f: Partial<PatchLevelFacts>, now: Date, policy?: LifecyclePolicy, asOf: string = LIFECYCLE_AS_OF): LifecycleAssessment {
  const id = identifyRelease(platform, f);
  const os = [f.osName, f.osVersion].filter((x) => typeof x === 'string' && x).join(' ') || 'this OS';
  if (!id) return { state: 'unknown', release: null, summary: `the OS release could not be identified (${os}), so its end of security support is unknown` };
  const e = findEntry(id, policy);
  if (!e) return { state: 'unknown', release: id, summary: `${os} is not in the OS lifecycle table (as of ${asOf}); its end of security support is unknown (the policy can add it under lifecycle.releases)` };
  const base = { release: id, name: e.name, end: e.end, source: e.source };
  if (e.end === 'rolling') return { ...base, state: 'rolling', summary: `${e.name} is a rolling release: no end of support, pending updates decide` };
  if (e.end === null) {
    if (now.getTime() - Date.parse(`${asOf}T00:00:00Z`) > STALE_AFTER_DAYS * DAY)
      return { ...base, state: 'unknown', summary: `${e.name} had no announced end of security support when the lifecycle table was last reviewed (${asOf}, over six months ago); it may have ended since` };
    return { ...base, state: 'supported', summary: `${e.name} receives security updates (no end announced as of ${asOf})` };
  }
  if (!afterDay(e.end, now)) return { ...base, state: 'supported', summary: `${e.name} receives security updates until ${e.end}` };
  const ended = `${e.name} reached end of security support on ${e.end} (${e.source})`;
  const ext = e.extended;
  if (!ext) return { ...base, state: 'ended', summary: ended };
  const seen = f.extendedSupport;
  const label = ext.kind === 'ubuntu-pro-esm' ? 'Ubuntu Pro ESM' : 'Extended Security Updates (ESU)';
  if (policy?.allowExtendedSupport === false) return { ...base, state: 'ended', summary: `${ended}; the policy does not count ${label}` };
  if (!seen || seen.kind !== ext.kind || seen.active !== true) {
    const why = !seen || seen.kind !== ext.kind || seen.active === null ? 'could not be verified on this machine' : 'is not active on this machine';
    return { ...base, state: 'ended', summary: `${ended}; ${label} ${why}${seen?.detail ? ` (${seen.detail})` : ''}` };
  }
  let coveredTo = ext.end;
  if (ext.kind === 'windows-esu') {
    const year = typeof seen.years === 'number' ? Math.floor(seen.years) : 0;
    coveredTo = ext.years?.[Math.min(year, ext.years.length) - 1] ?? '';
    if (!coveredTo) return { ...base, state: 'ended', summary: `${ended}; no ESU year licence was found` };
  }
  if (typeof seen.expires === 'string' && /^\d{4}-\d{2}-\d{2}/.test(seen.expires) && seen.expires.slice(0, 10) < coveredTo) coveredTo = seen.expires.slice(0, 10);
  if (afterDay(coveredTo, now)) return { ...base, state: 'ended', end: coveredTo, summary: `${ended}; ${label} on this machine covered it only until ${coveredTo}` };
  return { ...base, state: 'extended', end: coveredTo, summary: `${e.name} ended standard support on ${e.end}; ${label} is active on this machine until ${coveredTo}` };
}
