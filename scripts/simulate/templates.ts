/**
 * Shared templates for simulated agents: one inventory and one set of check results per
 * platform, built once and referenced by every agent. An agent only owns its index; the
 * report it sends is assembled at send time and dropped after signing, so 15,000 agents
 * cost a few hundred bytes each rather than a copy of the inventory each.
 */
import type { CheckId } from '#shared/checks/ids.js';
import { CHECK_IDS } from '#shared/checks/ids.js';
import type { CheckResult } from '#shared/checks/result.js';
import type { Inventory } from '#shared/protocol/inventory.js';

export type SimPlatform = 'darwin' | 'win32' | 'linux';
type Status = 'pass' | 'fail' | 'unknown';

/** Fleet mix of a typical laptop company. */
export function platformOf(i: number): SimPlatform {
  const r = hash01(i, 1);
  return r < 0.55 ? 'darwin' : r < 0.9 ? 'win32' : 'linux';
}

/** Deterministic pseudo-random in [0,1) from an agent index and a salt (no per-agent state). */
export function hash01(i: number, salt: number): number {
  let h = (i * 2654435761) ^ (salt * 40503);
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

const SOFTWARE = [
  ['Google Chrome', '131.0.6778.86'], ['Slack', '4.41.105'], ['Zoom', '6.2.11'], ['1Password', '8.10.54'],
  ['Microsoft Teams', '24295.606.3238'], ['Visual Studio Code', '1.95.3'], ['Docker Desktop', '4.36.0'],
  ['Firefox', '133.0'], ['Microsoft Word', '16.91'], ['Microsoft Excel', '16.91'], ['Git', '2.47.1'],
  ['Node.js', '20.18.1'], ['Python', '3.12.7'], ['Notion', '4.2.0'], ['Figma', '124.6.5'], ['Spotify', '1.2.50'],
].map(([name, version]) => ({ name, version }));

const BASE: Record<SimPlatform, Inventory> = {
  darwin: {
    hostname: '',
    os: { platform: 'darwin', distro: 'macOS', release: '15.1.1', build: '24B91', kernel: '24.1.0', arch: 'arm64' },
    hardware: { vendor: 'Apple Inc.', model: 'MacBookPro18,3', serial: '', uuid: null },
    cpu: { brand: 'Apple M1 Pro', cores: 10, physicalCores: 10 },
    memoryBytes: 17179869184,
    disks: [{ name: 'APPLE SSD AP0512R', type: 'NVMe', sizeBytes: 500277790720, vendor: 'Apple', serial: null }],
    network: [
      { iface: 'lo0', mac: '00:00:00:00:00:00', ip4: '127.0.0.1', ip6: '::1', internal: true },
      { iface: 'en0', mac: '', ip4: '', ip6: null, internal: false },
    ],
    users: [],
    software: SOFTWARE,
  },
  win32: {
    hostname: '',
    os: { platform: 'win32', distro: 'Microsoft Windows 11 Enterprise', release: '10.0.22631', build: '22631', kernel: '10.0.22631', arch: 'x64' },
    hardware: { vendor: 'LENOVO', model: 'ThinkPad T14 Gen 3', serial: '', uuid: null },
    cpu: { brand: 'Intel Core i7-1265U', cores: 12, physicalCores: 10 },
    memoryBytes: 34359738368,
    disks: [{ name: 'SAMSUNG MZVL2512HCJQ', type: 'NVMe', sizeBytes: 512110190592, vendor: 'Samsung', serial: null }],
    network: [
      { iface: 'Wi-Fi', mac: '', ip4: '', ip6: null, internal: false },
      { iface: 'Loopback Pseudo-Interface 1', mac: null, ip4: '127.0.0.1', ip6: '::1', internal: true },
    ],
    users: [],
    software: SOFTWARE,
  },
  linux: {
    hostname: '',
    os: { platform: 'linux', distro: 'Ubuntu', release: '24.04.1 LTS', build: null, kernel: '6.8.0-49-generic', arch: 'x64' },
    hardware: { vendor: 'Dell Inc.', model: 'XPS 13 9340', serial: '', uuid: null },
    cpu: { brand: 'Intel Core Ultra 7 155H', cores: 16, physicalCores: 12 },
    memoryBytes: 33554432000,
    disks: [{ name: 'nvme0n1', type: 'NVMe', sizeBytes: 1024209543168, vendor: 'SK hynix', serial: null }],
    network: [
      { iface: 'lo', mac: '00:00:00:00:00:00', ip4: '127.0.0.1', ip6: '::1', internal: true },
      { iface: 'wlp0s20f3', mac: '', ip4: '', ip6: null, internal: false },
    ],
    users: [],
    software: SOFTWARE.slice(0, 10),
  },
};

const hex2 = (n: number) => (n & 0xff).toString(16).padStart(2, '0');

/** The inventory of agent i: the shared template with the few per-device fields filled in. */
export function inventoryOf(i: number): Inventory {
  const p = platformOf(i);
  const b = BASE[p];
  const nic = b.network.map((n) => (n.internal ? n : { ...n, mac: `a4:83:e7:${hex2(i >> 16)}:${hex2(i >> 8)}:${hex2(i)}`, ip4: `10.${(i >> 16) & 0xff}.${(i >> 8) & 0xff}.${i & 0xff}` }));
  return { ...b, hostname: hostnameOf(i), hardware: { ...b.hardware, serial: `SIM${i.toString(36).toUpperCase().padStart(8, '0')}` }, network: nic, users: [`user${i}`] };
}

export const hostnameOf = (i: number) => `sim-${String(i).padStart(6, '0')}`;

type Template = Omit<CheckResult, 'durationMs'>;
const rem = (...steps: string[]) => ({ steps });

/** One result per check, platform and status, with facts the collector's judge reads. */
const RESULTS: Record<SimPlatform, Record<CheckId, Record<Status, Template>>> = {} as never;
for (const p of ['darwin', 'win32', 'linux'] as SimPlatform[]) {
  const disk = p === 'darwin' ? { name: 'Macintosh HD', method: 'filevault' } : p === 'win32' ? { name: 'C:', method: 'bitlocker' } : { name: 'nvme0n1p3', method: 'luks2' };
  const fw = p === 'darwin' ? 'macos-alf' : p === 'win32' ? 'windows-firewall' : 'nftables';
  const av = p === 'win32' ? 'Microsoft Defender Antivirus' : p === 'darwin' ? 'XProtect' : 'ClamAV';
  const osVersion = BASE[p].os.release ?? null;
  RESULTS[p] = {
    disk_encryption: {
      pass: { id: 'disk_encryption', status: 'pass', summary: `${disk.name} is encrypted (${disk.method})`, evidence: { facts: { systemVolumeEncrypted: true, volumes: [{ name: disk.name, mount: p === 'win32' ? 'C:' : '/', encrypted: true, method: disk.method, system: true }] } }, remediation: rem() },
      fail: { id: 'disk_encryption', status: 'fail', summary: `${disk.name} is not encrypted`, evidence: { facts: { systemVolumeEncrypted: false, volumes: [{ name: disk.name, mount: '/', encrypted: false, method: 'none', system: true }] } }, remediation: rem(`Turn on ${disk.method} for the system volume.`) },
      unknown: { id: 'disk_encryption', status: 'unknown', summary: 'Encryption state could not be read', reason: 'permission denied reading volume status', needsElevation: true, evidence: { facts: { systemVolumeEncrypted: null, volumes: [] } }, remediation: rem('Run the agent as a service so it can read volume status.') },
    },
    firewall: {
      pass: { id: 'firewall', status: 'pass', summary: `Inbound traffic filtered (${fw})`, evidence: { facts: { inboundFiltered: true, backends: [fw] } }, remediation: rem() },
      fail: { id: 'firewall', status: 'fail', summary: 'Firewall is off', evidence: { facts: { inboundFiltered: false, backends: [fw] } }, remediation: rem('Turn the firewall on.') },
      unknown: { id: 'firewall', status: 'unknown', summary: 'Firewall state unknown', reason: 'firewall tool timed out', evidence: { facts: { inboundFiltered: null, backends: [] } }, remediation: rem() },
    },
    antivirus: {
      pass: { id: 'antivirus', status: 'pass', summary: `${av} running, definitions current`, evidence: { facts: { products: [{ name: av, kind: 'antivirus', running: true, realTimeProtection: true, definitionsUpToDate: true, definitionsAgeDays: 0 }] } }, remediation: rem() },
      fail: { id: 'antivirus', status: 'fail', summary: `${av}: real-time protection off`, evidence: { facts: { products: [{ name: av, kind: 'antivirus', running: true, realTimeProtection: false, definitionsUpToDate: true, definitionsAgeDays: 1 }] } }, remediation: rem('Turn real-time protection back on.') },
      unknown: { id: 'antivirus', status: 'unknown', summary: 'No product state readable', reason: 'security center unavailable', evidence: { facts: { products: [{ name: av, kind: 'antivirus', running: null, realTimeProtection: null, definitionsUpToDate: null, definitionsAgeDays: null }] } }, remediation: rem() },
    },
    patch_level: {
      pass: { id: 'patch_level', status: 'pass', summary: 'Up to date', evidence: { facts: { osName: BASE[p].os.distro ?? null, osVersion, pendingUpdates: 0, pendingSecurityUpdates: 0, daysSinceLastUpdate: 6, autoUpdatesEnabled: true } }, remediation: rem() },
      fail: { id: 'patch_level', status: 'fail', summary: '3 security updates pending', evidence: { facts: { osName: BASE[p].os.distro ?? null, osVersion, pendingUpdates: 7, pendingSecurityUpdates: 3, daysSinceLastUpdate: 41, autoUpdatesEnabled: false } }, remediation: rem('Install pending updates and restart.') },
      unknown: { id: 'patch_level', status: 'unknown', summary: 'Pending updates unknown', reason: 'update catalogue not reachable', evidence: { facts: { osName: BASE[p].os.distro ?? null, osVersion, pendingUpdates: null, pendingSecurityUpdates: null, daysSinceLastUpdate: null, autoUpdatesEnabled: null } }, remediation: rem() },
    },
    usb_storage: {
      pass: { id: 'usb_storage', status: 'pass', summary: 'USB mass storage blocked', evidence: { facts: { policy: 'blocked', mechanisms: [p === 'win32' ? 'USBSTOR Start=4' : p === 'darwin' ? 'mdm-restriction' : 'modprobe-blacklist'], attachedMassStorage: [] } }, remediation: rem() },
      fail: { id: 'usb_storage', status: 'fail', summary: 'USB mass storage allowed', evidence: { facts: { policy: 'allowed', mechanisms: [], attachedMassStorage: [{ name: 'SanDisk Ultra', vendor: 'SanDisk', size: 64023257088 }] } }, remediation: rem('Block USB mass storage by policy.') },
      unknown: { id: 'usb_storage', status: 'unknown', summary: 'USB policy unknown', reason: 'policy store unreadable', evidence: { facts: { policy: 'unknown', mechanisms: [], attachedMassStorage: [] } }, remediation: rem() },
    },
    screen_lock: {
      pass: { id: 'screen_lock', status: 'pass', summary: 'Locks after 300 s idle', evidence: { facts: { lockEnabled: true, idleTimeoutSeconds: 300, session: p === 'darwin' ? 'macos' : p === 'win32' ? 'windows' : 'gnome' } }, remediation: rem() },
      fail: { id: 'screen_lock', status: 'fail', summary: 'Screen never locks', evidence: { facts: { lockEnabled: false, idleTimeoutSeconds: null } }, remediation: rem('Require a password after at most 15 minutes idle.') },
      unknown: { id: 'screen_lock', status: 'unknown', summary: 'Screen lock state unknown', reason: 'no user session', evidence: { facts: { lockEnabled: null, idleTimeoutSeconds: null, session: 'headless' } }, remediation: rem() },
    },
  };
}

/**
 * The checks of agent i at report number seq: each agent has a persona (mostly compliant,
 * a few chronic failures, some unknowns) and occasionally flips a check, so state changes
 * and events happen at a realistic low rate.
 */
export function checksOf(i: number, seq: number, only?: readonly string[]): CheckResult[] {
  const p = platformOf(i);
  const out: CheckResult[] = [];
  CHECK_IDS.forEach((id, k) => {
    if (only && only.length && !only.includes(id)) return;
    const r = hash01(i, 100 + k);
    let s: Status = r < 0.05 ? 'fail' : r < 0.08 ? 'unknown' : 'pass';
    if (hash01(i * 7919 + seq, 200 + k) < 0.01) s = s === 'pass' ? 'fail' : 'pass';
    out.push({ ...RESULTS[p][id][s], durationMs: 20 + Math.floor(hash01(i + seq, k) * 400) });
  });
  return out;
}
