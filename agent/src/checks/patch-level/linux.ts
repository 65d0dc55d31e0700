/**
 * Linux: the distro's package manager answers "what is pending" from its cached metadata
 * (we never refresh it: that is slow, needs root and the network). apt's simulation is
 * CPU-heavy without a binary cache, so every answer is memoised (in memory and in the
 * context's cacheDir, see pending-cache.ts) until the package database or the metadata
 * changes: the daemon and repeated `check` runs re-check for nearly free.
 */
import type { PatchLevelFacts } from '../../../../shared/src/checks/facts.js';
import type { Collector, ProbeContext } from '../types.js';
import { daysSince, describeFailure } from '../types.js';
import {
  aptListIsSecurity,
  aptReadsFile,
  oldestBuildTime,
  parseProStatus,
  parseAptHistoryLastUpdate,
  parseAptList,
  parseAptPeriodic,
  parseAptSimulate,
  parseCheckupdates,
  parseDnfCheckUpdate,
  parseDnfUpdateinfo,
  parseOsRelease,
  parseZypperXml,
  type Pending,
} from './parse-linux.js';
import { memoPending, type PendingResult } from './pending-cache.js';
import { assessLifecycle, findEntry } from '../../../../shared/src/lifecycle/lookup.js';

async function mtime(ctx: ProbeContext, path: string): Promise<number | null> {
  const s = await ctx.fs.stat(path);
  return s.ok ? s.value.mtimeMs : null;
}

/** What apt's answer depends on: installed packages, downloaded lists, pinning and sources. */
const APT_INPUTS = ['/var/lib/dpkg/status', '/var/lib/apt/lists', '/etc/apt/preferences.d', '/etc/apt/sources.list', '/etc/apt/sources.list.d'];
/** The rpm database (old and new locations) and dnf's/zypper's metadata caches. */
const RPMDB = ['/var/lib/rpm', '/usr/lib/sysimage/rpm'];
const DNF_INPUTS = [...RPMDB, '/var/cache/dnf', '/var/cache/libdnf5', '/var/cache/yum', '/etc/yum.repos.d'];
const ZYPPER_INPUTS = [...RPMDB, '/var/cache/zypp/raw', '/var/cache/zypp/solv', '/etc/zypp/repos.d'];

async function apt(ctx: ProbeContext): Promise<PendingResult> {
  return memoPending(ctx, 'apt', APT_INPUTS, async () => {
    // `apt list --upgradable` needs no solver (~0.8 s CPU vs ~2.9 s on Debian 12 with 113
    // pending); the simulation is the fallback for systems without the `apt` front end.
    const list = await ctx.run('apt', ['list', '--upgradable'], { timeoutMs: 30_000 });
    const lists = await ctx.fs.list('/var/lib/apt/lists');
    // Security fixes are recognised by their -security suite; with no such suite in the
    // downloaded lists (security repo not configured) a count of 0 would mean nothing.
    const metadata = lists.ok ? lists.value.some((f) => aptListIsSecurity(f)) : null;
    const withMeta = (p: Pending): Pending & { metadata: boolean | null } => {
      const m = p.security !== null && p.security > 0 ? true : metadata;
      return { ...p, security: m || p.pending === 0 ? p.security : null, metadata: m };
    };
    if (list.ok && /^Listing\.\.\./m.test(list.stdout)) return { pending: withMeta(parseAptList(list.stdout)) };
    const r = await ctx.run('apt-get', ['-s', '-o', 'Debug::NoLocking=1', 'upgrade'], { timeoutMs: 30_000 });
    return r.ok ? { pending: withMeta(parseAptSimulate(r.stdout)) } : { pending: null, error: describeFailure('apt-get -s upgrade', r.error) };
  });
}

function dnf(ctx: ProbeContext, tool: 'dnf' | 'yum'): Promise<PendingResult> {
  return memoPending(ctx, tool, DNF_INPUTS, () => dnfNow(ctx, tool));
}

async function dnfNow(ctx: ProbeContext, tool: 'dnf' | 'yum'): Promise<PendingResult> {
  const [check, sec] = await Promise.all([
    ctx.run(tool, ['-q', '-C', 'check-update'], { timeoutMs: 30_000 }),
    ctx.run(tool, ['-q', '-C', 'updateinfo', 'list', '--security'], { timeoutMs: 30_000 }),
  ]);
  // check-update exits 100 when updates are available, 0 when none.
  if (check.code !== 0 && check.code !== 100) return { pending: null, error: describeFailure(`${tool} check-update`, check.error) };
  const p = parseDnfCheckUpdate(check.stdout);
  let security = sec.ok ? parseDnfUpdateinfo(sec.stdout) : null;
  // An empty security list is "none pending" only if the repositories publish updateinfo at
  // all (many EL rebuild mirrors and third-party repos do not): ask for every advisory.
  let metadata: boolean | null = security !== null && security > 0 ? true : null;
  if (security === 0 && p.pending > 0) {
    const all = await ctx.run(tool, ['-q', '-C', 'updateinfo', 'list', '--all'], { timeoutMs: 30_000 });
    metadata = all.ok ? all.stdout.trim().length > 0 : null;
    if (metadata !== true) security = null;
  }
  // Without security metadata the policy may judge by the age of the oldest pending update:
  // the build time of each available upgrade (epoch seconds), asked only then.
  let oldestBuiltAt: number | null = null;
  if (security === null && p.pending > 0) {
    const q = await ctx.run(tool, ['-q', '-C', 'repoquery', '--upgrades', '--queryformat', '%{buildtime}\\n'], { timeoutMs: 30_000 });
    oldestBuiltAt = q.ok ? oldestBuildTime(q.stdout) : null;
  }
  return { pending: { ...p, security, metadata, oldestBuiltAt }, transient: !sec.ok && sec.error !== 'not_found' };
}

function zypper(ctx: ProbeContext): Promise<PendingResult> {
  return memoPending(ctx, 'zypper', ZYPPER_INPUTS, () => zypperNow(ctx));
}

async function zypperNow(ctx: ProbeContext): Promise<PendingResult> {
  const [up, patches] = await Promise.all([
    ctx.run('zypper', ['--non-interactive', '--no-refresh', '--xmlout', 'list-updates'], { timeoutMs: 30_000 }),
    ctx.run('zypper', ['--non-interactive', '--no-refresh', '--xmlout', 'list-patches', '--all', '--category', 'security'], { timeoutMs: 30_000 }),
  ]);
  if (!up.ok) return { pending: null, error: describeFailure('zypper list-updates', up.error) };
  const u = parseZypperXml(up.stdout);
  // `--all` lists applied security patches too: none at all means the repositories carry no
  // patch metadata (Tumbleweed, third-party repos), so "0 needed" would mean nothing.
  const p = patches.ok ? parseZypperXml(patches.stdout) : null;
  const metadata = p ? p.securityPatchesSeen > 0 : null;
  const security = p && (metadata || u.packages === 0) ? p.securityPatches : null;
  return { pending: { pending: u.packages, security, sample: u.sample, metadata }, transient: !patches.ok };
}

async function pacman(ctx: ProbeContext): Promise<PendingResult> {
  const r = await ctx.run('checkupdates', [], { timeoutMs: 30_000 });
  // checkupdates exits 2 when there is nothing to update.
  if (r.ok || r.code === 2) return { pending: parseCheckupdates(r.stdout) };
  return { pending: null, error: describeFailure('checkupdates', r.error) };
}

export const collectLinux: Collector<'patch_level'> = async (ctx) => {
  const [osRel, kernel] = await Promise.all([ctx.fs.read('/etc/os-release'), ctx.fs.read('/proc/sys/kernel/osrelease')]);
  const os = osRel.ok ? parseOsRelease(osRel.value) : null;
  const facts: PatchLevelFacts = {
    osName: os?.name ?? null,
    osVersion: os?.versionId ?? null,
    build: os?.pretty ?? null,
    kernel: kernel.ok ? kernel.value.trim() : null,
    pendingUpdates: null,
    pendingSecurityUpdates: null,
    daysSinceLastUpdate: null,
    autoUpdatesEnabled: null,
    packageManager: null,
    osId: os?.id ?? null,
  };
  const detail: Record<string, unknown> = {};
  const has = async (p: string) => (await ctx.fs.stat(p)).ok;
  let result: PendingResult = { pending: null, error: 'no supported package manager found (apt, dnf, yum, zypper, pacman)' };
  let lastUpdate: number | null = null;

  if (await has('/var/lib/dpkg/status')) {
    facts.packageManager = 'apt';
    const confDir = await ctx.fs.list('/etc/apt/apt.conf.d');
    const [res, history, confs, uu] = await Promise.all([
      apt(ctx),
      ctx.fs.read('/var/log/apt/history.log', 4 * 1024 * 1024),
      Promise.all((confDir.ok ? confDir.value.filter(aptReadsFile) : []).map((f) => ctx.fs.read(`/etc/apt/apt.conf.d/${f}`, 65536))),
      has('/usr/bin/unattended-upgrade'),
    ]);
    result = res;
    const last = history.ok ? parseAptHistoryLastUpdate(history.value) : null;
    lastUpdate = last?.getTime() ?? (await mtime(ctx, '/var/log/dpkg.log'));
    const periodic = parseAptPeriodic(confs.map((c) => (c.ok ? c.value : '')));
    facts.autoUpdatesEnabled = uu && periodic.unattendedUpgrade !== null && periodic.unattendedUpgrade !== '0';
    detail.unattendedUpgrades = { installed: uu, ...periodic };
  } else if ((await has('/usr/bin/dnf')) || (await has('/usr/bin/yum'))) {
    const tool = (await has('/usr/bin/dnf')) ? 'dnf' : 'yum';
    facts.packageManager = tool;
    result = await dnf(ctx, tool);
    lastUpdate = (await mtime(ctx, '/var/lib/dnf/history.sqlite')) ?? (await mtime(ctx, '/var/log/dnf.rpm.log'));
    const timers = await Promise.all(
      ['dnf-automatic.timer', 'dnf-automatic-install.timer', 'dnf5-automatic.timer'].map((t) => has(`/etc/systemd/system/timers.target.wants/${t}`)),
    );
    facts.autoUpdatesEnabled = timers.some(Boolean);
  } else if (await has('/usr/bin/zypper')) {
    facts.packageManager = 'zypper';
    result = await zypper(ctx);
    lastUpdate = await mtime(ctx, '/var/log/zypp/history');
    const aou = await ctx.fs.read('/etc/sysconfig/automatic_online_update');
    facts.autoUpdatesEnabled = aou.ok ? /AOU_ENABLE_CRONJOB="?true/.test(aou.value) : false;
  } else if (await has('/usr/bin/pacman')) {
    facts.packageManager = 'pacman';
    result = await pacman(ctx);
    lastUpdate = await mtime(ctx, '/var/log/pacman.log');
    facts.autoUpdatesEnabled = false; // Arch has no supported unattended upgrade mechanism
  }

  // Ubuntu Pro's client is Python (about a second of CPU): ask it only when ESM is what
  // decides, i.e. the release is past its standard support and ESM would extend it.
  const lc = os?.id === 'ubuntu' ? assessLifecycle('linux', facts, ctx.now) : null;
  if (lc?.state === 'ended' && lc.release && findEntry(lc.release)?.extended?.kind === 'ubuntu-pro-esm') {
    const pro = await ctx.run('pro', ['status', '--format', 'json'], { timeoutMs: 20_000 });
    facts.extendedSupport = pro.ok ? parseProStatus(pro.stdout) : { kind: 'ubuntu-pro-esm', active: null, detail: describeFailure('pro status --format json', pro.error) };
  }
  if (result.pending) {
    facts.pendingUpdates = result.pending.pending;
    facts.pendingSecurityUpdates = result.pending.security;
    facts.securityMetadata = result.pending.metadata ?? (result.pending.security !== null ? true : false);
    if (typeof result.pending.oldestBuiltAt === 'number') facts.oldestPendingDays = daysSince(result.pending.oldestBuiltAt, ctx.now);
    detail.pendingSample = result.pending.sample;
    if (result.cached) detail.pendingFrom = `cache (${result.cached}): package database and metadata unchanged`;
  }
  if (lastUpdate !== null) {
    facts.daysSinceLastUpdate = daysSince(lastUpdate, ctx.now);
    detail.lastUpdate = new Date(lastUpdate).toISOString();
  }
  const reason = result.error ?? (facts.pendingSecurityUpdates === null ? `${facts.packageManager} does not report security updates separately` : undefined);
  return { facts, detail, reason };
};
