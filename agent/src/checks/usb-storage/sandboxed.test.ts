/**
 * Issue 18 #12: a service sandbox can hide /lib/modules (systemd's ProtectKernelModules=yes makes
 * it inaccessible). Then modules.builtin cannot say whether usb-storage is built into the kernel,
 * and a modprobe.d `install usb-storage /bin/false` block — which a built-in driver ignores —
 * cannot be confirmed: unknown with the reason, never pass. sysfs still tells: usb-storage has
 * module parameters, so /sys/module/usb_storage exists when it is built in, and only a loadable
 * module has `initstate` there (kernel Documentation/ABI/testing/sysfs-module). The sysfs
 * entries below are the names `ls /sys/module/usb_storage` prints for a built-in driver
 * (parameters, uevent) and for a loaded module (coresize, holders, initsize, initstate, …).
 */
import { describe, expect, it } from 'vitest';
import { fakeContext } from '../../../../test/agent/fake-context.js';
import { collectLinux } from './linux.js';
import { spec } from './spec.js';

const K = '6.1.0-18-amd64';
const hidden = { error: 'permission_denied' } as const;
const base = {
  '/proc/sys/kernel/osrelease': `${K}\n`,
  [`/lib/modules/${K}/modules.builtin`]: hidden,
  [`/lib/modules/${K}/modules.dep`]: hidden,
  '/etc/modprobe.d/usb.conf': 'install usb-storage /bin/false\n',
};
const judge = async (files: Record<string, string | { error: 'permission_denied' | 'not_found' }>) => {
  const obs = await collectLinux(fakeContext({ files: { ...base, ...files } }));
  return { obs, v: spec.evaluate(obs, spec.defaults) };
};

describe('USB storage under a sandbox that hides /lib/modules', () => {
  it('a modprobe.d block with modules.builtin and sysfs unreadable is unknown, not pass', async () => {
    const { v, obs } = await judge({ '/sys/module/usb_storage': hidden });
    expect(v.status).toBe('unknown');
    expect(obs.facts.policy).toBe('unknown');
    expect(obs.reason).toMatch(/built into this kernel.*modules\.builtin and \/sys\/module\/usb_storage are unreadable/);
    expect(obs.detail?.builtinDriver).toBeNull();
  });
  it('sysfs shows a built-in driver (no initstate): the modprobe.d block does not count → fail', async () => {
    const { v, obs } = await judge({ '/sys/module/usb_storage/parameters/delay_use': '1\n', '/sys/module/usb_storage/uevent': '' });
    expect(v.status).toBe('fail');
    expect(obs.detail?.builtinDriver).toBe(true);
  });
  it('no /sys/module/usb_storage: not built in and not loaded, so the install block holds → pass', async () => {
    const { v, obs } = await judge({});
    expect(v.status).toBe('pass');
    expect(obs.detail?.builtinDriver).toBe(false);
  });
  it('a loaded module has initstate: not built in (and loaded, so the block is not in force)', async () => {
    const { obs } = await judge({ '/sys/module/usb_storage/initstate': 'live\n', '/sys/module/usb_storage/refcnt': '1\n', '/proc/modules': 'usb_storage 81920 1 uas, Live 0x0000000000000000\n' });
    expect(obs.detail?.builtinDriver).toBe(false);
    expect(obs.facts.policy).not.toBe('blocked');
  });
});
