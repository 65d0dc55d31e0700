/**
 * Issue 12 #10: a blacklist is not a block. `blacklist usb-storage` (modprobe.d(5): "all of a
 * module's aliases are ignored") still lets uas pull usb-storage in as a dependency and
 * `modprobe usb-storage` load it by name. modules.dep lines are the kmod format
 * (`path: deps`), excerpted from Debian 12's kernel (uas depends on usb-storage).
 */
import { describe, expect, it } from 'vitest';
import { fakeContext, fixture } from '../../../../test/agent/fake-context.js';
import { collectLinux } from './linux.js';
import { modulesDepHasUsbStorage } from './parse-linux.js';
import { spec } from './spec.js';

const fx = (n: string) => fixture('usb-storage', n);
const K = '6.1.0-18-amd64';
const kernelFiles = { '/proc/sys/kernel/osrelease': `${K}\n`, [`/lib/modules/${K}/modules.builtin`]: 'kernel/drivers/usb/common/usb-common.ko\nkernel/drivers/usb/core/usbcore.ko\nkernel/drivers/usb/host/xhci-hcd.ko\n', [`/lib/modules/${K}/modules.dep`]: fx('modules.dep.debian12.excerpt.txt') };
const judge = async (files: Record<string, string>) => {
  const obs = await collectLinux(fakeContext({ files: { ...kernelFiles, ...files } }));
  return { obs, v: spec.evaluate(obs, spec.defaults) };
};

describe('USB storage: only what really stops the driver counts', () => {
  it('blacklist usb-storage alone fails, with the reason', async () => {
    const { v, obs } = await judge({ '/etc/modprobe.d/usb.conf': fx('modprobe.d-blacklist-only.usb-storage.conf') });
    expect(v.status).toBe('fail');
    expect(obs.facts.policy).toBe('allowed');
    expect(obs.reason).toMatch(/only blacklisted.*uas.*modprobe usb-storage still works/);
  });
  it('modprobe.blacklist= on the kernel command line is the same weak blacklist; module_blacklist= is enforced', async () => {
    expect((await judge({ '/proc/cmdline': 'BOOT_IMAGE=/vmlinuz ro quiet modprobe.blacklist=usb_storage' })).v.status).toBe('fail');
    const k = await judge({ '/proc/cmdline': 'BOOT_IMAGE=/vmlinuz ro quiet module_blacklist=usb_storage' });
    expect(k.v.status).toBe('pass');
    expect(k.obs.facts.mechanisms).toEqual(['kernel module_blacklist=usb_storage']);
  });
  it('install usb-storage /bin/false still blocks; a kernel without the driver blocks', async () => {
    expect((await judge({ '/etc/modprobe.d/usb.conf': 'install usb-storage /bin/false\n' })).v.status).toBe('pass');
    const none = await judge({ [`/lib/modules/${K}/modules.dep`]: 'kernel/drivers/scsi/scsi_mod.ko.zst:\n' });
    expect(none.v.status).toBe('pass');
    expect(none.obs.facts.mechanisms).toEqual(['usb-storage driver not built for this kernel']);
    // Files that do not look like a kernel's module lists prove nothing.
    expect((await judge({ [`/lib/modules/${K}/modules.builtin`]: 'null', [`/lib/modules/${K}/modules.dep`]: '' })).v.status).toBe('fail');
  });
  it('modules.dep parser', () => {
    expect(modulesDepHasUsbStorage(fx('modules.dep.debian12.excerpt.txt'))).toBe(true);
    expect(modulesDepHasUsbStorage('kernel/drivers/usb/storage/uas.ko: \n')).toBe(false);
  });
});
