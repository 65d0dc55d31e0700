/**
 * Linux: read the live rulesets, nftables (which also shows iptables-nft and firewalld
 * rules) and iptables/ip6tables (which shows iptables-legacy rules nft cannot see; the
 * kernel runs both, so a drop in either counts), for IPv4 and IPv6 separately. A filter
 * for IPv4 only, with IPv6 up on a real interface, leaves the machine open over IPv6.
 * Then ufw and firewalld state. Reading rules needs root; unprivileged we fall back to
 * ufw's and firewalld's configuration and say that root would be more precise.
 */
import type { Collector, ProbeContext } from '../types.js';
import { describeFailure } from '../types.js';
import { ipv6Interfaces, liveIpv6Interfaces, parseIptablesS, parseNftRuleset, parseUfwConfig, parseUfwStatus, parseZoneTarget, type IptablesInput } from './parse-linux.js';

/** firewalld's default zone and its target (ACCEPT = everything in), from D-Bus and the zone files. */
async function firewalld(ctx: ProbeContext): Promise<{ zone: string | null; target: string | null }> {
  const z = await ctx.run('firewall-cmd', ['--get-default-zone']);
  let zone = z.ok ? z.stdout.trim() || null : null;
  if (!zone) {
    const conf = await ctx.fs.read('/etc/firewalld/firewalld.conf', 65536);
    zone = conf.ok ? (/^\s*DefaultZone\s*=\s*(\S+)/m.exec(conf.value)?.[1] ?? null) : null;
  }
  if (!zone || !/^[\w-]+$/.test(zone)) return { zone, target: null };
  for (const dir of ['/etc/firewalld/zones', '/usr/lib/firewalld/zones']) {
    const f = await ctx.fs.read(`${dir}/${zone}.xml`, 65536);
    if (f.ok) return { zone, target: parseZoneTarget(f.value) };
  }
  return { zone, target: zone === 'trusted' ? 'ACCEPT' : null };
}

export const collectLinux: Collector<'firewall'> = async (ctx) => {
  const [nft, ipt, ip6t, ufw, ufwConf, ufwDefaults, fwd, inet6, legacyNames, legacy6Names] = await Promise.all([
    ctx.run('nft', ['-j', 'list', 'ruleset']),
    // The whole filter table: INPUT may jump to user chains that hold the final DROP.
    ctx.run('iptables', ['-S']),
    ctx.run('ip6tables', ['-S']),
    ctx.run('ufw', ['status', 'verbose']),
    ctx.fs.read('/etc/ufw/ufw.conf'),
    ctx.fs.read('/etc/default/ufw'),
    ctx.run('firewall-cmd', ['--state']),
    ctx.fs.read('/proc/net/if_inet6', 65536),
    // x_tables (legacy) tables registered in the kernel: rules nft cannot show may be there.
    ctx.fs.read('/proc/net/ip_tables_names'),
    ctx.fs.read('/proc/net/ip6_tables_names'),
  ]);
  const backends: string[] = [];
  const notes: string[] = [];
  const detail: Record<string, unknown> = {};
  let denied = false;
  const note = (what: string, r: { error: string | null }) => {
    if (r.error === 'not_found') return;
    notes.push(describeFailure(what, r.error));
    denied ||= r.error === 'permission_denied';
  };

  const ruleset = nft.ok ? parseNftRuleset(nft.stdout) : null;
  if (ruleset) {
    if (ruleset.inputChains.length || ruleset.tables.length) backends.push('nftables');
    detail.nftInputChains = ruleset.inputChains.slice(0, 16);
    detail.nftTables = ruleset.tables.slice(0, 32);
  } else note('nft', nft);
  const v4 = ipt.ok ? parseIptablesS(`${ipt.stdout}\n${ipt.stderr}`) : null;
  const v6 = ip6t.ok ? parseIptablesS(`${ip6t.stdout}\n${ip6t.stderr}`) : null;
  if (v4) detail.iptablesInput = v4;
  else if (!ruleset) note('iptables', ipt);
  if (v6) detail.ip6tablesInput = v6;
  // iptables-nft shows the same rules as nft; only name it when it adds something.
  if ((v4?.rules || v4?.policy === 'drop') && !ruleset?.filteredV4) backends.push('iptables');

  // Legacy tables hidden behind the nft backend: read them with the legacy tools.
  const hasLegacy = (names: typeof legacyNames, parsed: IptablesInput | null, r: typeof ipt) =>
    parsed?.legacyWarning === true || /iptables-legacy tables present/i.test(`${r.stdout}${r.stderr}`) || (names.ok && /\bfilter\b/.test(names.value));
  const legacy = async (family: 'v4' | 'v6'): Promise<{ filtered: boolean | null } | null> => {
    const present = family === 'v4' ? hasLegacy(legacyNames, v4, ipt) : hasLegacy(legacy6Names, v6, ip6t);
    if (!present) return null;
    const r = await ctx.run(family === 'v4' ? 'iptables-legacy-save' : 'ip6tables-legacy-save', ['-t', 'filter']);
    const parsed = r.ok ? parseIptablesS(r.stdout) : null;
    // legacy-save prints nothing at all when no legacy filter table exists.
    if (r.ok && !parsed && !r.stdout.trim()) return null;
    detail[family === 'v4' ? 'iptablesLegacy' : 'ip6tablesLegacy'] = parsed ?? describeFailure(`${family === 'v4' ? 'iptables' : 'ip6tables'}-legacy-save`, r.error);
    if (!parsed) {
      notes.push(`legacy ${family === 'v4' ? 'IPv4' : 'IPv6'} tables are present but could not be read (${describeFailure('iptables-legacy-save', r.error)})`);
      denied ||= r.error === 'permission_denied';
      return { filtered: null };
    }
    if (parsed.filtered && !backends.includes('iptables-legacy')) backends.push('iptables-legacy');
    return { filtered: parsed.filtered };
  };
  const [legacyV4, legacyV6] = await Promise.all([legacy('v4'), legacy('v6')]);

  const or = (a: boolean | null | undefined, b: boolean | null | undefined): boolean | null => (a === true || b === true ? true : a === false || b === false ? false : null);
  // The kernel runs both rule sets: a drop in either stops the packet; an unreadable legacy
  // table leaves "not filtered" unproven.
  const withLegacy = (main: boolean | null, l: { filtered: boolean | null } | null) => (l === null ? main : main === true || l.filtered === true ? true : l.filtered === null ? null : main);
  const filteredV4 = withLegacy(or(ruleset?.filteredV4, v4?.filtered), legacyV4);
  const filteredV6 = withLegacy(or(ruleset?.filteredV6, v6?.filtered), legacyV6);
  const v6Candidates = inet6.ok ? ipv6Interfaces(inet6.value) : [];
  // Per interface: its own disable_ipv6 and its live addresses decide, not conf/all.
  const perIf = Object.fromEntries(
    await Promise.all(v6Candidates.slice(0, 32).map(async (i) => {
      const r = /^[\w.@-]+$/.test(i) ? await ctx.fs.read(`/proc/sys/net/ipv6/conf/${i}/disable_ipv6`) : null;
      return [i, r?.ok ? r.value : null] as const;
    })),
  );
  const v6Ifaces = liveIpv6Interfaces(inet6.ok ? inet6.value : '', perIf);
  const ipv6Active = v6Ifaces.length > 0;
  detail.ipv6 = { interfaces: v6Ifaces.slice(0, 16), filtered: filteredV6 };
  let kernelView: boolean | null = null; // what the live rulesets say
  if (filteredV4 === false) kernelView = false;
  else if (filteredV4 === true) {
    kernelView = !ipv6Active ? true : filteredV6;
    if (ipv6Active && filteredV6 === false) notes.push(`IPv4 is filtered but IPv6 is not (IPv6 up on ${v6Ifaces.slice(0, 4).join(', ')})`);
    if (ipv6Active && filteredV6 === null) notes.push('IPv4 is filtered; the IPv6 ruleset could not be read');
  }

  let configView: boolean | null = null; // what firewall managers say they enforce
  let firewalldUnknown = false;
  const status = ufw.ok ? parseUfwStatus(ufw.stdout) : null;
  if (status) {
    detail.ufw = status;
    if (status.active) backends.push('ufw');
    configView = status.active && status.defaultIncoming !== null && status.defaultIncoming !== 'allow';
  } else if (ufwConf.ok) {
    denied ||= ufw.error === 'permission_denied';
    const conf = parseUfwConfig(ufwConf.value, ufwDefaults.ok ? ufwDefaults.value : '');
    detail.ufwConfig = conf;
    if (conf.enabled) backends.push('ufw');
    configView = conf.enabled && (conf.defaultInput === 'drop' || conf.defaultInput === 'reject');
  }
  if (fwd.ok && fwd.stdout.trim() === 'running') {
    const { zone, target } = await firewalld(ctx);
    detail.firewalld = { state: 'running', defaultZone: zone, target: zone ? target ?? 'default' : null };
    backends.push('firewalld');
    if (zone === null) {
      // Running, but neither D-Bus nor the config file told us the zone: that is not "open".
      notes.push('firewalld is running but its default zone could not be read (firewall-cmd --get-default-zone failed, /etc/firewalld/firewalld.conf unreadable)');
      firewalldUnknown = true;
      if (configView !== true) configView = null;
    } else {
      // Target ACCEPT (the stock 'trusted' zone) lets everything in; the default target rejects.
      configView = configView === true || target !== 'ACCEPT';
    }
  } else if (fwd.ok || fwd.code === 252) {
    detail.firewalld = { state: 'not running' };
  }

  // Which firewall tools this machine has, so the fix steps name only those.
  detail.tools = { ufw: ufw.error !== 'not_found' || ufwConf.ok, firewalld: fwd.error !== 'not_found', nft: nft.error !== 'not_found' };
  const uniq = [...new Set(backends)];
  // The live ruleset is authoritative; configuration only fills in when we cannot read it.
  const nothingSeen = uniq.length === 0 && notes.length === 0;
  const inboundFiltered = kernelView ?? configView ?? (denied ? null : nothingSeen ? false : null);
  if (notes.length) detail.notes = notes;
  return {
    facts: { inboundFiltered, backends: uniq },
    detail,
    reason: inboundFiltered === null ? notes.join('; ') || 'no readable firewall state' : inboundFiltered === false && notes.length ? notes.join('; ') : undefined,
    needsElevation: (kernelView === null || firewalldUnknown) && !ctx.elevated ? true : undefined,
  };
};
