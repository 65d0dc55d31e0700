/**
 * Issue 18 #12: the systemd unit's hardening must not blind the probes. systemd is not PID 1 on
 * this machine, so `systemd-run -p …` cannot apply the unit; instead its file-system settings
 * are reproduced in a private mount namespace (unshare(1)) as systemd.exec(5) describes them:
 * ProtectSystem=strict → every mount read-only but /dev, /proc, /sys; ProtectHome=read-only;
 * PrivateTmp → fresh /tmp and /var/tmp; ProtectKernelTunables → /proc/sys and /sys read-only;
 * ProtectKernelModules=yes → /usr/lib/modules inaccessible; StateDirectory/RuntimeDirectory →
 * writable. The agent's `check --json` inside must give every check the same verdict as
 * outside. Every Protect…, Private…, ReadOnly… and Inaccessible… setting of the unit needs a
 * reproduction here, so a new one cannot slip in untested. Settings that are not about the file
 * system (system call filter, address families, namespaces, capabilities) are not reproduced.
 *
 * This VM has no /usr/lib/modules; the test writes a kernel-shaped modules.builtin/modules.dep
 * for the running kernel while it runs (removed after), so the USB probe has something to read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { systemdUnit } from '../../agent/src/cli/service.js';
import { ROOT } from '../helpers/collector.js';

const isRootLinux = process.platform === 'linux' && process.getuid?.() === 0;
const hasUnshare = spawnSync('unshare', ['--version']).status === 0;

/** Key=value lines of the [Service] section. */
function serviceSettings(unit: string): Map<string, string> {
  const m = new Map<string, string>();
  const section = /\[Service\]([\s\S]*?)(\n\[|$)/.exec(unit)?.[1] ?? '';
  for (const line of section.split('\n')) {
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (kv) m.set(kv[1], kv[2]);
  }
  return m;
}

/** Shell commands reproducing one setting's mount effect, or null when it has none to reproduce. */
function reproduce(key: string, value: string, ctx: { stateDir: string; runtimeDir: string; runtimeName?: string }): string[] | null {
  switch (key) {
    case 'ProtectSystem':
      if (value !== 'strict') throw new Error(`ProtectSystem=${value}: add its reproduction`);
      // Writable places first (their own mounts), then every other mount read-only.
      return [
        `mount --bind ${ctx.stateDir} ${ctx.stateDir}`,
        `awk '{print $5}' /proc/self/mountinfo | grep -Ev '^/(proc|dev|sys)(/|$)' | grep -Fxv -e ${ctx.stateDir} -e /run/${ctx.runtimeName ?? 'none'} | while read -r m; do mount -o remount,bind,ro "$m" 2>/dev/null || true; done`,
      ];
    case 'ProtectHome':
      if (value !== 'read-only') throw new Error(`ProtectHome=${value}: add its reproduction`);
      return []; // already read-only through ProtectSystem=strict
    case 'PrivateTmp':
      return value === 'yes' ? ['mount -t tmpfs tmpfs /tmp', 'mount -t tmpfs tmpfs /var/tmp'] : [];
    case 'PrivateDevices':
      if (value !== 'no') throw new Error('PrivateDevices=yes hides the disks lsblk/cryptsetup read: add its reproduction');
      return [];
    case 'ProtectKernelTunables':
      return value === 'yes' ? ['mount --bind /proc/sys /proc/sys', 'mount -o remount,bind,ro /proc/sys', 'mount --bind /sys /sys', 'mount -o remount,bind,ro /sys'] : [];
    case 'ProtectKernelModules':
      return value === 'yes' ? ['mount -t tmpfs -o mode=000 tmpfs /usr/lib/modules'] : [];
    case 'ProtectKernelLogs':
      return value === 'yes' ? ['mount --bind /dev/null /proc/kmsg 2>/dev/null || true'] : [];
    case 'ProtectControlGroups':
      return value === 'yes' ? ['mount -o remount,bind,ro /sys/fs/cgroup 2>/dev/null || true'] : [];
    case 'RuntimeDirectory':
      return [`mkdir -p /run/${value}`, `mount --bind ${ctx.runtimeDir} /run/${value}`];
    case 'ProtectClock':
    case 'ProtectHostname':
    case 'ProtectProc':
      if (key === 'ProtectProc' && value !== 'default') throw new Error(`ProtectProc=${value} hides other processes (the EDR probe reads /proc/*): add its reproduction`);
      return []; // no file-system effect on what the probes read
    default:
      if (/^(Protect|Private|ReadOnly|Inaccessible|TemporaryFileSystem|BindReadOnly)/.test(key)) throw new Error(`${key}=${value} has no reproduction in this test: add one`);
      return null;
  }
}

interface CheckOut {
  id: string;
  status: string;
  summary?: string;
  reason?: string;
  evidence?: Record<string, unknown>;
}

function checkJson(script: string, env: Record<string, string>): CheckOut[] {
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-ec', script], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 240_000,
    maxBuffer: 32 * 1024 * 1024,
  });
  const start = r.stdout.indexOf('{');
  if (r.status !== 0 && start < 0) throw new Error(`check --json failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const parsed = JSON.parse(r.stdout.slice(start));
  return parsed.checks as CheckOut[];
}

describe.skipIf(!isRootLinux || !hasUnshare)('the systemd unit’s sandbox does not blind the probes', () => {
  const kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  const modulesDir = `/usr/lib/modules/${kernel}`;
  const createdModules = !existsSync(modulesDir);
  // Created in beforeAll (a skipped suite's body still runs at collection); outside /tmp, which PrivateTmp replaces.
  const work = `/var/lib/posture-unit-sandbox-${process.pid}-${Date.now().toString(36)}`;
  const stateDir = join(work, 'state');
  const runtimeDir = join(work, 'run');
  const unit = systemdUnit('/usr/local/bin/posture-agent', stateDir);
  const settings = serviceSettings(unit);
  const env: Record<string, string> = {};
  for (const [k, v] of settings) if (k === 'Environment') for (const [, a, b] of v.matchAll(/(\w+)=(\S+)/g)) env[a] = b;
  const agent = `exec node --import tsx agent/src/cli/main.ts check --json --state-dir ${stateDir}`;

  beforeAll(() => {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    mkdirSync(runtimeDir, { recursive: true });
    if (createdModules) {
      // Shaped like Debian 12's 6.1 kernel lists (kmod's modules.builtin and modules.dep): usb-storage is a module.
      mkdirSync(modulesDir, { recursive: true });
      writeFileSync(join(modulesDir, 'modules.builtin'), 'kernel/drivers/usb/common/usb-common.ko\nkernel/drivers/usb/core/usbcore.ko\nkernel/drivers/usb/host/xhci-hcd.ko\n');
      writeFileSync(join(modulesDir, 'modules.dep'), 'kernel/drivers/usb/storage/usb-storage.ko: kernel/drivers/scsi/scsi_mod.ko\nkernel/drivers/usb/storage/uas.ko: kernel/drivers/usb/storage/usb-storage.ko kernel/drivers/scsi/scsi_mod.ko\n');
    }
  });
  afterAll(() => {
    if (createdModules) rmSync(`/usr/lib/modules/${kernel}`, { recursive: true, force: true });
    if (createdModules && existsSync('/usr/lib/modules')) spawnSync('rmdir', ['/usr/lib/modules']);
    rmSync(work, { recursive: true, force: true });
    // The mount point made under /run inside the namespace is a directory on the real /run.
    const rt = settings.get('RuntimeDirectory');
    if (rt && rt !== 'posture-agent') rmSync(`/run/${rt.split('/')[0]}`, { recursive: true, force: true });
  });

  const sandboxScript = (overrides: Record<string, string> = {}, command = agent) => {
    const cmds: string[] = [];
    for (const [k, v] of new Map([...settings, ...Object.entries(overrides)])) {
      const c = reproduce(k, v, { stateDir, runtimeDir, runtimeName: settings.get('RuntimeDirectory') });
      if (c) cmds.push(...c);
    }
    return [...cmds, command].join('\n');
  };

  it('every Protect…/Private… setting of the unit has a reproduction', () => {
    expect(() => sandboxScript()).not.toThrow();
    expect(settings.get('ProtectSystem')).toBe('strict');
  });

  it('each check has the same verdict inside the reproduced sandbox as outside', () => {
    // Outside before and after inside: other test files running at the same time change this
    // machine (host.test.ts starts a real clamd), so a check whose verdict moved outside during
    // the comparison says nothing about the sandbox and is left out (at most one may be).
    const outside = checkJson(agent, env);
    const inside = checkJson(sandboxScript(), env);
    const after = checkJson(agent, env);
    expect(inside.map((c) => c.id)).toEqual(outside.map((c) => c.id));
    const stable = outside.filter((c, i) => after[i]?.id === c.id && after[i].status === c.status).map((c) => c.id);
    expect(stable.length).toBeGreaterThanOrEqual(outside.length - 1);
    expect(stable).toContain('usb_storage');
    const diff = inside
      .map((c, i) => ({ c, o: outside[i] }))
      .filter(({ c, o }) => stable.includes(c.id) && c.status !== o.status)
      .map(({ c, o }) => `${c.id}: outside ${o.status}, inside ${c.status} (${c.summary ?? ''})`);
    expect(diff).toEqual([]);
    const usbIn = inside.find((c) => c.id === 'usb_storage')!;
    expect((usbIn.evidence as { builtinDriver?: unknown } | undefined)?.builtinDriver).toBe(false);
  }, 300_000);

  it('the reproduction is real: the state dir and runtime dir are writable, / is not, and ProtectKernelModules=yes would hide modules.builtin', () => {
    const probe = (overrides: Record<string, string>) =>
      spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-ec', sandboxScript(overrides, [
        `touch ${stateDir}/w && echo STATE_RW`,
        `touch /run/${settings.get('RuntimeDirectory')}/w && echo RUN_RW`,
        `touch /usr/posture-unit-test 2>/dev/null && echo ROOT_RW || echo ROOT_RO`,
        `test -r ${modulesDir}/modules.builtin && echo MODULES_VISIBLE || echo MODULES_HIDDEN`,
      ].join('\n'))], { encoding: 'utf8' }).stdout;
    const asIs = probe({});
    expect(asIs).toContain('STATE_RW');
    expect(asIs).toContain('RUN_RW');
    expect(asIs).toContain('ROOT_RO');
    expect(asIs).toContain('MODULES_VISIBLE');
    expect(probe({ ProtectKernelModules: 'yes' })).toContain('MODULES_HIDDEN');
    rmSync('/usr/posture-unit-test', { force: true });
  });
});
