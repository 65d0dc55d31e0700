import { describe, expect, it } from 'vitest';
import { fakeContext, fixture, ok } from '../../../test/agent/fake-context.js';
import { collectLinux as firewall } from './firewall/linux.js';
import { collectLinux as antivirus } from './antivirus/linux.js';
import { runOne } from './registry.js';
import type { CheckTrace } from './trace.js';
import { explainAll, formatExplain } from '../cli/check.js';
import type { Collector } from './types.js';
import type { BuiltinCheckId as CheckId } from '../../../shared/src/checks/ids.js';

describe('check --explain trace', () => {
  it('records every command and file read, the facts and the deciding rule', async () => {
    const traces: CheckTrace[] = [];
    const ctx = fakeContext({ elevated: true, commands: { nft: ok(fixture('firewall', 'nft-j-list-ruleset.debian12.empty.json')), iptables: ok(fixture('firewall', 'iptables-S.proxmox8.custom-chain-drop.txt')) }, files: { '/proc/net/if_inet6': '' } });
    const r = await runOne('firewall', firewall as Collector<CheckId>, ctx, { trace: (t) => traces.push(t) });
    expect(r.status).toBe('pass');
    const t = traces[0];
    expect(t.entries.map((e) => `${e.op} ${e.target}`)).toEqual(expect.arrayContaining(['run nft -j list ruleset', 'run iptables -S', 'read /proc/net/if_inet6', 'read /etc/ufw/ufw.conf']));
    expect(t.entries.find((e) => e.target === 'iptables -S')).toMatchObject({ ok: true, code: 0, excerpt: expect.stringContaining('-P INPUT ACCEPT') });
    expect(t.facts).toMatchObject({ inboundFiltered: true });
    const text = formatExplain(explainAll(traces, [r]));
    expect(text).toMatch(/== firewall: PASS/);
    expect(text).toMatch(/run +iptables -S → exit 0/);
    expect(text).toMatch(/Decided by the agent rule \(thresholds \{"requireAllProfiles":true\}\): pass/);
    expect(text).toMatch(/Collector rule \(built-in default policy .*\): pass/);
  });
  it('folds the process table into one line and names an EDR\'s missing confirmation', async () => {
    const traces: CheckTrace[] = [];
    const ctx = fakeContext({ files: { '/proc/700/comm': 'falcon-sensor\n', '/proc/700/cmdline': '/opt/CrowdStrike/falcon-sensor', '/proc/1/comm': 'systemd\n' } });
    const r = await runOne('antivirus', antivirus as Collector<CheckId>, ctx, { trace: (t) => traces.push(t) });
    expect(r.status).toBe('unknown');
    const proc = traces[0].entries.filter((e) => e.target.startsWith('/proc/'));
    expect(proc.filter((e) => e.target.includes('<pid>'))).toHaveLength(1);
    expect(formatExplain(explainAll(traces, [r]))).toMatch(/run +falconctl -g --aid --rfm-state → not_found/);
  });
  it('without --explain no trace is built and the context is the plain one', async () => {
    const ctx = fakeContext({});
    let calls = 0;
    const probe: Collector<'firewall'> = async (c) => {
      calls++;
      expect(c).toBe(ctx);
      return { facts: { inboundFiltered: null, backends: [] } };
    };
    await runOne('firewall', probe as Collector<CheckId>, ctx);
    expect(calls).toBe(1);
  });
});
