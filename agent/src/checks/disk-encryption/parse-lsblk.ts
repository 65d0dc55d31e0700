/**
 * `lsblk -J -b -o NAME,TYPE,FSTYPE,FSVER,MOUNTPOINT,RM,HOTPLUG,TRAN,SIZE` → volumes.
 * The JSON is a tree from disks down to what sits on them, so a root filesystem on
 * LVM on LUKS on a partition appears as disk → part(crypto_LUKS) → crypt → lvm(/).
 * A volume is encrypted when a `crypt` node lies on its path from the disk.
 * Old lsblk (< 2.33) prints every value as a string ("rm": "0"); both forms are read.
 */
import type { Volume } from '../../../../shared/src/checks/facts.js';

interface Node {
  name?: string;
  type?: string;
  fstype?: string | null;
  fsver?: string | null;
  mountpoint?: string | null;
  mountpoints?: (string | null)[];
  rm?: boolean | string;
  hotplug?: boolean | string;
  tran?: string | null;
  children?: Node[];
}

export interface LsblkVolumes {
  volumes: Volume[];
  /** The root filesystem's chain from disk to mount, e.g. ['nvme0n1', 'nvme0n1p3', 'dm_crypt-0', 'vg-root']. */
  rootChain: string[] | null;
}

const truthy = (v: unknown) => v === true || v === '1' || v === 1;

function mounts(n: Node): string[] {
  const all = [n.mountpoint, ...(n.mountpoints ?? [])].filter((m): m is string => typeof m === 'string' && m !== '');
  return [...new Set(all)];
}

export function parseLsblk(json: string): LsblkVolumes | null {
  let doc: { blockdevices?: Node[] };
  try {
    doc = JSON.parse(json);
  } catch {
    return null;
  }
  if (!doc || !Array.isArray(doc.blockdevices)) return null;
  const volumes: Volume[] = [];
  let rootChain: string[] | null = null;

  const walk = (n: Node, path: Node[]) => {
    const chain = [...path, n];
    for (const mount of mounts(n)) {
      if (mount === '[SWAP]') continue;
      const cryptIdx = chain.findIndex((c) => c.type === 'crypt');
      const luksHolder = cryptIdx > 0 ? chain[cryptIdx - 1] : null;
      const disk = chain[0];
      const method =
        cryptIdx < 0
          ? 'none'
          : luksHolder?.fstype === 'crypto_LUKS'
            ? `luks${luksHolder.fsver ? String(luksHolder.fsver).replace(/^(\d).*/, '$1') : ''}`
            : 'dm-crypt';
      const removable = truthy(disk.rm) || truthy(disk.hotplug) || disk.tran === 'usb';
      volumes.push({
        name: n.name ?? '?',
        mount,
        encrypted: cryptIdx >= 0,
        method,
        system: mount === '/',
        removable,
      });
      if (mount === '/') rootChain = chain.map((c) => c.name ?? '?');
    }
    for (const c of n.children ?? []) walk(c, chain);
  };
  for (const d of doc.blockdevices) walk(d, []);
  return { volumes, rootChain };
}

/** Hints in /proc/cmdline that the root is opened by an initramfs crypt hook. */
export function cmdlineCryptHints(cmdline: string): string[] {
  return cmdline
    .split(/\s+/)
    .filter((t) => /^(rd\.luks\.(uuid|name|options)|luks\.(uuid|name)|cryptdevice|rd\.luks|cryptopts)=/.test(t))
    .map((t) => t.slice(0, 120));
}

/** `/proc/mounts` → the entry for "/", last one wins (over-mounts stack). */
export function rootMount(procMounts: string): { source: string; fstype: string } | null {
  let found: { source: string; fstype: string } | null = null;
  for (const line of procMounts.split('\n')) {
    const [source, target, fstype] = line.split(' ');
    if (target === '/' && source && fstype) found = { source, fstype };
  }
  return found;
}

/** `zfs get -H -p -o property,value encryption,keystatus <dataset>` → state. */
export function parseZfsEncryption(text: string): { encryption: string | null; keystatus: string | null } {
  const props: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const [k, v] = line.split('\t');
    if (k && v !== undefined) props[k.trim()] = v.trim();
  }
  return { encryption: props.encryption ?? null, keystatus: props.keystatus ?? null };
}
