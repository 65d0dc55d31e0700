import { describe, expect, it } from 'vitest';
import { fail, fakeContext, fixture, ok } from '../../../../test/agent/fake-context.js';
import { collectLinux } from './linux.js';
import { parseIptablesS, parseNftRuleset, parseUfwConfig, parseUfwStatus } from './parse-linux.js';
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
  it('firewalld running in a non-trusted zone filters; trusted does not', async () => {
    const fwd = (zone: string) => (args: string[]) => ok(args[0] === '--state' ? 'running\n' : `${zone}\n`);
    expect((await judge(fakeContext({ commands: { 'firewall-cmd': fwd('public') } }))).v.status).toBe('pass');
    expect((await judge(fakeContext({ commands: { 'firewall-cmd': fwd('trusted') } }))).v.status).toBe('fail');
  });
});
