import { describe, expect, it } from 'vitest';
import { fail, fakeContext, fixture, ok } from '../../../../test/agent/fake-context.js';
import { collectLinux } from './linux.js';
import { cmdlineCryptHints, parseLsblk, parseZfsEncryption, rootMount } from './parse-lsblk.js';
import { spec } from './spec.js';

const fx = (n: string) => fixture('disk-encryption', n);

describe('parseLsblk', () => {
  it('finds LUKS2 under LVM under the root filesystem (debian 12)', () => {
    const r = parseLsblk(fx('lsblk-J.debian12.luks-lvm.json'))!;
    expect(r.rootChain).toEqual(['nvme0n1', 'nvme0n1p3', 'nvme0n1p3_crypt', 'debian--vg-root']);
    const root = r.volumes.find((v) => v.system)!;
    expect(root).toMatchObject({ name: 'debian--vg-root', encrypted: true, method: 'luks2' });
    // /boot is plaintext by design and the USB stick is reported as removable.
    expect(r.volumes.find((v) => v.mount === '/boot')?.encrypted).toBe(false);
    expect(r.volumes.find((v) => v.mount?.startsWith('/media'))).toMatchObject({ removable: true, encrypted: false });
    expect(r.volumes.some((v) => v.mount === '[SWAP]')).toBe(false);
  });
  it('reports a plain ext4 root as unencrypted (ubuntu 22, and this host)', () => {
    expect(parseLsblk(fx('lsblk-J.ubuntu22.plain.json'))!.volumes.find((v) => v.system)).toMatchObject({ name: 'sda2', encrypted: false, method: 'none' });
    expect(parseLsblk(fx('lsblk-J.debian12.vm-plain.json'))!.volumes.find((v) => v.system)).toMatchObject({ name: 'vda', encrypted: false });
  });
  it('reads the mountpoints array (btrfs subvolumes on LUKS, fedora 39)', () => {
    const r = parseLsblk(fx('lsblk-J.fedora39.luks-btrfs-mountpoints.json'))!;
    expect(r.volumes.find((v) => v.system)).toMatchObject({ mount: '/', encrypted: true, method: 'luks2' });
  });
  it('reads old lsblk string values (centos 7)', () => {
    const r = parseLsblk(fx('lsblk-J.centos7.old-strings.json'))!;
    expect(r.volumes.find((v) => v.system)).toMatchObject({ name: 'centos-root', encrypted: true, removable: false });
  });
  it('rejects garbage and empty output', () => {
    expect(parseLsblk('')).toBeNull();
    expect(parseLsblk('{"foo":1}')).toBeNull();
  });
});

describe('kernel command line, mounts, zfs', () => {
  it('spots crypt hooks', () => {
    expect(cmdlineCryptHints(fx('proc-cmdline.arch.cryptdevice.txt'))[0]).toMatch(/^cryptdevice=UUID=/);
    expect(cmdlineCryptHints(fx('proc-cmdline.fedora39.rd-luks.txt'))[0]).toMatch(/^rd\.luks\.uuid=/);
    expect(cmdlineCryptHints('BOOT_IMAGE=/vmlinuz root=/dev/sda2 ro quiet')).toEqual([]);
  });
  it('finds the root mount', () => {
    expect(rootMount(fx('proc-mounts.ubuntu22.zfs-root.txt'))).toEqual({ source: 'rpool/ROOT/ubuntu_x1y2z3', fstype: 'zfs' });
  });
  it('parses zfs encryption', () => {
    expect(parseZfsEncryption(fx('zfs-get.ubuntu22.encrypted.txt'))).toEqual({ encryption: 'aes-256-gcm', keystatus: 'available' });
    expect(parseZfsEncryption(fx('zfs-get.ubuntu22.off.txt')).encryption).toBe('off');
  });
});

describe('linux collector + spec', () => {
  const verdict = async (ctx: ReturnType<typeof fakeContext>) => {
    const obs = await collectLinux(ctx);
    return { obs, v: spec.evaluate(obs, spec.defaults) };
  };
  it('pass: LUKS root', async () => {
    const { v } = await verdict(fakeContext({ commands: { lsblk: ok(fx('lsblk-J.debian12.luks-lvm.json')) } }));
    expect(v.status).toBe('pass');
    expect(v.summary).toContain('debian--vg-root');
  });
  it('fail: plaintext root', async () => {
    const { v } = await verdict(fakeContext({ commands: { lsblk: ok(fx('lsblk-J.ubuntu22.plain.json')) } }));
    expect(v).toMatchObject({ status: 'fail', summary: 'sda2 (/): not encrypted' });
  });
  it('zfs root: pass when natively encrypted, fail when off', async () => {
    const files = { '/proc/mounts': fx('proc-mounts.ubuntu22.zfs-root.txt') };
    expect((await verdict(fakeContext({ files, commands: { zfs: ok(fx('zfs-get.ubuntu22.encrypted.txt')) } }))).v.status).toBe('pass');
    expect((await verdict(fakeContext({ files, commands: { zfs: ok(fx('zfs-get.ubuntu22.off.txt')) } }))).v.status).toBe('fail');
  });
  it('unknown: lsblk missing, timed out, empty output, or a container overlay root', async () => {
    for (const lsblk of [undefined, fail('timeout', '', null), ok('')]) {
      const { obs, v } = await verdict(fakeContext({ commands: lsblk ? { lsblk } : {} }));
      expect(v.status).toBe('unknown');
      expect(obs.reason).toBeTruthy();
    }
    const { obs } = await verdict(fakeContext({ files: { '/proc/mounts': fx('proc-mounts.docker.overlay.txt') }, commands: { lsblk: ok(fx('lsblk-J.ubuntu22.plain.json').replace('"mountpoint": "/"', '"mountpoint": "/mnt"')) } }));
    expect(obs.reason).toMatch(/overlay/);
    expect(obs.facts.systemVolumeEncrypted).toBeNull();
  });
});
