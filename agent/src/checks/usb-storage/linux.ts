/**
 * Linux: the usb-storage driver blocked in modprobe.d or on the kernel command line and
 * not already loaded, or USBGuard enforcing a default block. All file-based (readable
 * unprivileged, and honouring the root prefix); attached USB disks come from /sys/block.
 */
import type { UsbStorageFacts } from '../../../../shared/src/checks/facts.js';
import { listProcesses } from '../../exec/processes.js';
import type { Collector, ProbeContext } from '../types.js';
import { cmdlineBlacklist, effectiveModprobeFiles, moduleLoaded, modulesDepHasUsbStorage, parseModprobe, parseUsbguard } from './parse-linux.js';

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
  const kdir = kernel.ok && /^[\w.+~-]+$/.test(kernel.value.trim()) ? `/lib/modules/${kernel.value.trim()}` : null;
  const [cmdline, modules, builtin, dep, guardConf, guardRules, procs, attached] = await Promise.all([
    ctx.fs.read('/proc/cmdline', 8192),
    ctx.fs.read('/proc/modules'),
    kdir ? ctx.fs.read(`${kdir}/modules.builtin`) : Promise.resolve(null),
    kdir ? ctx.fs.read(`${kdir}/modules.dep`, 8 * 1024 * 1024) : Promise.resolve(null),
    ctx.fs.read('/etc/usbguard/usbguard-daemon.conf', 65536),
    ctx.fs.read('/etc/usbguard/rules.conf', 262144),
    listProcesses(ctx),
    attachedUsbDisks(ctx),
  ]);
  const onCmdline = cmdline.ok ? cmdlineBlacklist(cmdline.value) : { kernel: false, modprobe: false };
  const loaded = modules.ok ? moduleLoaded(modules.value) : null;
  // Built in? modules.builtin says so. Where it cannot be read (a service sandbox that hides
  // /lib/modules, such as systemd's ProtectKernelModules=yes, or a kernel without the file),
  // sysfs tells: usb-storage has module parameters (delay_use, quirks), so a built-in driver
  // still has /sys/module/usb_storage, but only a loadable module has its `initstate` file
  // (kernel Documentation/ABI/testing/sysfs-module). Unknown when neither can be read: then
  // a modprobe.d or module_blacklist= block cannot be confirmed (it does not stop a built-in driver).
  const sysModule = await ctx.fs.list('/sys/module/usb_storage');
  const sysBuiltin = sysModule.ok ? !sysModule.value.includes('initstate') : sysModule.error === 'not_found' ? false : null;
  const isBuiltin = (!!builtin?.ok && /\/usb-storage\.ko/.test(builtin.value)) || sysBuiltin === true;
  const builtinKnown = !!builtin?.ok || sysBuiltin !== null;
  // Neither built in nor shipped as a module: this kernel has no USB storage driver at all.
  // Only trusted when the files are real: the USB core must appear in one of them.
  const usbCore = (t: string) => /\/usbcore\.ko/.test(t);
  const notBuilt = !!builtin?.ok && !isBuiltin && !!dep?.ok && (usbCore(builtin.value) || usbCore(dep.value)) && !modulesDepHasUsbStorage(dep.value);
  const guard = guardConf.ok ? parseUsbguard(guardConf.value, guardRules.ok ? guardRules.value : '') : null;
  const guardRunning = procs?.some((p) => p.name === 'usbguard-daemon') ?? null;

  // What really stops the driver: an install override that does not load it, the kernel's
  // own module_blacklist=, or no driver. A `blacklist` line (or modprobe.blacklist=) only
  // stops loading through usb-storage's own aliases: a USB disk's modalias also matches uas,
  // which loads usb-storage as its dependency, and `modprobe usb-storage` by name still works.
  const mechanisms: string[] = [];
  if (notBuilt) mechanisms.push('usb-storage driver not built for this kernel');
  if (!isBuiltin && !notBuilt) {
    if (findings.some((f) => f.blocks && f.kind === 'install')) mechanisms.push('modprobe install /bin/false');
    if (onCmdline.kernel) mechanisms.push('kernel module_blacklist=usb_storage');
  }
  if (guard && guardRunning && guard.blocking) mechanisms.push('usbguard');
  const blacklistOnly = !mechanisms.length && !isBuiltin && (findings.some((f) => f.blocks && f.kind === 'blacklist') || onCmdline.modprobe);

  const driverBlocked = mechanisms.some((m) => m !== 'usbguard') && loaded !== true;
  let policy: UsbStorageFacts['policy'] = driverBlocked || mechanisms.includes('usbguard') ? 'blocked' : 'allowed';
  if (policy === 'allowed' && unreadable.length) policy = 'unknown';
  // A driver block that a built-in driver would ignore, on a kernel we cannot see into: unknown.
  const unconfirmed = policy === 'blocked' && !mechanisms.includes('usbguard') && !notBuilt && !builtinKnown;
  if (unconfirmed) policy = 'unknown';
  const detail: Record<string, unknown> = {
    modprobeFindings: findings.slice(0, 10),
    moduleLoaded: loaded,
    builtinDriver: builtinKnown ? isBuiltin : null,
    driverNotBuilt: notBuilt,
    cmdline: onCmdline,
    usbguard: guard ? { ...guard, running: guardRunning } : null,
  };
  if (blacklistOnly)
    detail.note = 'usb-storage is only blacklisted: that stops loading by its own aliases, but a USB disk also matches uas, which loads usb-storage as a dependency, and modprobe usb-storage still works; use "install usb-storage /bin/false", module_blacklist=usb_storage or USBGuard';
  else if (loaded && findings.some((f) => f.blocks)) detail.note = 'usb-storage is blocked in modprobe.d but already loaded; unload it or restart';
  else if (isBuiltin && (findings.length || onCmdline)) detail.note = 'usb-storage is built into this kernel: modprobe.d cannot stop it (use USBGuard)';
  else if (findings.length && !findings.some((f) => f.blocks)) detail.note = 'only uas is blocked; usb-storage still handles USB disks';
  return {
    facts: { policy, mechanisms: policy === 'blocked' ? mechanisms : [], attachedMassStorage: attached },
    detail,
    reason: unconfirmed
      ? `usb-storage is blocked in modprobe.d or on the kernel command line, but whether the driver is built into this kernel (which ignores those blocks) cannot be read: ${kdir ?? '/lib/modules/<kernel>'}/modules.builtin and /sys/module/usb_storage are unreadable`
      : policy === 'unknown' ? `cannot read ${unreadable.join(', ')}` : policy === 'allowed' && blacklistOnly ? (detail.note as string) : undefined,
  };
};
