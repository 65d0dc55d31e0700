import { describe, expect, it } from 'vitest';
import { fail, fakeContext, fixture, ok } from '../../../../test/agent/fake-context.js';
import { collectLinux } from './linux.js';
import { ipv6Interfaces, parseIptablesS, parseNftRuleset, parseUfwConfig, parseUfwStatus, parseZoneTarget } from './parse-linux.js';
import { spec } from './spec.js';

const fx = (n: string) => fixture('firewall', n);

describe('nftables', () => {
  it('policy drop on the input hook filters (captured on debian 12, nft 1.0.6)', () => {
    const r = parseNftRuleset(fx('nft-j-list-ruleset.debian12.drop.json'))!;
    expect(r.filtered).toBe(true);
    expect(r.inputChains).toEqual([expect.objectContaining({ family: 'inet', table: 'filter', name: 'input', policy: 'drop' })]);
  });
  it('firewalld-style: policy accept with a final unconditional reject filters', () => {
    const r = parseNftRuleset(fx('nft-j-list-ruleset.debian12.firewalld-input-chain.json'))!;
    expect(r.filtered).toBe(true);
    expect(r.inputChains[0]).toMatchObject({ policy: 'accept', catchAll: 'reject' });
  });
  it('policy accept with only conditional drops does not filter', () => {
    expect(parseNftRuleset(fx('nft-j-list-ruleset.debian12.accept-with-rules.json'))!.filtered).toBe(false);
  });
  it('an empty ruleset does not filter; garbage is null', () => {
    expect(parseNftRuleset(fx('nft-j-list-ruleset.debian12.empty.json'))).toMatchObject({ filtered: false, inputChains: [] });
    expect(parseNftRuleset('')).toBeNull();
  });
});

describe('iptables and ufw', () => {
  it('nftables variants: Ubuntu 24.04 inet final reject, accept-all before it, IPv4-only table', () => {
    expect(parseNftRuleset(fx('nft-j-list-ruleset.ubuntu24.inet-final-reject.json'))).toMatchObject({ filteredV4: true, filteredV6: true, filtered: true });
    const early = parseNftRuleset(fx('nft-j-list-ruleset.ubuntu24.accept-before-reject.json'))!;
    expect(early).toMatchObject({ filtered: false });
    expect(early.inputChains[0].catchAll).toBe('accept');
    expect(parseNftRuleset(fx('nft-j-list-ruleset.debian12.ipv4-only-drop.json'))).toMatchObject({ filteredV4: true, filteredV6: false, filtered: false });
  });
  it('firewalld (Fedora 40): default zone public rejects; trusted (target ACCEPT) lets everything in', () => {
    const pub = parseNftRuleset(fx('nft-j-list-ruleset.fedora40.firewalld-public.json'))!;
    expect(pub.inputChains.map((c) => [c.name, c.catchAll, c.filters])).toEqual([['filter_INPUT', 'reject', true]]);
    expect(parseNftRuleset(fx('nft-j-list-ruleset.fedora40.firewalld-trusted.json'))).toMatchObject({ filtered: false, inputChains: [{ catchAll: 'accept' }] });
    expect(parseZoneTarget(fx('firewalld-zone-trusted.fedora40.xml'))).toBe('ACCEPT');
    expect(parseZoneTarget(fx('firewalld-zone-public.fedora40.xml'))).toBeNull();
  });
  it('iptables-nft compat target (xt REJECT) counts as a catch-all for IPv4', () => {
    expect(parseNftRuleset(fx('nft-j-list-ruleset.rhel8.iptables-nft-xt-reject.json'))).toMatchObject({ filteredV4: true, filteredV6: false, inputChains: [{ catchAll: 'reject' }] });
  });
  it('iptables-save (legacy): ACCEPT policy with a trailing REJECT filters; an ACCEPT-all first does not', () => {
    expect(parseIptablesS(fx('iptables-save.debian11.legacy-final-reject.txt'))).toMatchObject({ policy: 'accept', catchAll: 'reject', rules: 4, filtered: true });
    expect(parseIptablesS(fx('iptables-save.rhel9.accept-all-first.txt'))).toMatchObject({ catchAll: 'accept', filtered: false });
    expect(parseIptablesS(fx('ip6tables-S-INPUT.debian12.open.txt'))).toMatchObject({ policy: 'accept', filtered: false });
    expect(parseIptablesS(fx('ip6tables-S-INPUT.ubuntu22.ufw-drop.txt'))).toMatchObject({ policy: 'drop', filtered: true });
  });
  it('/proc/net/if_inet6: interfaces with IPv6 other than lo and container bridges', () => {
    expect(ipv6Interfaces(fx('proc-net-if_inet6.ubuntu22.txt'))).toEqual(['enp0s3']);
    expect(ipv6Interfaces(fx('proc-net-if_inet6.debian12.lo-only.txt'))).toEqual([]);
  });
  it('iptables -S INPUT', () => {
    expect(parseIptablesS(fx('iptables-S-INPUT.centos7.reject.txt'))).toMatchObject({ policy: 'accept', catchAll: 'reject', filtered: true });
    expect(parseIptablesS(fx('iptables-S-INPUT.ubuntu20.ufw-drop.txt'))).toMatchObject({ policy: 'drop', filtered: true });
    expect(parseIptablesS(fx('iptables-S-INPUT.debian11.accept.txt'))).toMatchObject({ policy: 'accept', catchAll: null, filtered: false });
    expect(parseIptablesS('')).toBeNull();
  });
  it('ufw status verbose', () => {
    expect(parseUfwStatus(fx('ufw-status-verbose.ubuntu22.active.txt'))).toEqual({ active: true, defaultIncoming: 'deny', rules: 4 });
    expect(parseUfwStatus(fx('ufw-status-verbose.ubuntu22.inactive.txt'))).toMatchObject({ active: false });
    expect(parseUfwStatus(fx('ufw-status-verbose.ubuntu24.allow-incoming.txt'))).toMatchObject({ active: true, defaultIncoming: 'allow' });
    expect(parseUfwStatus('ERROR: You need to be root to run this script')).toBeNull();
  });
  it('ufw configuration files', () => {
    expect(parseUfwConfig(fx('ufw.conf.ubuntu22.enabled.txt'), fx('default-ufw.ubuntu22.txt'))).toEqual({ enabled: true, defaultInput: 'drop' });
  });
});

describe('linux collector + spec', () => {
  const judge = async (ctx: ReturnType<typeof fakeContext>) => {
    const obs = await collectLinux(ctx);
    return { obs, v: spec.evaluate(obs, spec.defaults) };
  };
  it('pass: nft drop policy (root)', async () => {
    const { v, obs } = await judge(fakeContext({ elevated: true, commands: { nft: ok(fx('nft-j-list-ruleset.debian12.drop.json')) } }));
    expect(v.status).toBe('pass');
    expect(obs.facts.backends).toEqual(['nftables']);
  });
  it('fail: empty ruleset even though ufw is configured (the live ruleset wins)', async () => {
    const { v } = await judge(
      fakeContext({
        elevated: true,
        commands: { nft: ok(fx('nft-j-list-ruleset.debian12.empty.json')), ufw: ok(fx('ufw-status-verbose.ubuntu22.inactive.txt')) },
        files: { '/etc/ufw/ufw.conf': fx('ufw.conf.ubuntu22.enabled.txt'), '/etc/default/ufw': fx('default-ufw.ubuntu22.txt') },
      }),
    );
    expect(v.status).toBe('fail');
  });
  it('fail: no firewall tooling at all', async () => {
    expect((await judge(fakeContext({}))).v.status).toBe('fail');
  });
  it('unprivileged: falls back to ufw configuration and asks for elevation', async () => {
    const denied = fail('permission_denied', 'Operation not permitted');
    const { v, obs } = await judge(
      fakeContext({
        commands: { nft: denied, iptables: denied, ufw: fail('permission_denied', 'ERROR: You need to be root to run this script') },
        files: { '/etc/ufw/ufw.conf': fx('ufw.conf.ubuntu22.enabled.txt'), '/etc/default/ufw': fx('default-ufw.ubuntu22.txt') },
      }),
    );
    expect(v.status).toBe('pass');
    expect(obs.needsElevation).toBe(true);
  });
  it('unknown: permission denied with nothing else readable', async () => {
    const denied = fail('permission_denied', 'Operation not permitted');
    const { v, obs } = await judge(fakeContext({ commands: { nft: denied } }));
    expect(v.status).toBe('unknown');
    expect(obs.reason).toMatch(/permission denied/);
    expect(obs.needsElevation).toBe(true);
  });
  it('unknown: nft times out or prints nothing', async () => {
    for (const nft of [fail('timeout', '', null), ok('')]) {
      const { v } = await judge(fakeContext({ elevated: true, commands: { nft } }));
      expect(v.status).toBe('unknown');
    }
  });
  it('IPv4 filtered but IPv6 wide open: fails when IPv6 is up on a real interface, passes when only lo has it', async () => {
    const ctx = (inet6: string) =>
      fakeContext({ elevated: true, commands: { nft: ok(fx('nft-j-list-ruleset.debian12.ipv4-only-drop.json')), ip6tables: ok(fx('ip6tables-S-INPUT.debian12.open.txt')) }, files: { '/proc/net/if_inet6': inet6 } });
    const open6 = await judge(ctx(fx('proc-net-if_inet6.ubuntu22.txt')));
    expect(open6.v.status).toBe('fail');
    expect(open6.obs.reason).toMatch(/IPv6 is not/);
    expect(open6.obs.detail?.ipv6).toEqual({ interfaces: ['enp0s3'], filtered: false });
    expect((await judge(ctx(fx('proc-net-if_inet6.debian12.lo-only.txt')))).v.status).toBe('pass');
  });
  it('iptables-legacy rules invisible to nft still count (empty nft ruleset + legacy REJECT)', async () => {
    const { v, obs } = await judge(
      fakeContext({ elevated: true, commands: { nft: ok(fx('nft-j-list-ruleset.debian12.empty.json')), iptables: ok(fx('iptables-save.debian11.legacy-final-reject.txt')) } }),
    );
    expect(v.status).toBe('pass');
    expect(obs.facts.backends).toContain('iptables');
  });
  it('firewalld on the live ruleset: trusted zone fails even though filter_INPUT ends in reject', async () => {
    const fwd = (args: string[]) => ok(args[0] === '--state' ? 'running\n' : 'trusted\n');
    const { v, obs } = await judge(fakeContext({ elevated: true, commands: { nft: ok(fx('nft-j-list-ruleset.fedora40.firewalld-trusted.json')), 'firewall-cmd': fwd }, files: { '/usr/lib/firewalld/zones/trusted.xml': fx('firewalld-zone-trusted.fedora40.xml') } }));
    expect(v.status).toBe('fail');
    expect(obs.detail?.firewalld).toMatchObject({ defaultZone: 'trusted', target: 'ACCEPT' });
  });
  it('firewalld unprivileged: a customised public zone with target ACCEPT in /etc does not filter', async () => {
    const fwd = (args: string[]) => ok(args[0] === '--state' ? 'running\n' : 'public\n');
    const files = { '/etc/firewalld/zones/public.xml': fx('firewalld-zone-public-accept.custom.xml'), '/usr/lib/firewalld/zones/public.xml': fx('firewalld-zone-public.fedora40.xml') };
    expect((await judge(fakeContext({ commands: { nft: fail('permission_denied', 'Operation not permitted'), 'firewall-cmd': fwd }, files }))).v.status).toBe('fail');
  });
  it('firewalld running in a non-trusted zone filters; trusted does not', async () => {
    const fwd = (zone: string) => (args: string[]) => ok(args[0] === '--state' ? 'running\n' : `${zone}\n`);
    expect((await judge(fakeContext({ commands: { 'firewall-cmd': fwd('public') } }))).v.status).toBe('pass');
    expect((await judge(fakeContext({ commands: { 'firewall-cmd': fwd('trusted') } }))).v.status).toBe('fail');
  });
});
