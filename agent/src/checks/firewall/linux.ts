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
import { ipv6Interfaces, parseIptablesS, parseNftRuleset, parseUfwConfig, parseUfwStatus, parseZoneTarget } from './parse-linux.js';

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
  const [nft, ipt, ip6t, ufw, ufwConf, ufwDefaults, fwd, inet6, v6off] = await Promise.all([
    ctx.run('nft', ['-j', 'list', 'ruleset']),
    ctx.run('iptables', ['-S', 'INPUT']),
    ctx.run('ip6tables', ['-S', 'INPUT']),
    ctx.run('ufw', ['status', 'verbose']),
    ctx.fs.read('/etc/ufw/ufw.conf'),
    ctx.fs.read('/etc/default/ufw'),
    ctx.run('firewall-cmd', ['--state']),
    ctx.fs.read('/proc/net/if_inet6', 65536),
    ctx.fs.read('/proc/sys/net/ipv6/conf/all/disable_ipv6'),
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
  const v4 = ipt.ok ? parseIptablesS(ipt.stdout) : null;
  const v6 = ip6t.ok ? parseIptablesS(ip6t.stdout) : null;
  if (v4) detail.iptablesInput = v4;
  else if (!ruleset) note('iptables', ipt);
  if (v6) detail.ip6tablesInput = v6;
  // iptables-nft shows the same rules as nft; only name it when it adds something.
  if ((v4?.rules || v4?.policy === 'drop') && !ruleset?.filteredV4) backends.push('iptables');

  const or = (a: boolean | null | undefined, b: boolean | null | undefined): boolean | null => (a === true || b === true ? true : a === false || b === false ? false : null);
  const filteredV4 = or(ruleset?.filteredV4, v4?.filtered);
  const filteredV6 = or(ruleset?.filteredV6, v6?.filtered);
  const v6Ifaces = inet6.ok ? ipv6Interfaces(inet6.value) : [];
  const ipv6Active = v6Ifaces.length > 0 && !(v6off.ok && v6off.value.trim() === '1');
  detail.ipv6 = { interfaces: v6Ifaces.slice(0, 16), filtered: filteredV6 };
  let kernelView: boolean | null = null; // what the live rulesets say
  if (filteredV4 === false) kernelView = false;
  else if (filteredV4 === true) {
    kernelView = !ipv6Active ? true : filteredV6;
    if (ipv6Active && filteredV6 === false) notes.push(`IPv4 is filtered but IPv6 is not (IPv6 up on ${v6Ifaces.slice(0, 4).join(', ')})`);
    if (ipv6Active && filteredV6 === null) notes.push('IPv4 is filtered; the IPv6 ruleset could not be read');
  }

  let configView: boolean | null = null; // what firewall managers say they enforce
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
    detail.firewalld = { state: 'running', defaultZone: zone, target: target ?? 'default' };
    backends.push('firewalld');
    // Target ACCEPT (the stock 'trusted' zone) lets everything in; the default target rejects.
    configView = (configView ?? false) || (zone !== null && target !== 'ACCEPT');
  } else if (fwd.ok || fwd.code === 252) {
    detail.firewalld = { state: 'not running' };
  }

  const uniq = [...new Set(backends)];
  // The live ruleset is authoritative; configuration only fills in when we cannot read it.
  const nothingSeen = uniq.length === 0 && notes.length === 0;
  const inboundFiltered = kernelView ?? configView ?? (denied ? null : nothingSeen ? false : null);
  if (notes.length) detail.notes = notes;
  return {
    facts: { inboundFiltered, backends: uniq },
    detail,
    reason: inboundFiltered === null ? notes.join('; ') || 'no readable firewall state' : inboundFiltered === false && notes.length ? notes.join('; ') : undefined,
    needsElevation: kernelView === null && !ctx.elevated ? true : undefined,
  };
};
