/**
 * Asset inventory. Fast sources first: Node's `os` module for hostname, CPU, memory and
 * network interfaces (no subprocess), systeminformation only for what `os` lacks (distro,
 * hardware vendor/model/serial, disks, logged-in users). Each piece has its own time
 * budget and failure becomes null/empty, so a slow or broken source costs at most its
 * budget and never the whole inventory. The result is trimmed to the schema's limits
 * and validated.
 */
import os from 'node:os';
import si from 'systeminformation';
import { Inventory } from '../../../shared/src/protocol/inventory.js';
import { compile } from '../../../shared/src/schema/validate.js';
import { boundFs } from '../checks/registry.js';
import { resolveRoot } from '../exec/files.js';
import { defaultRunner } from '../exec/runner.js';
import { listSoftware } from './software.js';
import { toStorable } from '#shared/schema/storable.js';

const PIECE_BUDGET_MS = 1200;
const validator = compile(Inventory);

async function piece<T>(fn: () => Promise<T>): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([fn(), new Promise<null>((r) => (timer = setTimeout(() => r(null), PIECE_BUDGET_MS)))]);
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

const s = (v: unknown, max = 256): string | null => {
  if (typeof v !== 'string') return null;
  const t = v.trim();
  // systeminformation reports placeholders for absent DMI values.
  return t && t !== '-' && !/^(default string|to be filled by o\.e\.m\.|none)$/i.test(t) ? t.slice(0, max) : null;
};

export function networkFromOs(ifaces = os.networkInterfaces()): Inventory['network'] {
  const out: Inventory['network'] = [];
  for (const [iface, addrs] of Object.entries(ifaces)) {
    if (!addrs?.length) continue;
    const v4 = addrs.find((a) => a.family === 'IPv4');
    const v6 = addrs.find((a) => a.family === 'IPv6' && !a.address.startsWith('fe80')) ?? addrs.find((a) => a.family === 'IPv6');
    out.push({ iface: iface.slice(0, 128), mac: s(addrs[0].mac, 64), ip4: s(v4?.address, 64), ip6: s(v6?.address, 128), internal: addrs[0].internal });
  }
  return out.slice(0, 128);
}

export async function collectInventory(opts: { root?: string } = {}): Promise<Inventory> {
  const run = defaultRunner().run;
  const [osInfo, system, uuid, disks, blocks, users, software] = await Promise.all([
    piece(() => si.osInfo()),
    piece(() => si.system()),
    piece(() => si.uuid()),
    piece(() => si.diskLayout()),
    piece(() => si.blockDevices()),
    piece(() => si.users()),
    piece(() => listSoftware(process.platform, run, boundFs(resolveRoot(opts.root)))),
  ]);
  const cpus = os.cpus();
  let diskList: Inventory['disks'] = (disks ?? []).map((d) => ({
    name: s(d.name) ?? s(d.device) ?? 'disk',
    type: s(d.type, 64),
    sizeBytes: Number.isFinite(d.size) ? d.size : null,
    vendor: s(d.vendor),
    serial: s(d.serialNum),
  }));
  if (diskList.length === 0) {
    diskList = (blocks ?? [])
      .filter((b) => b.type === 'disk' && b.size > 0)
      .map((b) => ({ name: s(b.name) ?? 'disk', type: s(b.physical, 64), sizeBytes: b.size, vendor: s(b.model), serial: s(b.serial) }));
  }
  let inv: Inventory = {
    hostname: os.hostname().slice(0, 255) || 'unknown',
    os: {
      platform: process.platform,
      distro: s(osInfo?.distro),
      release: s(osInfo?.release),
      build: s(osInfo?.build),
      kernel: s(osInfo?.kernel) ?? s(os.release()),
      arch: s(osInfo?.arch ?? os.arch(), 32),
    },
    hardware: {
      vendor: s(system?.manufacturer),
      model: s(system?.model),
      serial: s(system?.serial) ?? s(osInfo?.serial),
      uuid: s(system?.uuid) ?? s(uuid?.hardware) ?? s(uuid?.os),
    },
    cpu: { brand: s(cpus[0]?.model), cores: cpus.length || null, physicalCores: null },
    memoryBytes: os.totalmem(),
    disks: diskList.slice(0, 64),
    network: networkFromOs(),
    users: [...new Set((users ?? []).map((u) => s(u.user, 128)).filter((u): u is string => !!u))].slice(0, 64),
  };
  if (software) inv.software = software;
  inv = toStorable(inv); // hostnames, model names, package names: NUL/lone surrogates dropped before signing
  const v = validator.validate(inv);
  if (v.ok) return inv;
  // Never send an invalid inventory: drop the optional, most varied part and retry.
  delete inv.software;
  return inv;
}
