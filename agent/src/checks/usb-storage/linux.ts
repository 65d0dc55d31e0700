/**
 * Linux: the usb-storage driver blocked in modprobe.d or on the kernel command line and
 * not already loaded, or USBGuard enforcing a default block. All file-based (readable
 * unprivileged, and honouring the root prefix); attached USB disks come from /sys/block.
 */
import type { UsbStorageFacts } from '../../../../shared/src/checks/facts.js';
import { listProcesses } from '../../exec/processes.js';
import type { Collector, ProbeContext } from '../types.js';
import { cmdlineBlacklist, effectiveModprobeFiles, moduleLoaded, parseModprobe, parseUsbguard } from './parse-linux.js';

const MODPROBE_DIRS = ['/etc/modprobe.d', '/run/modprobe.d', '/usr/local/lib/modprobe.d', '/usr/lib/modprobe.d', '/lib/modprobe.d'];

async function attachedUsbDisks(ctx: ProbeContext): Promise<UsbStorageFacts['attachedMassStorage']> {
  const dir = await ctx.fs.list('/sys/block');
  if (!dir.ok) return [];
  const out: UsbStorageFacts['attachedMassStorage'] = [];
  for (const dev of dir.value.filter((d) => /^sd[a-z]+$/.test(d))) {
    const link = await ctx.fs.readlink(`/sys/block/${dev}`);
    if (!link.ok || !link.value.includes('/usb')) continue;
    const [vendor, model, size] = await Promise.all(['device/vendor', 'device/model', 'size'].map((f) => ctx.fs.read(`/sys/block/${dev}/${f}`, 256)));
    out.push({
      name: `${dev}${model.ok ? ` ${model.value.trim()}` : ''}`.slice(0, 128),
      vendor: vendor.ok ? vendor.value.trim() : null,
      size: size.ok ? Number(size.value.trim()) * 512 : null,
    });
  }
  return out.slice(0, 16);
}

export const collectLinux: Collector<'usb_storage'> = async (ctx) => {
  const listings = await Promise.all(MODPROBE_DIRS.map(async (dir) => ({ dir, res: await ctx.fs.list(dir) })));
  const unreadable = listings.filter((l) => !l.res.ok && l.res.error === 'permission_denied').map((l) => l.dir);
  const paths = effectiveModprobeFiles(listings.map((l) => ({ dir: l.dir, names: l.res.ok ? l.res.value : [] })));
  const files = await Promise.all(paths.map(async (path) => ({ path, res: await ctx.fs.read(path, 65536) })));
  const findings = parseModprobe(files.flatMap((f) => (f.res.ok ? [{ path: f.path, text: f.res.value }] : [])));

  const kernel = await ctx.fs.read('/proc/sys/kernel/osrelease');
  const [cmdline, modules, builtin, guardConf, guardRules, procs, attached] = await Promise.all([
    ctx.fs.read('/proc/cmdline', 8192),
    ctx.fs.read('/proc/modules'),
    kernel.ok ? ctx.fs.read(`/lib/modules/${kernel.value.trim()}/modules.builtin`) : Promise.resolve(null),
    ctx.fs.read('/etc/usbguard/usbguard-daemon.conf', 65536),
    ctx.fs.read('/etc/usbguard/rules.conf', 262144),
    listProcesses(ctx),
    attachedUsbDisks(ctx),
  ]);
  const onCmdline = cmdline.ok && cmdlineBlacklist(cmdline.value);
  const loaded = modules.ok ? moduleLoaded(modules.value) : null;
  const isBuiltin = !!builtin?.ok && /\/usb-storage\.ko/.test(builtin.value);
  const guard = guardConf.ok ? parseUsbguard(guardConf.value, guardRules.ok ? guardRules.value : '') : null;
  const guardRunning = procs?.some((p) => p.name === 'usbguard-daemon') ?? null;

  const mechanisms: string[] = [];
  if (!isBuiltin) {
    if (findings.some((f) => f.blocks && f.kind === 'install')) mechanisms.push('modprobe install /bin/false');
    if (findings.some((f) => f.blocks && f.kind === 'blacklist')) mechanisms.push('modprobe-blacklist');
    if (onCmdline) mechanisms.push('kernel cmdline blacklist');
  }
  if (guard && guardRunning && guard.blocking) mechanisms.push('usbguard');

  const driverBlocked = mechanisms.some((m) => m !== 'usbguard') && loaded !== true;
  let policy: UsbStorageFacts['policy'] = driverBlocked || mechanisms.includes('usbguard') ? 'blocked' : 'allowed';
  if (policy === 'allowed' && unreadable.length) policy = 'unknown';
  const detail: Record<string, unknown> = {
    modprobeFindings: findings.slice(0, 10),
    moduleLoaded: loaded,
    builtinDriver: isBuiltin,
    usbguard: guard ? { ...guard, running: guardRunning } : null,
  };
  if (loaded && findings.some((f) => f.blocks)) detail.note = 'usb-storage is blocked in modprobe.d but already loaded; unload it or restart';
  else if (isBuiltin && (findings.length || onCmdline)) detail.note = 'usb-storage is built into this kernel: modprobe.d cannot stop it (use USBGuard)';
  else if (findings.length && !findings.some((f) => f.blocks)) detail.note = 'only uas is blocked; usb-storage still handles USB disks';
  return {
    facts: { policy, mechanisms: policy === 'blocked' ? mechanisms : [], attachedMassStorage: attached },
    detail,
    reason: policy === 'unknown' ? `cannot read ${unreadable.join(', ')}` : undefined,
  };
};
