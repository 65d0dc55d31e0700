/**
 * Every probe kind on per-platform fixtures (fixtures/README.md names each shape's source):
 * commands are answered from fixtures by a scripted runner, files come from a temp root.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../../../shared/src/checks/ids.js';
import type { Probe } from '../../../../shared/src/custom-checks/schema.js';
import type { RunResult } from '../../exec/runner.js';
import { boundFs } from '../registry.js';
import type { ProbeContext } from '../types.js';
import { observe } from './run.js';

const fx = (f: string) => readFileSync(join(__dirname, 'fixtures', f), 'utf8');
const root = mkdtempSync(join(tmpdir(), 'posture-custom-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const put = (p: string, text: string) => {
  mkdirSync(join(root, p, '..'), { recursive: true });
  writeFileSync(join(root, p), text);
};

type Script = Record<string, Partial<RunResult>>;
function ctx(platform: Platform, script: Script = {}): ProbeContext & { calls: string[] } {
  const calls: string[] = [];
  return {
    platform, root, fs: boundFs(root), now: new Date(), elevated: true, calls,
    run: async (name, args) => {
      const cmd = [name, ...args].join(' ');
      calls.push(cmd);
      const hit = Object.entries(script).find(([k]) => cmd.startsWith(k));
      const r = hit?.[1] ?? { ok: false, code: null, error: 'not_found', stderr: `${name} is not installed` };
      return { ok: false, code: 0, stdout: '', stderr: '', error: null, command: cmd, ...r } as RunResult;
    },
  };
}
const ok = (stdout: string): Partial<RunResult> => ({ ok: true, code: 0, stdout, error: null });

describe('file probes (root prefix)', () => {
  it('file: exists, mode, owner; absent is exists=false', async () => {
    put('/etc/posture-test/a.conf', 'x');
    put('/etc/passwd', 'root:x:0:0:root:/root:/bin/bash\n');
    const o = await observe({ kind: 'file', path: '/etc/posture-test/a.conf' }, ctx('linux'));
    expect(o.observed).toMatchObject({ exists: true, type: 'file', size: 1 });
    expect(o.observed!.mode).toMatch(/^0[0-7]{3}$/);
    const gone = await observe({ kind: 'file', path: '/etc/posture-test/none' }, ctx('linux'));
    expect(gone).toMatchObject({ missing: false, observed: { exists: false } });
  });

  it('file-content: RE2 multiline match with capture; missing file is `missing`', async () => {
    put('/etc/ssh/sshd_config', '# comment\nPort 22\n  PasswordAuthentication no\n');
    const p: Probe = { kind: 'file-content', path: '/etc/ssh/sshd_config', match: '^\\s*PasswordAuthentication\\s+(\\w+)' };
    expect((await observe(p, ctx('darwin'))).observed).toEqual({ exists: true, matched: true, capture: 'no' });
    expect((await observe({ ...p, path: '/etc/ssh/none' }, ctx('linux'))).missing).toBe(true);
  });

  it('config-key: INI section key, JSON path, YAML path, XML plist key', async () => {
    put('/etc/gdm3/custom.conf', '[daemon]\nAutomaticLoginEnable = false\n[security]\n');
    put('/etc/app.json', '{"a":{"b":[{"c":42}]}}');
    put('/etc/app.yaml', 'vpn:\n  enabled: true\n');
    put('/Library/Preferences/com.apple.loginwindow.plist', '<?xml version="1.0"?><plist version="1.0"><dict><key>GuestEnabled</key><false/></dict></plist>');
    const c = ctx('linux');
    expect((await observe({ kind: 'config-key', path: '/etc/gdm3/custom.conf', format: 'ini', key: 'daemon.AutomaticLoginEnable' }, c)).observed).toEqual({ value: 'false' });
    expect((await observe({ kind: 'config-key', path: '/etc/app.json', format: 'json', key: 'a.b.0.c' }, c)).observed).toEqual({ value: 42 });
    expect((await observe({ kind: 'config-key', path: '/etc/app.yaml', format: 'yaml', keyPath: ['vpn', 'enabled'] }, c)).observed).toEqual({ value: true });
    expect((await observe({ kind: 'config-key', path: '/Library/Preferences/com.apple.loginwindow.plist', format: 'plist', key: 'GuestEnabled' }, ctx('darwin'))).observed).toEqual({ value: false });
    expect((await observe({ kind: 'config-key', path: '/etc/app.yaml', format: 'yaml', key: 'vpn.nope' }, c)).missing).toBe(true);
    const bad = await observe({ kind: 'config-key', path: '/etc/gdm3/custom.conf', format: 'json', key: 'a' }, c);
    expect(bad.observed).toBeNull();
    expect(bad.reason).toMatch(/not valid JSON/);
  });

  it('sysctl (Linux): /proc/sys under the root; no command is run', async () => {
    put('/proc/sys/net/ipv4/ip_forward', '0\n');
    const c = ctx('linux');
    expect((await observe({ kind: 'sysctl', name: 'net.ipv4.ip_forward' }, c)).observed).toEqual({ value: 0 });
    expect(c.calls).toEqual([]);
  });

  it('port (Linux): /proc/net/tcp{,6} LISTEN rows (debian12 capture)', async () => {
    put('/proc/net/tcp', fx('proc-net-tcp.debian12.txt'));
    put('/proc/net/tcp6', fx('proc-net-tcp6.debian12.txt'));
    expect((await observe({ kind: 'port', port: 0x6448 }, ctx('linux'))).observed).toEqual({ listening: true });
    expect((await observe({ kind: 'port', port: 0x18eb }, ctx('linux'))).observed).toEqual({ listening: true }); // tcp6 only
    expect((await observe({ kind: 'port', port: 9 }, ctx('linux'))).observed).toEqual({ listening: false });
  });

  it('process (Linux): /proc/<pid>/comm under the root', async () => {
    put('/proc/101/comm', 'openvpn\n');
    put('/proc/101/cmdline', 'openvpn\0--config\0x');
    expect((await observe({ kind: 'process', names: ['openvpn'] }, ctx('linux'))).observed).toEqual({ running: true, count: 1 });
    expect((await observe({ kind: 'process', names: ['wg-quick'] }, ctx('linux'))).observed).toEqual({ running: false, count: 0 });
  });

  it('package (macOS): Homebrew Cellar and /Applications bundle versions', async () => {
    mkdirSync(join(root, '/opt/homebrew/Cellar/keepassxc/2.7.6'), { recursive: true });
    put('/Applications/1Password.app/Contents/Info.plist', '<plist><dict><key>CFBundleShortVersionString</key><string>8.10.24</string></dict></plist>');
    expect((await observe({ kind: 'package', names: ['keepassxc'] }, ctx('darwin'))).observed).toEqual({ installed: true, name: 'keepassxc', version: '2.7.6' });
    expect((await observe({ kind: 'package', names: ['1Password'], manager: 'apps' }, ctx('darwin'))).observed).toEqual({ installed: true, name: '1Password', version: '8.10.24' });
    expect((await observe({ kind: 'package', names: ['Dashlane'] }, ctx('darwin'))).observed).toMatchObject({ installed: false });
  });
});

describe('command probes (fixtures per platform)', () => {
  it('package (Linux dpkg): found and unknown names; exit 1 is still an answer', async () => {
    const c = ctx('linux', { 'dpkg-query': { ok: false, code: 1, error: 'failed', stdout: fx('dpkg-query.debian12.txt'), stderr: 'dpkg-query: no packages found matching nosuchpkg-xyz' } });
    expect((await observe({ kind: 'package', names: ['openssh-client'] }, c)).observed).toEqual({ installed: true, name: 'openssh-client', version: '1:9.2p1-2+deb12u6' });
    expect((await observe({ kind: 'package', names: ['nosuchpkg-xyz'] }, c)).observed).toMatchObject({ installed: false });
    expect(c.calls[0]).toContain('-- openssh-client');
  });

  it('package (Linux rpm) when dpkg is absent', async () => {
    const c = ctx('linux', { rpm: ok('openssh-server\t0:8.7p1-34.el9\n') });
    expect((await observe({ kind: 'package', names: ['openssh-server'] }, c)).observed).toEqual({ installed: true, name: 'openssh-server', version: '8.7p1-34.el9' });
  });

  it('package (Windows installed programs) by DisplayName prefix', async () => {
    const c = ctx('win32', { 'reg query HKLM\\SOFTWARE\\Microsoft': ok(fx('reg-query-Uninstall.win11.txt')), 'reg query HKLM\\SOFTWARE\\WOW6432Node': ok('') });
    expect((await observe({ kind: 'package', names: ['Bitwarden'] }, c)).observed).toEqual({ installed: true, name: 'Bitwarden 2024.2.0', version: '2024.2.0' });
    expect((await observe({ kind: 'package', names: ['KeePassXC'] }, c)).observed).toMatchObject({ installed: false });
  });

  it('registry value; missing value is `missing`', async () => {
    const c = ctx('win32', {
      'reg query HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecureBoot\\State /v UEFISecureBootEnabled': ok('\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecureBoot\\State\r\n    UEFISecureBootEnabled    REG_DWORD    0x1\r\n'),
      'reg query HKLM\\SOFTWARE\\Nope': { ok: false, code: 1, error: 'failed', stderr: 'ERROR: The system was unable to find the specified registry key or value.' },
    });
    expect((await observe({ kind: 'registry', key: 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecureBoot\\State', value: 'UEFISecureBootEnabled' }, c)).observed).toEqual({ value: 1, type: 'REG_DWORD' });
    expect((await observe({ kind: 'registry', key: 'HKLM\\SOFTWARE\\Nope', value: 'X' }, c)).missing).toBe(true);
  });

  it('defaults (macOS): managed preference wins; else `defaults read`', async () => {
    put('/Library/Managed Preferences/com.apple.screensaver.plist', '<plist><dict><key>askForPassword</key><integer>1</integer></dict></plist>');
    const c = ctx('darwin', { 'defaults read com.apple.loginwindow autoLoginUser': { ok: false, code: 1, error: 'failed', stderr: 'The domain/default pair of (com.apple.loginwindow, autoLoginUser) does not exist' } });
    expect((await observe({ kind: 'defaults', domain: 'com.apple.screensaver', key: 'askForPassword' }, c)).observed).toEqual({ value: 1, source: 'managed' });
    expect((await observe({ kind: 'defaults', domain: 'com.apple.loginwindow', key: 'autoLoginUser' }, c)).missing).toBe(true);
    expect((await observe({ kind: 'defaults', domain: 'com.apple.loginwindow', key: 'x', managedOnly: true }, c)).missing).toBe(true);
  });

  it('sysctl (macOS) runs `sysctl -n`', async () => {
    const c = ctx('darwin', { 'sysctl -n kern.hv_support': ok('1\n') });
    expect((await observe({ kind: 'sysctl', name: 'kern.hv_support' }, c)).observed).toEqual({ value: 1 });
  });

  it('gsettings: GVariant values; unknown schema is `missing`', async () => {
    const c = ctx('linux', { 'gsettings get org.gnome.desktop.session idle-delay': ok('uint32 300\n'), 'gsettings get org.gnome.nope': { ok: false, code: 1, error: 'failed', stderr: 'No such schema “org.gnome.nope”' } });
    expect((await observe({ kind: 'gsettings', schema: 'org.gnome.desktop.session', key: 'idle-delay' }, c)).observed).toMatchObject({ value: 300 });
    expect((await observe({ kind: 'gsettings', schema: 'org.gnome.nope', key: 'x' }, c)).missing).toBe(true);
  });

  it('service: systemd, launchd, Windows SCM; no systemd is unknown, not fail', async () => {
    const linux = ctx('linux', { 'systemctl is-enabled': ok('enabled\n'), 'systemctl is-active': ok('active\n') });
    expect((await observe({ kind: 'service', name: 'ssh.service' }, linux)).observed).toEqual({ enabled: true, running: true, exists: true });
    const noSystemd = ctx('linux', { systemctl: { ok: false, code: 1, error: 'failed', stderr: 'System has not been booted with systemd as init system (PID 1). Can\'t operate.' } });
    expect((await observe({ kind: 'service', name: 'ssh' }, noSystemd)).observed).toBeNull();
    const mac = ctx('darwin', { 'launchctl print system/com.openssh.sshd': ok(fx('launchctl-print.macos14.sshd-running.txt')), 'launchctl print-disabled': ok(fx('launchctl-print-disabled.macos14.txt')) });
    expect((await observe({ kind: 'service', name: 'com.openssh.sshd' }, mac)).observed).toEqual({ enabled: true, running: true, exists: true });
    const win = ctx('win32', { 'sc query': ok(fx('sc-query.win11.running.txt')), 'sc qc': ok(fx('sc-qc.win11.auto.txt')) });
    expect((await observe({ kind: 'service', name: 'WinDefend' }, win)).observed).toEqual({ enabled: true, running: true, exists: true });
  });

  it('port (macOS netstat) and process (macOS ps)', async () => {
    const c = ctx('darwin', { netstat: ok(fx('netstat-an-tcp.macos14.txt')), ps: ok('  1 /sbin/launchd\n 412 /Applications/GlobalProtect.app/Contents/MacOS/PanGPA\n') });
    expect((await observe({ kind: 'port', port: 22 }, c)).observed).toEqual({ listening: true });
    expect((await observe({ kind: 'port', port: 52345 }, c)).observed).toEqual({ listening: false }); // ESTABLISHED, not LISTEN
    expect((await observe({ kind: 'process', names: ['PanGPA'] }, c)).observed).toEqual({ running: true, count: 1 });
  });
});

describe('hostile input is bounded or refused', () => {
  it("refuses '..' and symlinks that leave the root; symlink loops are a clear error", async () => {
    expect((await observe({ kind: 'file-content', path: '/etc/../etc/shadow', match: 'x' }, ctx('linux'))).reason).toMatch(/'\.\.'/);
    symlinkSync('/etc/hostname', join(root, 'etc/escape'));
    expect((await observe({ kind: 'file-content', path: '/etc/escape', match: 'x' }, ctx('linux'))).reason).toMatch(/outside the root/);
    symlinkSync(join(root, 'etc/loop-b'), join(root, 'etc/loop-a'));
    symlinkSync(join(root, 'etc/loop-a'), join(root, 'etc/loop-b'));
    const loop = await observe({ kind: 'file-content', path: '/etc/loop-a', match: 'x' }, ctx('linux'));
    expect(loop.observed).toBeNull();
    expect(loop.reason).toMatch(/symbolic link loop/);
  });

  it('a catastrophic regex on a 4 MiB file finishes in linear time; a truncated no-match is unknown', async () => {
    put('/var/big.txt', 'a'.repeat(4 * 1024 * 1024 - 1) + '!');
    const t = performance.now();
    const o = await observe({ kind: 'file-content', path: '/var/big.txt', match: '^(a+)+$', maxBytes: 4 * 1024 * 1024 }, ctx('linux'));
    expect(performance.now() - t).toBeLessThan(10_000);
    expect(o.observed).toMatchObject({ matched: false });
    const cut = await observe({ kind: 'file-content', path: '/var/big.txt', match: 'b' , maxBytes: 1024 }, ctx('linux'));
    expect(cut.observed).toBeNull();
    expect(cut.reason).toMatch(/larger than 1024 bytes/);
  });

  it('a FIFO or device is not read (it would block)', async () => {
    const o = await observe({ kind: 'file-content', path: '/dev/zero', match: 'x' }, ctx('linux', {}) as ProbeContext & { calls: string[] });
    // /dev/zero does not exist under the temp root: refused as missing, never read forever.
    expect(o.observed).toBeNull();
    const live = { ...ctx('linux'), root: '' };
    const z = await observe({ kind: 'file-content', path: '/dev/zero', match: 'x' }, live);
    expect(z.reason).toMatch(/not a regular file/);
  });

  it('an unknown probe kind is an unknown result, not a crash', async () => {
    const o = await observe({ kind: 'shell', command: 'rm -rf /' } as unknown as Probe, ctx('linux'));
    expect(o).toMatchObject({ observed: null, reason: expect.stringMatching(/unknown probe kind "shell"/) });
  });
});

describe('the agent re-validates what it receives and bounds time', () => {
  it('refuses an invalid or hostile check with an unknown result naming the problem; runs the valid ones', async () => {
    const { runCustomChecks } = await import('./run.js');
    put('/etc/ok.conf', 'x');
    const out = await runCustomChecks(
      [
        { id: 'custom.shell', title: 'S', probes: { linux: { kind: 'command', argv: ['/bin/sh', '-c', 'id'] } } },
        { id: 'custom.dots', title: 'D', probes: { linux: { kind: 'file', path: '/etc/../etc/shadow' } } },
        { id: 'custom.redos', title: 'R', probes: { linux: { kind: 'file-content', path: '/etc/ok.conf', match: '(a)\\1' } } },
        { id: 'custom.ok', title: 'OK', probes: { linux: { kind: 'file', path: '/etc/ok.conf' } } },
        { id: 'not-custom', title: 'N', probes: {} },
      ],
      ctx('linux'),
    );
    const by = Object.fromEntries(out.map((r) => [r.id, r]));
    expect(Object.keys(by).sort()).toEqual(['custom.dots', 'custom.ok', 'custom.redos', 'custom.shell']);
    expect(by['custom.shell'].reason).toMatch(/unknown probe kind "command"/);
    for (const id of ['custom.shell', 'custom.dots', 'custom.redos']) {
      expect(by[id].status).toBe('unknown');
      expect(by[id].reason).toMatch(/^custom check refused by the agent: /);
    }
    expect(by['custom.dots'].reason).toMatch(/'\.\.'/);
    expect(by['custom.redos'].reason).toMatch(/RE2/);
    expect(by['custom.ok'].status).toBe('pass');
  });

  it('a probe that never answers is cut off by the budget: unknown, not a hang', async () => {
    const { runCustomCheck } = await import('./run.js');
    const stuck = { ...ctx('linux'), run: () => new Promise<never>(() => {}) };
    const t = performance.now();
    const r = await runCustomCheck({ id: 'custom.svc', title: 'Svc', probes: { linux: { kind: 'service', name: 'sshd' } } }, stuck, 300);
    expect(performance.now() - t).toBeLessThan(3000);
    expect(r).toMatchObject({ status: 'unknown', reason: expect.stringMatching(/probe exceeded 300 ms/) });
  });
});

describe('forward compatibility', () => {
  it('a welcome carrying a probe kind this agent does not know still validates; the check is refused alone', async () => {
    const { compile } = await import('../../../../shared/src/schema/validate.js');
    const { ServerWelcome } = await import('../../../../shared/src/protocol/messages.js');
    const { runCustomChecks } = await import('./run.js');
    const customChecks = [{ id: 'custom.future', title: 'F', probes: { linux: { kind: 'wmi-query', query: 'x' } } }];
    const welcome = { type: 'welcome', deviceId: 'dev_1', serverTime: new Date().toISOString(), policy: { intervalSec: 900, customChecks } };
    expect(compile(ServerWelcome).validate(welcome).ok).toBe(true);
    const [r] = await runCustomChecks(customChecks, ctx('linux'));
    expect(r).toMatchObject({ id: 'custom.future', status: 'unknown', reason: expect.stringMatching(/refused by the agent: \/probes\/linux\/kind unknown probe kind "wmi-query"/) });
  });
});

describe('intervalSec', () => {
  it('a check with intervalSec reuses its last result until the interval passes or the probe changes', async () => {
    const { runCustomChecks } = await import('./run.js');
    put('/etc/interval.conf', 'on\n');
    const check = { id: 'custom.interval', title: 'I', intervalSec: 3600, probes: { linux: { kind: 'file-content', path: '/etc/interval.conf', match: '^on$' } } };
    expect((await runCustomChecks([check], ctx('linux')))[0].status).toBe('pass');
    put('/etc/interval.conf', 'off\n');
    expect((await runCustomChecks([check], ctx('linux')))[0].status).toBe('pass'); // memo: not re-run within the hour
    const changed = { ...check, probes: { linux: { ...check.probes.linux, match: '^on\\s*$' } } };
    expect((await runCustomChecks([changed], ctx('linux')))[0].status).toBe('fail'); // new definition: re-run
    expect((await runCustomChecks([{ ...check, intervalSec: undefined }], ctx('linux')))[0].status).toBe('fail');
  });
});

describe('check --explain for custom checks', () => {
  it('traces the file read, the observation and the verdict; commands through the traced runner', async () => {
    const { runCustomChecks } = await import('./run.js');
    const { explainAll } = await import('../../cli/check.js');
    put('/etc/ssh/sshd_config', 'PasswordAuthentication yes\n');
    const checks = [
      { id: 'custom.ssh', title: 'SSH', probes: { linux: { kind: 'file-content', path: '/etc/ssh/sshd_config', match: '^PasswordAuthentication\\s+no$' } } },
      { id: 'custom.gs', title: 'GS', probes: { linux: { kind: 'gsettings', schema: 'org.gnome.desktop.session', key: 'idle-delay', pass: { lte: 600 } } } },
    ] as const;
    const traces: import('../trace.js').CheckTrace[] = [];
    const results = await runCustomChecks(checks as never, ctx('linux', { gsettings: ok('uint32 900\n') }), { trace: (t) => traces.push(t) });
    const ex = explainAll(traces, results, new Date(), checks as never);
    const ssh = ex.find((e) => e.id === 'custom.ssh')!;
    expect(ssh.entries[0]).toMatchObject({ op: 'read', target: `${root}/etc/ssh/sshd_config`, ok: true });
    expect(ssh.facts).toMatchObject({ kind: 'file-content', observed: { matched: false } });
    expect(ssh.policy.verdict).toBe('fail');
    const gs = ex.find((e) => e.id === 'custom.gs')!;
    expect(gs.entries.map((e) => e.target)).toContain('gsettings get org.gnome.desktop.session idle-delay');
    expect(gs.policy.reasons[0]).toBe('value is 900, expected <= 600');
  });
});

describe('intervalSec across processes', () => {
  it('the memo survives a fresh process (module reload) through the private cache dir', async () => {
    const { vi } = await import('vitest');
    const cacheDir = join(root, 'cache');
    put('/etc/interval2.conf', 'on\n');
    const check = { id: 'custom.interval2', title: 'I2', intervalSec: 3600, probes: { linux: { kind: 'file-content', path: '/etc/interval2.conf', match: '^on$' } } };
    const first = await import('./run.js');
    expect((await first.runCustomChecks([check], ctx('linux'), { cacheDir }))[0].status).toBe('pass');
    put('/etc/interval2.conf', 'off\n');
    vi.resetModules();
    const second = await import('./run.js');
    expect(second).not.toBe(first);
    expect((await second.runCustomChecks([check], ctx('linux'), { cacheDir }))[0].status).toBe('pass');
    vi.resetModules();
    const third = await import('./run.js');
    expect((await third.runCustomChecks([check], ctx('linux'), { cacheDir: null }))[0].status).toBe('fail');
  });
});
