/**
 * Real-host tests for issue 12 (Linux, root): the real `check --json` against real kernel
 * state in fresh network namespaces and a temporary root prefix.
 *  #4/#5 an iptables-legacy ruleset (invisible to nft and to the nft-backed `iptables`)
 *        whose INPUT jumps to a user chain ending in DROP; the policy-DROP legacy case;
 *  #10   modprobe.d under --root: `blacklist usb-storage` alone fails, `install … /bin/false` passes,
 *        `module_blacklist=usb_storage` on the (prefixed) kernel command line passes;
 *  #11   IPv6 disabled in conf/all but re-enabled on one link that carries a global address.
 * Each case skips visibly when a tool or the privilege is missing (scripts/ci/install-probe-deps.sh).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../shared/src/checks/result.js';

const REPO = join(import.meta.dirname, '..', '..');
const ENTRY = join(REPO, 'agent/src/cli/check-entry.ts');
const TSX = join(REPO, 'node_modules/.bin/tsx');
const isRoot = process.platform === 'linux' && process.getuid?.() === 0;
const has = (p: string) => existsSync(p);

function check(args: string[], opts: { netns?: string; env?: Record<string, string> } = {}): CheckResult {
  const argv = opts.netns ? ['netns', 'exec', opts.netns, TSX, ENTRY, '--json', ...args] : [ENTRY, '--json', ...args];
  const r = spawnSync(opts.netns ? 'ip' : TSX, argv, { cwd: REPO, encoding: 'utf8', timeout: 45_000, env: { ...process.env, ...opts.env } });
  if (r.status !== 0) throw new Error(`check exited ${r.status}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { checks: CheckResult[] }).checks[0];
}

const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const c of cleanups.reverse()) c();
});
function netns(tag: string): ((...argv: string[]) => ReturnType<typeof spawnSync>) | null {
  const ns = `posture-${tag}-${process.pid}`;
  const add = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
  if (add.status !== 0) {
    console.warn(`SKIP ${tag}: ip netns add failed: ${add.stderr}`);
    return null;
  }
  cleanups.push(() => spawnSync('ip', ['netns', 'del', ns]));
  const run = (...argv: string[]) => spawnSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8' });
  (run as unknown as { ns: string }).ns = ns;
  return run;
}
const nsName = (run: unknown) => (run as { ns: string }).ns;

const canNetns = isRoot && has('/usr/sbin/ip') && has('/usr/sbin/nft');
const canLegacy = canNetns && has('/usr/sbin/iptables-legacy') && has('/usr/sbin/iptables-legacy-save') && has('/usr/sbin/iptables');

describe.skipIf(!isRoot)('issue 12 on the real Linux host', () => {
  it.skipIf(!canLegacy)('#4 + #5: legacy tables behind the nft backend, with INPUT jumping to a custom chain that drops', () => {
    const run = netns('legacy');
    if (!run) return;
    const ns = nsName(run);
    const before = check(['--only', 'firewall'], { netns: ns });
    expect(before.status).toBe('fail');
    // The fail2ban/Proxmox shape, written with the legacy (x_tables) binary: nft cannot see it.
    for (const argv of [['-N', 'fw-in'], ['-A', 'INPUT', '-j', 'fw-in'], ['-A', 'fw-in', '-i', 'lo', '-j', 'ACCEPT'], ['-A', 'fw-in', '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'], ['-A', 'fw-in', '-j', 'DROP']]) {
      const r = run('iptables-legacy', ...argv);
      if (r.status !== 0) {
        console.warn(`SKIP legacy case: iptables-legacy ${argv.join(' ')}: ${r.stderr}`);
        return;
      }
    }
    const after = check(['--only', 'firewall'], { netns: ns });
    expect(after.status).toBe('pass');
    expect(after.evidence.facts).toMatchObject({ inboundFiltered: true, backends: expect.arrayContaining(['iptables-legacy']) });
    expect(after.evidence.iptablesLegacy).toMatchObject({ policy: 'accept', catchAll: 'drop', via: ['fw-in'] });
  });

  it.skipIf(!canLegacy)('#5: a legacy INPUT policy DROP counts; an unconditional ACCEPT in front of it does not', () => {
    const run = netns('legacy-policy');
    if (!run) return;
    const ns = nsName(run);
    if (run('iptables-legacy', '-P', 'INPUT', 'DROP').status !== 0) return console.warn('SKIP: iptables-legacy -P failed');
    expect(check(['--only', 'firewall'], { netns: ns }).status).toBe('pass');
    expect(run('iptables-legacy', '-I', 'INPUT', '-j', 'ACCEPT').status).toBe(0);
    const open = check(['--only', 'firewall'], { netns: ns });
    expect(open.status).toBe('fail');
    expect(open.evidence.iptablesLegacy).toMatchObject({ catchAll: 'accept', filtered: false });
  });

  it.skipIf(!canNetns)('#11: conf/all disables IPv6 but one link re-enables it and has a global address: an IPv4-only ruleset fails', () => {
    const run = netns('v6link');
    if (!run) return;
    const ns = nsName(run);
    for (const argv of [
      ['ip', 'link', 'add', 'e0', 'type', 'veth', 'peer', 'name', 'e1'],
      ['sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1'],
      ['sysctl', '-q', '-w', 'net.ipv6.conf.e0.disable_ipv6=0'],
      ['ip', 'link', 'set', 'e0', 'up'],
      ['ip', 'link', 'set', 'e1', 'up'],
      ['ip', '-6', 'addr', 'add', '2001:db8:12::10/64', 'dev', 'e0', 'nodad'],
    ]) {
      const r = run(...argv);
      if (r.status !== 0) return console.warn(`SKIP #11: ${argv.join(' ')}: ${r.stderr}`);
    }
    expect(String(run('cat', '/proc/sys/net/ipv6/conf/all/disable_ipv6').stdout).trim()).toBe('1');
    const rules = join(mkdtempSync(join(tmpdir(), 'posture-v6-')), 'v4.nft');
    cleanups.push(() => rmSync(join(rules, '..'), { recursive: true, force: true }));
    writeFileSync(rules, 'table ip posture_v4 {\n  chain input {\n    type filter hook input priority filter; policy drop;\n    iif "lo" accept\n  }\n}\n');
    expect(run('nft', '-f', rules).status).toBe(0);
    const r = check(['--only', 'firewall'], { netns: ns });
    expect(r.status).toBe('fail');
    expect(r.evidence.ipv6).toMatchObject({ interfaces: ['e0'], filtered: false });
    // Switch the link off as well: now IPv6 is really off and the IPv4 filter is enough.
    expect(run('sysctl', '-q', '-w', 'net.ipv6.conf.e0.disable_ipv6=1').status).toBe(0);
    expect(check(['--only', 'firewall'], { netns: ns }).status).toBe('pass');
  });

  it('#10 under a root prefix: blacklist alone fails; an install override or module_blacklist= passes', () => {
    const root = mkdtempSync(join(tmpdir(), 'posture-usb12-'));
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    mkdirSync(join(root, 'etc/modprobe.d'), { recursive: true });
    mkdirSync(join(root, 'proc'), { recursive: true });
    writeFileSync(join(root, 'etc/modprobe.d/usb.conf'), 'blacklist usb-storage\n');
    const bl = check(['--only', 'usb_storage', '--root', root]);
    expect(bl.status).toBe('fail');
    expect(bl.reason).toMatch(/only blacklisted/);
    writeFileSync(join(root, 'proc/cmdline'), 'BOOT_IMAGE=/vmlinuz ro quiet modprobe.blacklist=usb_storage\n');
    expect(check(['--only', 'usb_storage', '--root', root]).status).toBe('fail');
    writeFileSync(join(root, 'proc/cmdline'), 'BOOT_IMAGE=/vmlinuz ro quiet module_blacklist=usb_storage\n');
    const kernel = check(['--only', 'usb_storage', '--root', root]);
    expect(kernel.status).toBe('pass');
    expect(kernel.evidence.facts).toMatchObject({ mechanisms: ['kernel module_blacklist=usb_storage'] });
    writeFileSync(join(root, 'proc/cmdline'), 'BOOT_IMAGE=/vmlinuz ro quiet\n');
    writeFileSync(join(root, 'etc/modprobe.d/usb.conf'), 'install usb-storage /bin/false\n');
    expect(check(['--only', 'usb_storage'], { env: { POSTURE_ROOT: root } }).status).toBe('pass');
  });
});
