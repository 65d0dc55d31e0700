/**
 * Custom checks against real state on this Linux machine, flipped by the test: a file
 * written and removed, a .deb built with dpkg-deb then installed and removed with dpkg, a TCP
 * port opened and closed, a sysctl changed inside a network namespace (the real agent CLI
 * runs in the namespace). Everything created is removed, also on failure.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { liveContext } from '../../agent/src/checks/registry.js';
import { runCustomChecks } from '../../agent/src/checks/custom/run.js';
import type { CustomCheck } from '../../shared/src/custom-checks/schema.js';

const isRoot = process.getuid?.() === 0;
const tmp = mkdtempSync(join(tmpdir(), 'posture-real-'));
const pkg = `posture-t16-${process.pid}`;
const ns = `posture-t16-${process.pid}`;
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
  if (isRoot) {
    spawnSync('dpkg', ['--purge', pkg], { stdio: 'ignore' });
    spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  }
});

const verdict = async (check: CustomCheck) => {
  const [r] = await runCustomChecks([check], liveContext({ root: '' }));
  return r;
};

/** dpkg may be busy (another session's apt-get): retry the lock a few times. */
function dpkg(args: string[]): void {
  for (let i = 0; ; i++) {
    const r = spawnSync('dpkg', args, { encoding: 'utf8' });
    if (r.status === 0) return;
    if (i < 20 && /lock/i.test(r.stderr)) {
      spawnSync('sleep', ['1']);
      continue;
    }
    throw new Error(`dpkg ${args.join(' ')}: ${r.stderr}`);
  }
}

describe.skipIf(process.platform !== 'linux')('custom checks on real state', () => {
  it('file written and removed: file + file-content verdicts follow', async () => {
    const path = join(tmp, 'vpn.conf');
    const present: CustomCheck = { id: 'custom.vpn-conf', title: 'VPN config present', probes: { linux: { kind: 'file', path, pass: { all: [{ field: 'exists', equals: true }, { field: 'mode', modeAtMost: '0644' }] } } } };
    const content: CustomCheck = { id: 'custom.vpn-conf-on', title: 'VPN always on', probes: { linux: { kind: 'file-content', path, match: '^always_on\\s*=\\s*true$' } } };
    expect((await verdict(present))!.status).toBe('fail');
    expect((await verdict(content))!.status).toBe('fail'); // missing → fail by default
    writeFileSync(path, 'always_on = true\n', { mode: 0o644 });
    expect((await verdict(present))!.status).toBe('pass');
    expect((await verdict(content))!.status).toBe('pass');
    execFileSync('chmod', ['0666', path]);
    expect((await verdict(present))!.summary).toMatch(/mode at most 0644/);
    writeFileSync(path, 'always_on = false\n');
    expect((await verdict(content))!.status).toBe('fail');
    rmSync(path);
    expect((await verdict(present))!.status).toBe('fail');
  });

  it.skipIf(!isRoot)('a .deb built with dpkg-deb, installed and removed with dpkg: package verdict and version follow', async () => {
    const root = join(tmp, 'deb');
    mkdirSync(join(root, 'DEBIAN'), { recursive: true });
    writeFileSync(join(root, 'DEBIAN/control'), `Package: ${pkg}\nVersion: 2.6.3-1\nArchitecture: all\nMaintainer: Posture tests <t@example.invalid>\nDescription: empty test package for custom checks\n`);
    execFileSync('dpkg-deb', ['--build', '--root-owner-group', root, join(tmp, 'p.deb')], { stdio: 'ignore' });
    const check: CustomCheck = { id: 'custom.vpn-client', title: 'VPN client', probes: { linux: { kind: 'package', names: [pkg], manager: 'dpkg', pass: { all: [{ field: 'installed', equals: true }, { field: 'version', versionGte: '2.6' }] } } } };
    expect((await verdict(check))!.status).toBe('fail');
    dpkg(['-i', join(tmp, 'p.deb')]);
    const on = (await verdict(check))!;
    expect(on.status).toBe('pass');
    expect(on.evidence.facts).toMatchObject({ observed: { installed: true, version: '2.6.3-1' } });
    const newer: CustomCheck = { ...check, probes: { linux: { ...check.probes.linux!, pass: { field: 'version', versionGte: '2.10' } } as never } };
    expect((await verdict(newer))!.status).toBe('fail');
    dpkg(['-r', pkg]);
    expect((await verdict(check))!.status).toBe('fail');
  });

  it('a TCP port opened and closed', async () => {
    const srv: Server = createServer();
    await new Promise<void>((res) => srv.listen(0, '127.0.0.1', res));
    const port = (srv.address() as { port: number }).port;
    const check: CustomCheck = { id: 'custom.no-debug-port', title: 'Debug port closed', probes: { linux: { kind: 'port', port, pass: { field: 'listening', equals: false } } } };
    expect((await verdict(check))!.status).toBe('fail');
    await new Promise<void>((res) => srv.close(() => res()));
    expect((await verdict(check))!.status).toBe('pass');
  });

  it.skipIf(!isRoot || spawnSync('ip', ['netns', 'add', ns]).status !== 0)('a sysctl changed in a network namespace: the agent CLI run there sees it', () => {
    const policy = join(tmp, 'sysctl.yaml');
    writeFileSync(policy, "customChecks:\n  - id: custom.no-forwarding\n    title: IP forwarding is off\n    probes: { linux: { kind: sysctl, name: net.ipv4.ip_forward, pass: { equals: 0 } } }\n");
    const stateDir = join(tmp, 'state');
    const check = () => {
      const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', 'agent/src/cli/main.ts', 'check', '--json', '--only', 'custom.no-forwarding', '--policy', policy, '--state-dir', stateDir], { encoding: 'utf8', timeout: 60_000 });
      if (r.status !== 0) throw new Error(r.stderr);
      return JSON.parse(r.stdout).checks.find((c: { id: string }) => c.id === 'custom.no-forwarding');
    };
    const host = execFileSync('cat', ['/proc/sys/net/ipv4/ip_forward'], { encoding: 'utf8' }).trim();
    expect(check().status).toBe('pass');
    execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    const on = check();
    expect(on.status).toBe('fail');
    expect(on.evidence.facts.observed).toEqual({ value: 1 });
    // The host's own value is untouched (the namespace has its own).
    expect(execFileSync('cat', ['/proc/sys/net/ipv4/ip_forward'], { encoding: 'utf8' }).trim()).toBe(host);
  }, 90_000);
});
