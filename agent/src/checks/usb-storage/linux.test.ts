import { describe, expect, it } from 'vitest';
import { fakeContext, fixture } from '../../../../test/agent/fake-context.js';
import { collectLinux } from './linux.js';
import { cmdlineBlacklist, effectiveModprobeFiles, moduleLoaded, parseModprobe, parseUsbguard } from './parse-linux.js';
import { spec } from './spec.js';

const fx = (n: string) => fixture('usb-storage', n);

describe('modprobe.d and friends', () => {
  it('CIS-style install /bin/true + blacklist', () => {
    const f = parseModprobe([{ path: '/etc/modprobe.d/cis.conf', text: fx('modprobe.d-blacklist-usb-storage.cis.conf') }]);
    expect(f.map((x) => x.kind)).toEqual(['install', 'blacklist']);
  });
  it("Debian's stock blacklist.conf does not touch usb-storage; a pass-through install is not a block", () => {
    expect(parseModprobe([{ path: 'a', text: fx('modprobe.d-blacklist.conf.debian12.txt') }])).toEqual([]);
    expect(parseModprobe([{ path: 'b', text: fx('modprobe.d-passthrough.conf') }])).toEqual([]);
  });
  it('treats usb_storage and usb-storage alike; uas lines are reported but do not block', () => {
    expect(parseModprobe([{ path: 'c', text: 'blacklist usb_storage\ninstall uas /usr/bin/false\n' }]).map((f) => f.blocks)).toEqual([true, false]);
    expect(parseModprobe([{ path: 'u', text: fx('modprobe.d-uas-only.conf') }]).some((f) => f.blocks)).toBe(false);
  });
  it('variants: underscore + /bin/false, echo as the install command, commented lines', () => {
    expect(parseModprobe([{ path: 'a', text: fx('modprobe.d-usb_storage.ubuntu24.underscore-false.conf') }]).map((f) => [f.kind, f.blocks])).toEqual([['install', true], ['blacklist', true]]);
    expect(parseModprobe([{ path: 'b', text: fx('modprobe.d-usb-storage.rhel9.echo.conf') }]).map((f) => f.kind)).toEqual(['install']);
    expect(parseModprobe([{ path: 'c', text: fx('modprobe.d-commented.conf') }])).toEqual([]);
  });
  it('usbguard: reject target blocks; none-of 08 and one device by id do not open storage', () => {
    const g = parseUsbguard(fx('usbguard-daemon.conf.ubuntu22.reject.txt'), fx('usbguard-rules.conf.company-stick-only.txt'));
    expect(g).toEqual({ implicitTarget: 'reject', storageAllowedByRule: false, blocking: true });
    expect(parseUsbguard('ImplicitPolicyTarget=allow\n', '').blocking).toBe(false);
  });
  it('/etc shadows a vendor file of the same name', () => {
    expect(effectiveModprobeFiles([{ dir: '/etc/modprobe.d', names: ['x.conf'] }, { dir: '/lib/modprobe.d', names: ['x.conf', 'y.conf', 'README'] }])).toEqual(['/etc/modprobe.d/x.conf', '/lib/modprobe.d/y.conf']);
  });
  it('kernel cmdline, /proc/modules, usbguard', () => {
    expect(cmdlineBlacklist('ro quiet modprobe.blacklist=nouveau,usb-storage')).toEqual({ kernel: false, modprobe: true });
    expect(cmdlineBlacklist('ro quiet module_blacklist=usb_storage')).toEqual({ kernel: true, modprobe: false });
    expect(cmdlineBlacklist('ro quiet')).toEqual({ kernel: false, modprobe: false });
    expect(moduleLoaded(fx('proc-modules.ubuntu22.usb-storage-loaded.txt'))).toBe(true);
    expect(parseUsbguard(fx('usbguard-daemon.conf.fedora39.block.txt'), fx('usbguard-rules.conf.fedora39.txt'))).toEqual({ implicitTarget: 'block', storageAllowedByRule: false, blocking: true });
    expect(parseUsbguard(fx('usbguard-daemon.conf.fedora39.block.txt'), fx('usbguard-rules.conf.allow-storage.txt')).storageAllowedByRule).toBe(true);
  });
});

describe('linux collector + spec', () => {
  const judge = async (files: Record<string, string>, links: Record<string, string> = {}) => {
    const obs = await collectLinux(fakeContext({ files, links }));
    return { obs, v: spec.evaluate(obs, spec.defaults) };
  };
  const cis = { '/etc/modprobe.d/cis-usb.conf': fx('modprobe.d-blacklist-usb-storage.cis.conf') };
  it('pass: blocked in modprobe.d and not loaded', async () => {
    const { v, obs } = await judge({ ...cis, '/proc/modules': 'snd 1 0 - Live 0x0\n' });
    expect(v.status).toBe('pass');
    expect(obs.facts.mechanisms).toEqual(['modprobe install /bin/false']);
  });
  it('fail: blocked in modprobe.d but the module is already loaded', async () => {
    const { v, obs } = await judge({ ...cis, '/proc/modules': fx('proc-modules.ubuntu22.usb-storage-loaded.txt') });
    expect(v.status).toBe('fail');
    expect(obs.detail?.note).toMatch(/already loaded/);
  });
  it('fail: nothing configured; attached USB disk reported from /sys/block', async () => {
    const { v, obs } = await judge(
      { '/etc/modprobe.d/blacklist.conf': fx('modprobe.d-blacklist.conf.debian12.txt'), '/sys/block/sda/device/vendor': 'Kingston\n', '/sys/block/sda/device/model': 'DataTraveler 3.0\n', '/sys/block/sda/size': '60555264\n', '/sys/block/nvme0n1/size': '1' },
      { '/sys/block/sda': '../devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host0/target0:0:0/0:0:0:0/block/sda' },
    );
    expect(v.status).toBe('fail');
    expect(obs.facts.attachedMassStorage).toEqual([{ name: 'sda DataTraveler 3.0', vendor: 'Kingston', size: 60555264 * 512 }]);
  });
  it('pass: usbguard running with implicit block', async () => {
    const { v } = await judge({
      '/etc/usbguard/usbguard-daemon.conf': fx('usbguard-daemon.conf.fedora39.block.txt'),
      '/etc/usbguard/rules.conf': fx('usbguard-rules.conf.fedora39.txt'),
      '/proc/700/comm': 'usbguard-daemon\n',
    });
    expect(v).toMatchObject({ status: 'pass', summary: expect.stringContaining('usbguard') });
  });
  it('fail: usbguard configured but not running', async () => {
    const { v } = await judge({ '/etc/usbguard/usbguard-daemon.conf': fx('usbguard-daemon.conf.fedora39.block.txt'), '/proc/1/comm': 'init\n' });
    expect(v.status).toBe('fail');
  });
  it('pass: vendor file in /usr/lib/modprobe.d; fail: the same file shadowed by an empty /etc one', async () => {
    const vendor = { '/usr/lib/modprobe.d/usb.conf': fx('modprobe.d-usb_storage.ubuntu24.underscore-false.conf'), '/proc/modules': 'snd 1 0 - Live 0x0\n' };
    expect((await judge(vendor)).v.status).toBe('pass');
    expect((await judge({ ...vendor, '/etc/modprobe.d/usb.conf': '# local override\n' })).v.status).toBe('fail');
  });
  it('fail: only uas blocked', async () => {
    const { v, obs } = await judge({ '/etc/modprobe.d/uas.conf': fx('modprobe.d-uas-only.conf'), '/proc/modules': '' });
    expect(v.status).toBe('fail');
    expect(obs.detail?.note).toMatch(/only uas/);
  });
  it('fail: usb-storage built into the kernel, so the modprobe.d block cannot work', async () => {
    const { v, obs } = await judge({
      ...cis,
      '/proc/sys/kernel/osrelease': '6.8.0-custom\n',
      '/lib/modules/6.8.0-custom/modules.builtin': fx('modules.builtin.custom-kernel.txt'),
      '/proc/modules': '',
    });
    expect(v.status).toBe('fail');
    expect(obs.detail).toMatchObject({ builtinDriver: true, note: expect.stringMatching(/built into this kernel/) });
  });
  it('pass: built-in driver but usbguard rejects by default (company stick allowed by id)', async () => {
    const { v } = await judge({
      '/proc/sys/kernel/osrelease': '6.8.0-custom\n',
      '/lib/modules/6.8.0-custom/modules.builtin': fx('modules.builtin.custom-kernel.txt'),
      '/etc/usbguard/usbguard-daemon.conf': fx('usbguard-daemon.conf.ubuntu22.reject.txt'),
      '/etc/usbguard/rules.conf': fx('usbguard-rules.conf.company-stick-only.txt'),
      '/proc/812/comm': 'usbguard-daemon\n',
    });
    expect(v.status).toBe('pass');
  });
  it('unknown: modprobe.d unreadable', async () => {
    const obs = await collectLinux(fakeContext({ files: { '/etc/modprobe.d': { error: 'permission_denied' } } }));
    expect(spec.evaluate(obs, spec.defaults).status).toBe('unknown');
    expect(obs.reason).toMatch(/modprobe\.d/);
  });
});
