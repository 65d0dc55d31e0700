/**
 * Linux: LUKS/dm-crypt under the root filesystem (lsblk tree walk), ZFS native
 * encryption for a ZFS root, and /proc/cmdline crypt hooks as supporting evidence.
 * lsblk works unprivileged; `zfs get` too. A root on overlay/tmpfs (a container) is
 * reported as unknown: the host's disk is not visible from inside.
 */
import type { Collector } from '../types.js';
import { describeFailure } from '../types.js';
import { cmdlineCryptHints, parseLsblk, parseZfsEncryption, rootMount } from './parse-lsblk.js';

const LSBLK_COLUMNS = 'NAME,TYPE,FSTYPE,FSVER,MOUNTPOINT,RM,HOTPLUG,TRAN,SIZE';

export const collectLinux: Collector<'disk_encryption'> = async (ctx) => {
  const [lsblk, mounts, cmdline, crypttab] = await Promise.all([
    ctx.run('lsblk', ['-J', '-b', '-o', LSBLK_COLUMNS]),
    ctx.fs.read('/proc/mounts'),
    ctx.fs.read('/proc/cmdline', 8192),
    ctx.fs.read('/etc/crypttab', 16384),
  ]);
  const root = mounts.ok ? rootMount(mounts.value) : null;
  const hints = cmdline.ok ? cmdlineCryptHints(cmdline.value) : [];
  const detail: Record<string, unknown> = {
    rootMount: root,
    cmdlineCryptHints: hints,
    crypttabEntries: crypttab.ok ? crypttab.value.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#')).length : null,
  };

  if (root?.fstype === 'zfs') {
    const z = await ctx.run('zfs', ['get', '-H', '-p', '-o', 'property,value', 'encryption,keystatus', root.source]);
    if (!z.ok) return { facts: { systemVolumeEncrypted: null, volumes: [] }, detail, reason: describeFailure('zfs get', z.error) };
    const { encryption, keystatus } = parseZfsEncryption(z.stdout);
    const encrypted = encryption !== null && encryption !== 'off';
    detail.zfs = { dataset: root.source, encryption, keystatus };
    return {
      facts: {
        systemVolumeEncrypted: encryption === null ? null : encrypted,
        volumes: [{ name: root.source, mount: '/', encrypted, method: encrypted ? `zfs-native (${encryption})` : 'none', system: true }],
      },
      detail,
    };
  }

  if (!lsblk.ok) {
    return { facts: { systemVolumeEncrypted: null, volumes: [] }, detail, reason: describeFailure('lsblk', lsblk.error) };
  }
  const parsed = parseLsblk(lsblk.stdout);
  if (!parsed) return { facts: { systemVolumeEncrypted: null, volumes: [] }, detail, reason: 'lsblk output could not be parsed' };
  detail.rootChain = parsed.rootChain;
  const volumes = parsed.volumes.slice(0, 32);
  const sys = volumes.find((v) => v.system);
  if (!sys) {
    const why =
      root && ['overlay', 'tmpfs', 'rootfs', 'fuse-overlayfs'].includes(root.fstype)
        ? `root filesystem is ${root.fstype} (a container?); the host disk is not visible`
        : 'the root filesystem is not on a block device lsblk reports';
    return { facts: { systemVolumeEncrypted: null, volumes }, detail, reason: why };
  }
  return { facts: { systemVolumeEncrypted: sys.encrypted, volumes }, detail };
};
