/**
 * Real-host test (Linux): runs the real `check --json` on this machine, validates it
 * against the shared schemas, then changes real state and asserts the verdict flips:
 *  (a) usb_storage: a modprobe.d blacklist written into a temporary root (--root / POSTURE_ROOT);
 *  (b) firewall: a real nftables ruleset with `policy drop` loaded in a fresh network namespace;
 *  (c) antivirus: a real clamd started with a throw-away config and signature file.
 * Each flip skips (visibly) when the tool or the privilege is missing; run
 * scripts/ci/install-probe-deps.sh first to install nftables and clamav-daemon.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CHECK_IDS } from '../../shared/src/checks/ids.js';
import { CheckResult } from '../../shared/src/checks/result.js';
import { Inventory } from '../../shared/src/protocol/inventory.js';
import { compile } from '../../shared/src/schema/validate.js';

const REPO = join(import.meta.dirname, '..', '..');
const ENTRY = join(REPO, 'agent/src/cli/check-entry.ts');
const TSX = join(REPO, 'node_modules/.bin/tsx');
const isLinux = process.platform === 'linux';
const isRoot = process.getuid?.() === 0;
const checkV = compile(CheckResult);
const invV = compile(Inventory);

interface Output {
  device: unknown;
  checks: CheckResult[];
}

function check(args: string[], opts: { env?: Record<string, string>; netns?: string } = {}): Output {
  const cmd = opts.netns ? 'ip' : TSX;
  const argv = opts.netns ? ['netns', 'exec', opts.netns, TSX, ENTRY, '--json', ...args] : [ENTRY, '--json', ...args];
  const r = spawnSync(cmd, argv, { cwd: REPO, encoding: 'utf8', env: { ...process.env, ...opts.env }, timeout: 45_000 });
  if (r.status !== 0) throw new Error(`check exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Output;
}

const byId = (o: Output, id: string) => o.checks.find((c) => c.id === id)!;
const tmp: string[] = [];
const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const c of cleanups.reverse()) c();
  for (const d of tmp) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'posture-host-'));
  tmp.push(d);
  return d;
}

describe.skipIf(!isLinux)('agent on the real Linux host', () => {
  it('check --json prints a schema-valid device and all six checks', () => {
    const out = check([]);
    const inv = invV.validate(out.device);
    expect(inv.ok, JSON.stringify(inv)).toBe(true);
    expect(out.checks.map((c) => c.id)).toEqual([...CHECK_IDS]);
    for (const c of out.checks) {
      const v = checkV.validate(c);
      expect(v.ok, `${c.id}: ${JSON.stringify(v)}`).toBe(true);
      expect(c.evidence.facts, c.id).toBeTypeOf('object');
      if (c.status === 'unknown') expect(c.reason, c.id).toBeTruthy();
      if (c.status !== 'pass') expect(c.remediation.steps.length, c.id).toBeGreaterThan(0);
    }
    // This host really is Debian 12 on an unencrypted virtio disk: the probe must say so.
    const patch = byId(out, 'patch_level').evidence.facts as { osName: string; packageManager: string };
    expect(patch.osName).toMatch(/Debian/);
    expect(patch.packageManager).toBe('apt');
    const disk = byId(out, 'disk_encryption');
    if (existsSync('/dev/vda')) expect(disk.status).toBe('fail');
  });

  it('usb_storage flips to pass when usb-storage is blacklisted under the root prefix', () => {
    const root = tempDir();
    mkdirSync(join(root, 'etc/modprobe.d'), { recursive: true });
    const before = byId(check(['--only', 'usb_storage', '--root', root]), 'usb_storage');
    expect(before.status).toBe('fail');
    expect((before.evidence.facts as { policy: string }).policy).toBe('allowed');

    writeFileSync(join(root, 'etc/modprobe.d/posture-usb.conf'), '# test\ninstall usb-storage /bin/false\nblacklist usb-storage\n');
    // Via the environment variable this time: both ways of passing the root are real features.
    const after = byId(check(['--only', 'usb_storage'], { env: { POSTURE_ROOT: root } }), 'usb_storage');
    expect(after.status).toBe('pass');
    const facts = after.evidence.facts as { policy: string; mechanisms: string[] };
    expect(facts.policy).toBe('blocked');
    expect(facts.mechanisms).toContain('modprobe install /bin/false');
  });

  const hasNetns = isRoot && existsSync('/usr/sbin/ip') && existsSync('/usr/sbin/nft');
  it.skipIf(!hasNetns)('firewall flips from fail to pass when a drop-policy nftables ruleset is loaded in a network namespace', () => {
    const ns = `posture-test-${process.pid}`;
    const add = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
    if (add.status !== 0) {
      console.warn(`SKIP firewall flip: ip netns add failed: ${add.stderr}`);
      return;
    }
    cleanups.push(() => spawnSync('ip', ['netns', 'del', ns]));
    const before = byId(check(['--only', 'firewall'], { netns: ns }), 'firewall');
    expect(before.status).toBe('fail');
    expect((before.evidence.facts as { inboundFiltered: boolean }).inboundFiltered).toBe(false);

    const rules = join(tempDir(), 'ruleset.nft');
    writeFileSync(
      rules,
      `table inet posture_test {\n  chain input {\n    type filter hook input priority filter; policy drop;\n    iif "lo" accept\n    ct state established,related accept\n    tcp dport 22 accept\n  }\n}\n`,
    );
    const load = spawnSync('ip', ['netns', 'exec', ns, 'nft', '-f', rules], { encoding: 'utf8' });
    expect(load.status, load.stderr).toBe(0);
    const after = byId(check(['--only', 'firewall'], { netns: ns }), 'firewall');
    expect(after.status).toBe('pass');
    expect(after.evidence.facts).toMatchObject({ inboundFiltered: true, backends: ['nftables'] });
    expect(JSON.stringify(after.evidence.nftInputChains)).toContain('"policy":"drop"');
  });

  it.skipIf(!hasNetns)('firewall: an IPv4-only drop ruleset fails while IPv6 is up on an interface, and passes once IPv6 is filtered too', () => {
    const ns = `posture-v6-${process.pid}`;
    const add = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
    if (add.status !== 0) {
      console.warn(`SKIP IPv6 firewall case: ip netns add failed: ${add.stderr}`);
      return;
    }
    cleanups.push(() => spawnSync('ip', ['netns', 'del', ns]));
    const inNs = (...argv: string[]) => spawnSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8' });
    // A veth pair with a global IPv6 address: the namespace now has IPv6 beyond lo.
    for (const argv of [['ip', 'link', 'add', 'd0', 'type', 'veth', 'peer', 'name', 'd1'], ['ip', 'link', 'set', 'd0', 'up'], ['ip', 'link', 'set', 'd1', 'up'], ['ip', '-6', 'addr', 'add', '2001:db8::10/64', 'dev', 'd0', 'nodad']]) {
      const r = inNs(...argv);
      if (r.status !== 0) {
        console.warn(`SKIP IPv6 firewall case: ${argv.join(' ')} failed: ${r.stderr}`);
        return;
      }
    }
    const chain = (family: string) => `table ${family} posture_${family} {\n  chain input {\n    type filter hook input priority filter; policy drop;\n    iif "lo" accept\n  }\n}\n`;
    const v4 = join(tempDir(), 'v4.nft');
    writeFileSync(v4, chain('ip'));
    expect(inNs('nft', '-f', v4).status).toBe(0);
    const only4 = byId(check(['--only', 'firewall'], { netns: ns }), 'firewall');
    expect(only4.status).toBe('fail');
    expect(only4.evidence.ipv6).toMatchObject({ interfaces: expect.arrayContaining(['d0']), filtered: false });
    expect(only4.reason).toMatch(/IPv6 is not/);

    const v6 = join(tempDir(), 'v6.nft');
    writeFileSync(v6, chain('ip6'));
    expect(inNs('nft', '-f', v6).status).toBe(0);
    const both = byId(check(['--only', 'firewall'], { netns: ns }), 'firewall');
    expect(both.status).toBe('pass');
    expect(both.evidence.ipv6).toMatchObject({ filtered: true });
  });

  const hasClamd = isRoot && existsSync('/usr/sbin/clamd');
  it.skipIf(!hasClamd)('antivirus reports ClamAV running once a real clamd is started', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'db'));
    // One MD5 signature (EICAR's) is enough for clamd to load; the official databases
    // cannot be downloaded here, so signature age stays unknown.
    writeFileSync(join(dir, 'db/posture-test.hdb'), '44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test-Signature\n');
    const conf = join(dir, 'clamd.conf');
    writeFileSync(conf, `Foreground yes\nLocalSocket ${dir}/clamd.sock\nDatabaseDirectory ${dir}/db\nLogFile ${dir}/clamd.log\n`);

    const before = (byId(check(['--only', 'antivirus']), 'antivirus').evidence.facts as { products: { name: string; running: boolean }[] }).products;
    expect(before.find((p) => p.name === 'ClamAV')?.running).toBe(false);

    const clamd: ChildProcess = spawn('/usr/sbin/clamd', ['-c', conf], { stdio: 'ignore' });
    cleanups.push(() => clamd.kill('SIGTERM'));
    for (let i = 0; i < 150 && !existsSync(join(dir, 'clamd.sock')); i++) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(join(dir, 'clamd.sock')), 'clamd did not open its socket').toBe(true);

    const after = byId(check(['--only', 'antivirus']), 'antivirus');
    const clam = (after.evidence.facts as { products: { name: string; running: boolean }[] }).products.find((p) => p.name === 'ClamAV');
    expect(clam?.running).toBe(true);
    // The probe followed clamd's own -c to find its database directory.
    expect(after.evidence.clamav).toMatchObject({ clamdPid: clamd.pid, config: conf, databaseDirectory: `${dir}/db` });
    expect(after.summary).not.toMatch(/not running/);
  });
});
