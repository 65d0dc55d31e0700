/**
 * The .deb and .rpm of a real linux-x64 agent (npm run package), installed with the real tools
 * into scratch roots (dpkg --root / rpm --root: the maintainer scripts run chrooted there, with
 * busybox as /bin/sh): files, owners, modes, the unit, the settings file; then the installed
 * binary, started with the unit's own command line, enrolls against a running collector from
 * the installed settings and reports; then removal and purge.
 *
 * systemd is not PID 1 on this machine (nor in the chroot): the postinst's "not running" branch
 * is the one exercised; enabling/starting under systemd is not tested here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageAll } from '../../scripts/package/main.js';
import { BIN, BIN_LINK, STATE_DIR, UNIT_PATH, envFile, packageUnit } from '../../scripts/package/layout.js';
import { ENROLL_SECRET, startTestCollector, type TestCollector } from '../helpers/collector.js';
import { waitFor } from '../helpers/agent.js';
import { BUSYBOX, ROOT_TOOLS, agentsFor } from './built-agents.js';

const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const missing = ['dpkg-deb', 'dpkg', 'rpmbuild', 'rpm'].filter((t) => !has(t));
if (!BUSYBOX) missing.push('busybox (apt-get install busybox-static)');
if (process.getuid?.() !== 0) missing.push('root');
if (missing.length) console.warn(`SKIPPED linux package tests: missing ${missing.join(', ')} (scripts/ci/install-probe-deps.sh installs them)`);

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const mode = (p: string) => statSync(p).mode & 0o7777;

/** A root the maintainer scripts can run in (chroot): busybox applets in /bin. */
function scratchRoot(dir: string): string {
  for (const d of ['bin', 'etc', 'tmp', 'var/lib/dpkg/info', 'var/lib/dpkg/updates', 'var/lib/dpkg/triggers', 'usr/bin']) mkdirSync(join(dir, d), { recursive: true });
  copyFileSync(BUSYBOX!, join(dir, 'bin', 'busybox'));
  execFileSync('chmod', ['0755', join(dir, 'bin', 'busybox')]);
  for (const t of ROOT_TOOLS) symlinkSync('busybox', join(dir, 'bin', t));
  // The scripts redirect to /dev/null, as on any real system.
  mkdirSync(join(dir, 'dev'));
  if (spawnSync('mknod', ['-m', '666', join(dir, 'dev', 'null'), 'c', '1', '3']).status !== 0) writeFileSync(join(dir, 'dev', 'null'), '');
  writeFileSync(join(dir, 'var/lib/dpkg/status'), '');
  writeFileSync(join(dir, 'var/lib/dpkg/available'), '');
  return dir;
}

/** Async: the collector runs in this process, a blocking spawn would starve it. */
function runAsync(cmd: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('exit', (code) => resolve({ code, out }));
  });
}

function run(cmd: string, args: string[], env: Record<string, string> = {}): { code: number | null; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** ExecStart of a unit, with every absolute path moved under ROOT. */
function execStartUnder(unit: string, root: string): string[] {
  const line = unit.split('\n').find((l) => l.startsWith('ExecStart='))!;
  return line.slice('ExecStart='.length).split(' ').map((w) => (w.startsWith('/') ? join(root, w) : w));
}

describe.skipIf(missing.length > 0)('native Linux packages (.deb, .rpm)', () => {
  let dir: string;
  let collector: TestCollector;
  let deb: string;
  let rpmFile: string;
  let agentBinary: string;
  let agentDir: string;
  let arm: { deb: string; rpm: string };
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'posture-pkg-'));
    ({ agentDir } = await agentsFor(['linux-x64', 'linux-arm64'], join(dir, 'agent')));
    agentBinary = join(agentDir, 'linux-x64', 'posture-agent');
    const out = await packageAll({ targets: ['linux-x64', 'linux-arm64'], agentDir, outDir: join(dir, 'out'), compression: 'gzip', quiet: true });
    deb = out.find((o) => o.format === 'deb' && o.target === 'linux-x64')!.file;
    rpmFile = out.find((o) => o.format === 'rpm' && o.target === 'linux-x64')!.file;
    arm = { deb: out.find((o) => o.format === 'deb' && o.target === 'linux-arm64')!.file, rpm: out.find((o) => o.format === 'rpm' && o.target === 'linux-arm64')!.file };
    collector = await startTestCollector('pglite');
  }, 400_000);

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await collector?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the .deb: control, scripts and payload as designed', () => {
    const f = (k: string) => execFileSync('dpkg-deb', ['-f', deb, k], { encoding: 'utf8' }).trim();
    expect(f('Package')).toBe('posture-agent');
    expect(f('Architecture')).toBe('amd64');
    expect(f('Version')).toMatch(/^\d+\.\d+\.\d+/);
    const contents = execFileSync('dpkg-deb', ['-c', deb], { encoding: 'utf8' });
    expect(contents).toMatch(new RegExp(`-rwxr-xr-x root/root .* \\.${BIN}\\n`));
    expect(contents).toMatch(new RegExp(`-rw-r--r-- root/root .* \\.${UNIT_PATH}\\n`));
    expect(contents).toContain(`.${BIN_LINK} -> ../../opt/posture-agent/bin/posture-agent`);
    const ctl = join(dir, 'ctl');
    execFileSync('dpkg-deb', ['-e', deb, ctl]);
    for (const s of ['postinst', 'prerm', 'postrm']) {
      expect(mode(join(ctl, s))).toBe(0o755);
      expect(run('sh', ['-n', join(ctl, s)]).code).toBe(0);
    }
  });

  it('installs into a scratch root with dpkg: files, modes, unit, settings from the installer environment', () => {
    const root = scratchRoot(join(dir, 'deb-root'));
    const env = { POSTURE_SERVER: collector.url, POSTURE_SECRET: ENROLL_SECRET, POSTURE_OWNER: 'alice@example.com' };
    const r = run('dpkg', ['--root', root, '--force-depends', '--log=/dev/null', '-i', deb], env);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('systemd is not running on this machine');
    expect(run('dpkg', ['--root', root, '-s', 'posture-agent']).out).toContain('Status: install ok installed');

    const bin = join(root, BIN);
    expect(mode(bin)).toBe(0o755);
    expect(statSync(bin).uid).toBe(0);
    expect(sha(bin)).toBe(sha(agentBinary));
    expect(lstatSync(join(root, BIN_LINK)).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(root, BIN_LINK))).toBe('../../opt/posture-agent/bin/posture-agent');
    const unit = readFileSync(join(root, UNIT_PATH), 'utf8');
    expect(unit).toBe(packageUnit('deb'));
    expect(unit).toContain(`ExecStart=${BIN} run --state-dir ${STATE_DIR} --enroll-config /etc/default/posture-agent`);
    expect(unit).toContain('RestartPreventExitStatus=78');
    expect(unit).toContain('ReadWritePaths=/opt/posture-agent/bin');
    expect(mode(join(root, UNIT_PATH))).toBe(0o644);
    if (has('systemd-analyze')) {
      // The unit's syntax as systemd reads it (the binary path is checked against this root).
      const v = run('systemd-analyze', ['verify', '--root', root, join(root, UNIT_PATH)]);
      expect(v.out).not.toMatch(/Unknown (key|section)|Failed to parse|Invalid/i);
    }
    const state = join(root, STATE_DIR);
    expect(statSync(state).isDirectory()).toBe(true);
    expect(mode(state)).toBe(0o700);
    expect(statSync(state).uid).toBe(0);
    const envPath = join(root, envFile('deb'));
    expect(mode(envPath)).toBe(0o600);
    const settings = readFileSync(envPath, 'utf8');
    expect(settings).toContain(`SERVER="${collector.url}"`);
    expect(settings).toContain(`SECRET="${ENROLL_SECRET}"`);
    expect(settings).toContain('OWNER="alice@example.com"');
  });

  it('the installed agent, started as the unit starts it, enrolls from the settings file and reports', async () => {
    const root = join(dir, 'deb-root');
    const argv = execStartUnder(readFileSync(join(root, UNIT_PATH), 'utf8'), root);
    expect(argv[0]).toBe(join(root, BIN));
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const cfgFile = join(root, STATE_DIR, 'agent.json');
    const cfg = await waitFor(async () => (existsSync(cfgFile) ? (JSON.parse(readFileSync(cfgFile, 'utf8')) as { deviceId: string; server: string }) : null), 90_000, 300).catch((e) => {
      throw new Error(`${(e as Error).message}; agent output:\n${out}`);
    });
    expect(cfg.server).toBe(collector.url);
    await waitFor(async () => out.includes(`enrolled as device ${cfg.deviceId}`), 30_000, 200);
    const dev = await waitFor(async () => {
      const d = (await collector.api(`/api/v1/devices/${cfg.deviceId}`)).body;
      return d?.lastReportAt ? d : null;
    }, 120_000, 500).catch(async (e) => {
      throw new Error(`${(e as Error).message}; device: ${JSON.stringify((await collector.api(`/api/v1/devices/${cfg.deviceId}`)).body).slice(0, 600)}; agent output:\n${out}`);
    });
    expect(dev.owner).toBe('alice@example.com');
    expect(dev.agentVersion).toBe(JSON.parse(readFileSync(join(agentBinary, '..', 'manifest.json'), 'utf8')).version);
    expect(mode(join(root, STATE_DIR, 'device-key.jwk'))).toBe(0o600);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }, 240_000);

  it('a missing secret or a wrong one is refused once with exit 78 (the unit does not restart on it); an unreachable collector exits 1', async () => {
    const settings = join(dir, 'bad.env');
    const start = (extra: string) => {
      writeFileSync(settings, `SERVER="${collector.url}"\n${extra}`);
      return runAsync(join(dir, 'deb-root', BIN), ['run', '--state-dir', join(dir, `bad-state-${extra.length}`), '--enroll-config', settings]);
    };
    const none = await start('');
    expect(none.code, none.out).toBe(78);
    expect(none.out).toContain('SECRET is not set');
    const wrong = await start('SECRET=pst_enr_not-the-secret-000000000000\n');
    expect(wrong.code, wrong.out).toBe(78);
    expect(wrong.out).toMatch(/enrollment refused/);
    // An unreachable collector may come back: exit 1, which systemd restarts after 10 s.
    writeFileSync(settings, 'SERVER=http://127.0.0.1:9\nSECRET=s\n');
    const down = await runAsync(join(dir, 'deb-root', BIN), ['run', '--state-dir', join(dir, 'bad-state-down'), '--enroll-config', settings]);
    expect(down.code, down.out).toBe(1);
    expect(down.out).toContain('cannot reach the collector');
  }, 120_000);

  it('dpkg -r stops and removes the service and binary, keeps state; dpkg -P removes state and settings', () => {
    const root = join(dir, 'deb-root');
    // What a self-update leaves beside the binary (not package files): removed with it.
    writeFileSync(join(root, `${BIN}.previous`), 'old');
    // An update interrupted while decompressing its gzip target (agent/src/update/updater.ts).
    for (const f of ['.posture-agent.staged.gz', '.posture-agent.staged.part']) writeFileSync(join(root, '/opt/posture-agent/bin', f), 'partial');
    const r = run('dpkg', ['--root', root, '--log=/dev/null', '-r', 'posture-agent']);
    expect(r.code, r.out).toBe(0);
    for (const p of [BIN, BIN_LINK, UNIT_PATH, `${BIN}.previous`, '/opt/posture-agent']) expect(existsSync(join(root, p)), p).toBe(false);
    expect(existsSync(join(root, STATE_DIR, 'agent.json'))).toBe(true);
    expect(existsSync(join(root, envFile('deb')))).toBe(true);
    const p = run('dpkg', ['--root', root, '--log=/dev/null', '-P', 'posture-agent']);
    expect(p.code, p.out).toBe(0);
    expect(existsSync(join(root, STATE_DIR))).toBe(false);
    expect(existsSync(join(root, envFile('deb')))).toBe(false);
    expect(run('dpkg', ['--root', root, '-s', 'posture-agent']).code).not.toBe(0);
  });

  it('the arm64 packages carry the arm64 agent under the arm64 architecture names', () => {
    expect(execFileSync('dpkg-deb', ['-f', arm.deb, 'Architecture'], { encoding: 'utf8' }).trim()).toBe('arm64');
    expect(execFileSync('rpm', ['-qp', '--queryformat', '%{ARCH}', arm.rpm], { encoding: 'utf8' })).toBe('aarch64');
    const x = join(dir, 'arm-x');
    execFileSync('dpkg-deb', ['-x', arm.deb, x]);
    const elf = readFileSync(join(x, BIN));
    expect(elf.readUInt16LE(18)).toBe(0xb7); // e_machine EM_AARCH64
    expect(sha(join(x, BIN))).toBe(sha(join(agentDir, 'linux-arm64', 'posture-agent')));
  });

  // What the maintainer scripts ask of systemd where it is PID 1 (/run/systemd/system exists):
  // systemd itself cannot run here, so systemctl in this root only records its arguments.
  it('with systemd running, postinst enables (and starts once configured) and prerm disables --now', () => {
    const calls = (root: string) => (existsSync(join(root, 'systemctl.log')) ? readFileSync(join(root, 'systemctl.log'), 'utf8').trim().split('\n') : []);
    const withSystemd = (name: string) => {
      const root = scratchRoot(join(dir, name));
      mkdirSync(join(root, 'run/systemd/system'), { recursive: true });
      writeFileSync(join(root, 'bin/systemctl'), '#!/bin/sh\necho "$*" >> /systemctl.log\n', { mode: 0o755 });
      return root;
    };
    const bare = withSystemd('deb-systemd-bare');
    const r1 = run('dpkg', ['--root', bare, '--force-depends', '--log=/dev/null', '-i', deb]);
    expect(r1.code, r1.out).toBe(0);
    expect(calls(bare)).toEqual(['daemon-reload', 'enable posture-agent.service']);
    expect(r1.out).toContain('set SERVER and SECRET in /etc/default/posture-agent, then run: systemctl start posture-agent');

    const configured = withSystemd('deb-systemd-set');
    const r2 = run('dpkg', ['--root', configured, '--force-depends', '--log=/dev/null', '-i', deb], { POSTURE_SERVER: collector.url, POSTURE_SECRET: 'x' });
    expect(r2.code, r2.out).toBe(0);
    expect(calls(configured)).toEqual(['daemon-reload', 'enable posture-agent.service', 'restart posture-agent.service']);
    const r3 = run('dpkg', ['--root', configured, '--log=/dev/null', '-r', 'posture-agent']);
    expect(r3.code, r3.out).toBe(0);
    expect(calls(configured).slice(3)).toEqual(['disable --now posture-agent.service', 'daemon-reload']);
  });

  it('the .rpm: rpm -qpi / -qpl / --scripts', () => {
    const info = execFileSync('rpm', ['-qpi', rpmFile], { encoding: 'utf8' });
    expect(info).toMatch(/^Name\s*: posture-agent$/m);
    expect(info).toMatch(/^Architecture: x86_64$/m);
    const list = execFileSync('rpm', ['-qpl', rpmFile], { encoding: 'utf8' }).trim().split('\n').sort();
    expect(list).toEqual(['/opt/posture-agent', '/opt/posture-agent/bin', BIN, BIN_LINK, UNIT_PATH].sort());
    const modes = execFileSync('rpm', ['-qp', '--queryformat', '[%{FILEMODES:perms} %{FILEUSERNAME} %{FILENAMES}\n]', rpmFile], { encoding: 'utf8' });
    expect(modes).toContain(`-rwxr-xr-x root ${BIN}`);
    expect(modes).toContain(`-rw-r--r-- root ${UNIT_PATH}`);
    const scripts = execFileSync('rpm', ['-qp', '--scripts', rpmFile], { encoding: 'utf8' });
    expect(scripts).toMatch(/postinstall scriptlet[\s\S]*chmod 0700 "\$STATE"/);
    expect(scripts).toMatch(/preuninstall scriptlet[\s\S]*systemctl disable --now posture-agent.service/);
    expect(scripts).toContain('ENVFILE=/etc/sysconfig/posture-agent');
  });

  it('installs into a scratch root with rpm --root, keeps a settings file written before, erases (and purges on request)', () => {
    const root = scratchRoot(join(dir, 'rpm-root'));
    expect(run('rpm', ['--root', root, '--initdb']).code).toBe(0);
    // An MDM wrote the settings before the install: kept as written, made 0600.
    mkdirSync(join(root, 'etc/sysconfig'), { recursive: true });
    writeFileSync(join(root, envFile('rpm')), `SERVER=${collector.url}\nSECRET=from-mdm\n`, { mode: 0o644 });
    const i = run('rpm', ['--root', root, '-i', '--nodeps', rpmFile]);
    expect(i.code, i.out).toBe(0);
    expect(i.out).toContain('systemd is not running on this machine');
    expect(sha(join(root, BIN))).toBe(sha(agentBinary));
    expect(mode(join(root, BIN))).toBe(0o755);
    expect(readFileSync(join(root, UNIT_PATH), 'utf8')).toBe(packageUnit('rpm'));
    expect(mode(join(root, STATE_DIR))).toBe(0o700);
    expect(readFileSync(join(root, envFile('rpm')), 'utf8')).toBe(`SERVER=${collector.url}\nSECRET=from-mdm\n`);
    expect(mode(join(root, envFile('rpm')))).toBe(0o600);
    const verify = run('rpm', ['--root', root, '-V', '--nodeps', 'posture-agent']);
    expect(verify.code, verify.out).toBe(0);

    const e = run('rpm', ['--root', root, '-e', 'posture-agent']);
    expect(e.code, e.out).toBe(0);
    for (const p of [BIN, BIN_LINK, UNIT_PATH, '/opt/posture-agent']) expect(existsSync(join(root, p)), p).toBe(false);
    expect(existsSync(join(root, STATE_DIR))).toBe(true);

    expect(run('rpm', ['--root', root, '-i', '--nodeps', rpmFile]).code).toBe(0);
    const purge = run('rpm', ['--root', root, '-e', 'posture-agent'], { POSTURE_PURGE: '1' });
    expect(purge.code, purge.out).toBe(0);
    expect(existsSync(join(root, STATE_DIR))).toBe(false);
    expect(existsSync(join(root, envFile('rpm')))).toBe(false);
  });
});
