/** The inventory and the check command on the real host: schema-valid, fast, exit code 0. */
import { describe, expect, it, vi } from 'vitest';
import { Inventory } from '../../shared/src/protocol/inventory.js';
import { compile } from '../../shared/src/schema/validate.js';
import { checkCommand, formatTable, parseCheckArgs } from '../../agent/src/cli/check.js';
import { collectInventory, networkFromOs } from '../../agent/src/inventory/collect.js';
import { bundleVersion, parsePacmanQ, parseRegUninstall, parseTabbedPackages } from '../../agent/src/inventory/software.js';

describe('inventory', () => {
  it('is schema-valid, and bounded in time by its per-source caps', async () => {
    await collectInventory(); // warm module caches (systeminformation lazy-loads)
    const t = performance.now();
    const inv = await collectInventory();
    const ms = performance.now() - t;
    expect(compile(Inventory).validate(inv)).toEqual({ ok: true, value: inv });
    // Each source has a 1.2 s cap; a hang would show as far more than this even on a loaded machine.
    expect(ms).toBeLessThan(10_000);
    expect(inv.network.some((n) => n.mac && n.mac !== '00:00:00:00:00:00')).toBe(true);
    if (process.platform === 'linux') expect(inv.software?.some((s) => s.name === 'dpkg' || s.name === 'rpm')).toBe(true);
  });
  it('parses package lists', () => {
    expect(parseTabbedPackages('adduser\t3.134\nbash\t5.2.15-2+b7\n')).toEqual([{ name: 'adduser', version: '3.134' }, { name: 'bash', version: '5.2.15-2+b7' }]);
    const reg = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\7-Zip\r\n    DisplayName    REG_SZ    7-Zip 23.01 (x64)\r\n    DisplayVersion    REG_SZ    23.01\r\n\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\KB123\r\n    SystemComponent    REG_DWORD    0x1\r\n';
    expect(parseRegUninstall(reg)).toEqual([{ name: '7-Zip 23.01 (x64)', version: '23.01' }]);
    const hidden =
      'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{A1}\r\n    DisplayName    REG_SZ    Microsoft Visual C++ 2022 X64 Minimum Runtime\r\n    SystemComponent    REG_DWORD    0x1\r\n\r\n' +
      'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\KB5034441\r\n    DisplayName    REG_SZ    Security Update for Office\r\n    ParentKeyName    REG_SZ    Office16.PROPLUS\r\n\r\n' +
      'HKEY_CURRENT_USER\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\Microsoft VS Code\r\n    DisplayName    REG_SZ    Microsoft Visual Studio Code (User)\r\n    DisplayVersion    REG_SZ    1.88.1\r\n';
    expect(parseRegUninstall(hidden)).toEqual([{ name: 'Microsoft Visual Studio Code (User)', version: '1.88.1' }]);
    expect(parsePacmanQ('bash 5.2.026-2\nlinux 6.8.7.arch1-1\n')).toEqual([{ name: 'bash', version: '5.2.026-2' }, { name: 'linux', version: '6.8.7.arch1-1' }]);
    expect(bundleVersion('<dict>\n\t<key>CFBundleShortVersionString</key>\n\t<string>124.0.6367.91</string>\n</dict>')).toBe('124.0.6367.91');
    expect(bundleVersion('bplist00\u0000binary')).toBeNull();
  });
  it('maps interfaces with MACs', () => {
    const n = networkFromOs({ eth0: [{ address: '10.0.0.5', netmask: '255.0.0.0', family: 'IPv4', mac: '02:42:ac:11:00:02', internal: false, cidr: '10.0.0.5/8' }] });
    expect(n).toEqual([{ iface: 'eth0', mac: '02:42:ac:11:00:02', ip4: '10.0.0.5', ip6: null, internal: false }]);
  });
});

describe('check command', () => {
  it('parses its options and rejects unknown ones', () => {
    expect(parseCheckArgs(['--json', '--root', '/mnt/img', '--only', 'firewall,bogus,usb_storage'])).toEqual({ json: true, root: '/mnt/img', only: ['firewall', 'usb_storage'] });
    expect(() => parseCheckArgs(['--frobnicate'])).toThrow(/unknown option/);
  });
  it('prints a readable table and returns 0 even when checks fail', async () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const code = await checkCommand({ json: false, only: ['disk_encryption', 'screen_lock'] });
      expect(code).toBe(0);
      const text = write.mock.calls.map((c) => String(c[0])).join('');
      expect(text).toMatch(/^CHECK\s+STATUS\s+SUMMARY$/m);
      expect(text).toMatch(/^disk_encryption\s+(PASS|FAIL|UNKNOWN)\s+/m);
    } finally {
      write.mockRestore();
    }
  });
  it('lists the checks that need elevation', () => {
    const text = formatTable({
      device: { hostname: 'h', os: { platform: 'linux' }, hardware: {}, cpu: {}, disks: [], network: [], users: [] },
      checks: [{ id: 'firewall', status: 'unknown', summary: 's', evidence: {}, remediation: { steps: [] }, reason: 'nft: permission denied', needsElevation: true }],
    });
    expect(text).toContain('More precise when run as root/administrator: firewall');
    expect(text).toContain('(nft: permission denied)');
  });
});
