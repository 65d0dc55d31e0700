/**
 * Linux: read the live ruleset (nftables, which also shows iptables-nft and firewalld
 * rules; legacy iptables as the fallback), then ufw and firewalld state. Reading rules
 * needs root; unprivileged we fall back to ufw's configuration files and firewalld's
 * D-Bus state, and say that root would be more precise.
 */
import type { Collector } from '../types.js';
import { describeFailure } from '../types.js';
import { parseIptablesS, parseNftRuleset, parseUfwConfig, parseUfwStatus } from './parse-linux.js';

export const collectLinux: Collector<'firewall'> = async (ctx) => {
  const [nft, ufw, ufwConf, ufwDefaults, fwd] = await Promise.all([
    ctx.run('nft', ['-j', 'list', 'ruleset']),
    ctx.run('ufw', ['status', 'verbose']),
    ctx.fs.read('/etc/ufw/ufw.conf'),
    ctx.fs.read('/etc/default/ufw'),
    ctx.run('firewall-cmd', ['--state']),
  ]);
  const backends: string[] = [];
  const notes: string[] = [];
  const detail: Record<string, unknown> = {};
  let kernelView: boolean | null = null; // what the live ruleset says
  let denied = false;

  const ruleset = nft.ok ? parseNftRuleset(nft.stdout) : null;
  if (ruleset) {
    kernelView = ruleset.filtered;
    if (ruleset.inputChains.length || ruleset.tables.length) backends.push('nftables');
    detail.nftInputChains = ruleset.inputChains.slice(0, 16);
    detail.nftTables = ruleset.tables.slice(0, 32);
  } else {
    if (nft.error !== 'not_found') notes.push(describeFailure('nft', nft.error));
    denied ||= nft.error === 'permission_denied';
    const ipt = await ctx.run('iptables', ['-S', 'INPUT']);
    const parsed = ipt.ok ? parseIptablesS(ipt.stdout) : null;
    if (parsed) {
      kernelView = parsed.filtered;
      backends.push('iptables');
      detail.iptablesInput = parsed;
    } else if (ipt.error !== 'not_found') {
      notes.push(describeFailure('iptables', ipt.error));
      denied ||= ipt.error === 'permission_denied';
    }
  }

  let configView: boolean | null = null; // what firewall managers say they enforce
  const status = ufw.ok ? parseUfwStatus(ufw.stdout) : null;
  if (status) {
    detail.ufw = status;
    if (status.active) backends.push('ufw');
    configView = status.active && status.defaultIncoming !== 'allow';
  } else if (ufwConf.ok) {
    denied ||= ufw.error === 'permission_denied';
    const conf = parseUfwConfig(ufwConf.value, ufwDefaults.ok ? ufwDefaults.value : '');
    detail.ufwConfig = conf;
    if (conf.enabled) backends.push('ufw');
    configView = conf.enabled && (conf.defaultInput === 'drop' || conf.defaultInput === 'reject');
  }
  if (fwd.ok && fwd.stdout.trim() === 'running') {
    const zone = await ctx.run('firewall-cmd', ['--get-default-zone']);
    const z = zone.ok ? zone.stdout.trim() : null;
    detail.firewalld = { state: 'running', defaultZone: z };
    backends.push('firewalld');
    // The 'trusted' zone accepts everything; every other stock zone rejects unsolicited inbound.
    configView = (configView ?? false) || z !== 'trusted';
  } else if (fwd.ok || fwd.code === 252) {
    detail.firewalld = { state: 'not running' };
  }

  const uniq = [...new Set(backends)];
  // The live ruleset is authoritative; configuration only fills in when we cannot read it.
  const inboundFiltered = kernelView ?? configView ?? (denied ? null : uniq.length === 0 && notes.length === 0 ? false : null);
  if (notes.length) detail.notes = notes;
  return {
    facts: { inboundFiltered, backends: uniq },
    detail,
    reason: inboundFiltered === null ? notes.join('; ') || 'no readable firewall state' : undefined,
    needsElevation: kernelView === null && !ctx.elevated ? true : undefined,
  };
};
