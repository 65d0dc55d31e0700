/**
 * Issue 12 #4 #5 #6 #11: custom chains, legacy tables behind the nft backend, firewalld with
 * an unreadable zone, and per-interface IPv6. Shapes: `iptables -S` lists `-P`, `-N` and
 * `-A` lines for the whole filter table (iptables(8)); the Proxmox `fw-in`-style chain, the
 * fail2ban `f2b-<jail>` chain ending in RETURN and NixOS's `nixos-fw`/`nixos-fw-refuse` chains
 * follow the rule sets those tools install (written for this issue); the legacy warning is
 * iptables-nft's own message, "# Warning: iptables-legacy tables present, use iptables-legacy
 * to see them"; /proc/net/if_inet6 columns as in the Ubuntu fixture beside this file.
 */
import { describe, expect, it } from 'vitest';
import { fail, fakeContext, fixture, ok } from '../../../../test/agent/fake-context.js';
import { collectLinux } from './linux.js';
import { liveIpv6Interfaces, parseIptablesS } from './parse-linux.js';
import { spec } from './spec.js';

const fx = (n: string) => fixture('firewall', n);
const judge = async (ctx: ReturnType<typeof fakeContext>) => {
  const obs = await collectLinux(ctx);
  return { obs, v: spec.evaluate(obs, spec.defaults) };
};
const emptyNft = ok(fx('nft-j-list-ruleset.debian12.empty.json'));

describe('iptables custom chains (#4)', () => {
  it('INPUT jumps to a user chain ending in DROP: filtered (was "not filtered")', () => {
    expect(parseIptablesS(fx('iptables-S.proxmox8.custom-chain-drop.txt'))).toMatchObject({ policy: 'accept', catchAll: 'drop', via: ['fw-in'], filtered: true });
  });
  it('NixOS: chains of unconditional jumps, LOG in between, counters in iptables-save', () => {
    expect(parseIptablesS(fx('iptables-save.nixos24.nixos-fw-goto.txt'))).toMatchObject({ catchAll: 'drop', filtered: true });
  });
  it('an iptables-save *filter table cut off before COMMIT is not read (a later ACCEPT-all may be missing)', () => {
    const full = fixture('firewall', 'iptables-legacy-save.debian12.drop.txt');
    expect(parseIptablesS(full)?.filtered).toBe(true);
    expect(parseIptablesS(full.slice(0, full.indexOf('COMMIT')))).toBeNull();
  });
  it('fail2ban alone (conditional jump, RETURN) does not filter', () => {
    expect(parseIptablesS(fx('iptables-S.debian12.fail2ban-only.txt'))).toMatchObject({ catchAll: null, filtered: false });
  });
  it('a goto whose chain falls through ends at the policy; an ACCEPT-all in a user chain opens everything', () => {
    expect(parseIptablesS('-P INPUT ACCEPT\n-N c\n-A INPUT -g c\n-A INPUT -j DROP\n-A c -p tcp -j ACCEPT\n')).toMatchObject({ catchAll: null, filtered: false });
    expect(parseIptablesS('-P INPUT DROP\n-N open\n-A INPUT -j open\n-A open -j ACCEPT\n')).toMatchObject({ catchAll: 'accept', filtered: false });
    // A loop does not hang the walk.
    expect(parseIptablesS('-P INPUT ACCEPT\n-N a\n-N b\n-A INPUT -j a\n-A a -j b\n-A b -j a\n')?.filtered).toBe(false);
    // A queue to userspace decides elsewhere: not proven filtered.
    expect(parseIptablesS('-P INPUT ACCEPT\n-A INPUT -j NFQUEUE --queue-num 1\n-A INPUT -j DROP\n')?.filtered).toBe(false);
  });
  it('the collector reads the whole table and passes on the custom chain', async () => {
    const ctx = fakeContext({ elevated: true, commands: { nft: emptyNft, iptables: ok(fx('iptables-S.proxmox8.custom-chain-drop.txt')) } });
    const { v } = await judge(ctx);
    expect(v.status).toBe('pass');
    expect(ctx.calls).toContain('iptables -S');
  });
});

describe('legacy tables behind the nft backend (#5)', () => {
  const base = { nft: emptyNft, iptables: ok(fx('iptables-S.debian12.nft-legacy-warning.txt')) };
  it('warning present: the legacy rules are read and their DROP counts', async () => {
    const ctx = fakeContext({ elevated: true, commands: { ...base, 'iptables-legacy-save': ok(fx('iptables-legacy-save.debian12.drop.txt')) } });
    const { v, obs } = await judge(ctx);
    expect(v.status).toBe('pass');
    expect(obs.facts.backends).toContain('iptables-legacy');
  });
  it('warning present but the legacy tables cannot be read: unknown, not "not filtered"', async () => {
    for (const r of [fail('not_found'), fail('permission_denied', 'Permission denied (you must be root)')]) {
      const { v, obs } = await judge(fakeContext({ elevated: true, commands: { ...base, 'iptables-legacy-save': r } }));
      expect(v.status).toBe('unknown');
      expect(obs.reason).toMatch(/legacy IPv4 tables are present but could not be read/);
    }
  });
  it('legacy filter table registered in the kernel (/proc/net/ip_tables_names) is read even without the warning', async () => {
    const ctx = fakeContext({ elevated: true, files: { '/proc/net/ip_tables_names': 'filter\n' }, commands: { nft: emptyNft, 'iptables-legacy-save': ok(fx('iptables-legacy-save.debian12.drop.txt')) } });
    expect((await judge(ctx)).v.status).toBe('pass');
  });
  it('without the warning or legacy state, the legacy tools are not run', async () => {
    const ctx = fakeContext({ elevated: true, commands: { nft: emptyNft, iptables: ok('-P INPUT ACCEPT\n') } });
    expect((await judge(ctx)).v.status).toBe('fail');
    expect(ctx.calls.some((c) => c.includes('legacy'))).toBe(false);
  });
});

describe('firewalld running with its zone unreadable (#6)', () => {
  it('is unknown with needsElevation, not "not filtered"', async () => {
    const fwd = (args: string[]) => (args[0] === '--state' ? ok('running\n') : fail('failed', 'Authorization failed.'));
    const { v, obs } = await judge(fakeContext({ commands: { nft: fail('permission_denied', 'Operation not permitted'), 'firewall-cmd': fwd }, files: { '/etc/firewalld/firewalld.conf': { error: 'permission_denied' } } }));
    expect(v.status).toBe('unknown');
    expect(obs.needsElevation).toBe(true);
    expect(obs.reason).toMatch(/firewalld is running but its default zone could not be read/);
  });
  it('the zone read from firewalld.conf still decides', async () => {
    const fwd = (args: string[]) => (args[0] === '--state' ? ok('running\n') : fail('failed', 'Authorization failed.'));
    const files = { '/etc/firewalld/firewalld.conf': 'DefaultZone=public\n', '/usr/lib/firewalld/zones/public.xml': fx('firewalld-zone-public.fedora40.xml') };
    expect((await judge(fakeContext({ commands: { nft: fail('permission_denied', 'Operation not permitted'), 'firewall-cmd': fwd }, files }))).v.status).toBe('pass');
  });
});

describe('IPv6 per interface (#11)', () => {
  it('conf/all says disabled but enp0s3 re-enabled it and has a global address: an IPv4-only ruleset fails', async () => {
    const files = {
      '/proc/net/if_inet6': fx('proc-net-if_inet6.nm-per-link.enp0s3.txt'),
      '/proc/sys/net/ipv6/conf/all/disable_ipv6': '1\n',
      '/proc/sys/net/ipv6/conf/enp0s3/disable_ipv6': '0\n',
    };
    const { v, obs } = await judge(fakeContext({ elevated: true, files, commands: { nft: ok(fx('nft-j-list-ruleset.debian12.ipv4-only-drop.json')), ip6tables: ok(fx('ip6tables-S-INPUT.debian12.open.txt')) } }));
    expect(v.status).toBe('fail');
    expect(obs.detail?.ipv6).toMatchObject({ interfaces: ['enp0s3'] });
  });
  it('an interface whose own disable_ipv6 is 1 does not count', () => {
    expect(liveIpv6Interfaces(fx('proc-net-if_inet6.nm-per-link.enp0s3.txt'), { enp0s3: '1\n' })).toEqual([]);
    expect(liveIpv6Interfaces(fx('proc-net-if_inet6.nm-per-link.enp0s3.txt'), { enp0s3: '0\n' })).toEqual(['enp0s3']);
  });
});
