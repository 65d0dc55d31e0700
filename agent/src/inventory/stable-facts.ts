/**
 * The slow-changing part of the inventory: OS identity (distro, release, build, kernel),
 * hardware identity (vendor, model, serial, uuid) and disks. systeminformation gets these by
 * starting about twenty shells and commands (dmidecode, lsblk, ls /dev/disk/by-id, cat of DMI
 * files, ...; counted with `strace -f -e execve` on one `posture-agent __cycle`), which made the
 * inventory most of a warm cycle's spawning cost although the answers almost never change.
 *
 * They are collected at most once per boot and UTC day and otherwise read from the probe cache
 * (checks/cache.ts: a private directory, files trusted only when owned by this user). The key
 * holds the hostname, the kernel release and the boot identity, so a rename, a kernel update
 * a reboot, or (Linux) a changed /etc/os-release collects again at once; the UTC day in the key bounds
 * anything else (a disk swapped without a reboot) to 24 hours. Only a complete answer (every
 * source answered within its budget) is stored, so a timed-out source is retried next cycle.
 * Inventory is descriptive: no check verdict is derived from these facts.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import si from 'systeminformation';
import type { Inventory } from '../../../shared/src/protocol/inventory.js';
import { readCache, writeCache } from '../checks/cache.js';

export interface StableFacts {
  os: Inventory['os'];
  hardware: Inventory['hardware'];
  disks: Inventory['disks'];
}

/** Per-source time budget, ms: a slow source costs at most this and becomes null. */
export const PIECE_BUDGET_MS = 1200;
const CACHE_NAME = 'inventory-stable';

/** One inventory source within PIECE_BUDGET_MS: its answer, or null when it failed or ran out of time. */
export async function piece<T>(fn: () => Promise<T>): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([fn(), new Promise<null>((r) => (timer = setTimeout(() => r(null), PIECE_BUDGET_MS)))]);
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

/** A trimmed string, or null for empty values and systeminformation's DMI placeholders. */
export const clean = (v: unknown, max = 256): string | null => {
  if (typeof v !== 'string') return null;
  const t = v.trim();
  // systeminformation reports placeholders for absent DMI values.
  return t && t !== '-' && !/^(default string|to be filled by o\.e\.m\.|none)$/i.test(t) ? t.slice(0, max) : null;
};

/**
 * This boot's identity: Linux's random boot_id (proc(5)); elsewhere the boot time from the
 * uptime, to the minute (uptime and clock read a moment apart must not change the key).
 */
function bootIdentity(): string {
  if (process.platform === 'linux') {
    try {
      return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      /* fall through to the uptime */
    }
  }
  return String(Math.round((Date.now() - os.uptime() * 1000) / 60_000));
}

/**
 * Linux: a digest of /etc/os-release (os-release(5); /usr/lib/os-release when it is absent). A
 * distribution upgrade rewrites it at once while the reboot may come days later, so the
 * dashboard shows the new release from the next cycle. Elsewhere '' (a macOS or Windows
 * version change takes a reboot, which the boot identity covers).
 */
function osReleaseIdentity(): string {
  if (process.platform !== 'linux') return '';
  for (const p of ['/etc/os-release', '/usr/lib/os-release']) {
    try {
      return createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 16);
    } catch {
      /* try the next one */
    }
  }
  return 'none';
}

/** The cache key: a change of any part collects again (see the file comment). */
export function stableFactsKey(now = Date.now()): string {
  return `v2|${process.platform}|${os.hostname()}|${os.release()}|${osReleaseIdentity()}|${bootIdentity()}|${Math.floor(now / 86_400_000)}`;
}

/** Collect now; `complete` is false when a source failed or ran out of its budget. */
export async function collectStableFacts(): Promise<{ facts: StableFacts; complete: boolean }> {
  const [osInfo, system, uuid, disks, blocks] = await Promise.all([
    piece(() => si.osInfo()),
    piece(() => si.system()),
    piece(() => si.uuid()),
    piece(() => si.diskLayout()),
    piece(() => si.blockDevices()),
  ]);
  let diskList: Inventory['disks'] = (disks ?? []).map((d) => ({
    name: clean(d.name) ?? clean(d.device) ?? 'disk',
    type: clean(d.type, 64),
    sizeBytes: Number.isFinite(d.size) ? d.size : null,
    vendor: clean(d.vendor),
    serial: clean(d.serialNum),
  }));
  if (diskList.length === 0) {
    diskList = (blocks ?? [])
      .filter((b) => b.type === 'disk' && b.size > 0)
      .map((b) => ({ name: clean(b.name) ?? 'disk', type: clean(b.physical, 64), sizeBytes: b.size, vendor: clean(b.model), serial: clean(b.serial) }));
  }
  const facts: StableFacts = {
    os: {
      platform: process.platform,
      distro: clean(osInfo?.distro),
      release: clean(osInfo?.release),
      build: clean(osInfo?.build),
      kernel: clean(osInfo?.kernel) ?? clean(os.release()),
      arch: clean(osInfo?.arch ?? os.arch(), 32),
    },
    hardware: {
      vendor: clean(system?.manufacturer),
      model: clean(system?.model),
      serial: clean(system?.serial) ?? clean(osInfo?.serial),
      uuid: clean(system?.uuid) ?? clean(uuid?.hardware) ?? clean(uuid?.os),
    },
    disks: diskList.slice(0, 64),
  };
  return { facts, complete: [osInfo, system, uuid, disks, blocks].every((x) => x !== null) };
}

/**
 * The stable facts from the cache when its key still holds, else collected (and stored when
 * complete). `cacheDir` null/undefined: always collect, store nothing (`posture-agent check`
 * with --root, tests). The caller validates the whole inventory and calls again with
 * `fresh: true` if a cached part does not pass (a cache written by another version).
 */
export async function stableFacts(cacheDir: string | null | undefined, opts: { fresh?: boolean } = {}): Promise<{ facts: StableFacts; cached: boolean }> {
  const key = stableFactsKey();
  if (cacheDir && !opts.fresh) {
    const hit = await readCache<StableFacts>(cacheDir, CACHE_NAME, key);
    if (hit && typeof hit === 'object' && hit.os && hit.hardware && Array.isArray(hit.disks)) return { facts: hit, cached: true };
  }
  const { facts, complete } = await collectStableFacts();
  if (cacheDir && complete) await writeCache(cacheDir, CACHE_NAME, key, facts);
  return { facts, cached: false };
}
