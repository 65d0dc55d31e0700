/**
 * Asset inventory. Fast sources first: Node's `os` module for hostname, CPU, memory and
 * network interfaces (no subprocess), systeminformation only for what `os` lacks (distro,
 * hardware vendor/model/serial, disks: cached, stable-facts.ts), `who` for logged-in users
 * (users.ts). Each piece has its own time
 * budget and failure becomes null/empty, so a slow or broken source costs at most its
 * budget and never the whole inventory. The result is trimmed to the schema's limits
 * and validated.
 */
import os from 'node:os';
import { Inventory } from '../../../shared/src/protocol/inventory.js';
import { compile } from '../../../shared/src/schema/validate.js';
import { boundFs } from '../checks/registry.js';
import { resolveRoot } from '../exec/files.js';
import { defaultRunner } from '../exec/runner.js';
import { listSoftware } from './software.js';
import { toStorable } from '#shared/schema/storable.js';
import { clean, piece, stableFacts } from './stable-facts.js';
import { loggedInUsers } from './users.js';

const validator = compile(Inventory);

const s = clean;

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

/**
 * The inventory for a report. `cacheDir` (the probe cache): OS, hardware and disk identity
 * come from stable-facts.ts's cache while its key holds (at most a boot and a UTC day old);
 * users, software, network, CPU and memory are read every time.
 */
export async function collectInventory(opts: { root?: string; cacheDir?: string | null } = {}, fresh = false): Promise<Inventory> {
  const run = defaultRunner().run;
  const [stable, users, software] = await Promise.all([
    stableFacts(opts.cacheDir, { fresh }),
    piece(() => loggedInUsers(process.platform, run)),
    piece(() => listSoftware(process.platform, run, boundFs(resolveRoot(opts.root)))),
  ]);
  const cpus = os.cpus();
  let inv: Inventory = {
    hostname: os.hostname().slice(0, 255) || 'unknown',
    os: stable.facts.os,
    hardware: stable.facts.hardware,
    cpu: { brand: s(cpus[0]?.model), cores: cpus.length || null, physicalCores: null },
    memoryBytes: os.totalmem(),
    disks: stable.facts.disks,
    network: networkFromOs(),
    users: [...new Set((users ?? []).map((u) => s(u, 128)).filter((u): u is string => !!u))].slice(0, 64),
  };
  if (software) inv.software = software;
  inv = toStorable(inv); // hostnames, model names, package names: NUL/lone surrogates dropped before signing
  if (validator.validate(inv).ok) return inv;
  // A cached part written by another version must not make the report's inventory invalid.
  if (stable.cached) return collectInventory(opts, true);
  // Never send an invalid inventory: drop the optional, most varied part and retry.
  delete inv.software;
  return inv;
}
