import { describe, expect, it } from 'vitest';
import { fail, fakeContext, fixture, ok } from '../../../../test/agent/fake-context.js';
import { parseRegQuery } from '../platform/reg.js';
import { collectDarwin } from './darwin.js';
import { parseExternalDisks, parseMountControls, parseSantaStatus, parseSantaStatusText } from './parse-darwin.js';
import { windowsUsbPolicy } from './parse-windows.js';
import { spec } from './spec.js';
import { collectWin32 } from './win32.js';

const fx = (n: string) => fixture('usb-storage', n);
const notFound = { ok: false, code: 1, stdout: '', stderr: fx('reg-query.win11.de-DE.not-found.txt'), error: 'failed' as const };

describe('Windows registry policy', () => {
  it('USBSTOR Start=4 blocks; Start=3 with no policy allows', () => {
    expect(windowsUsbPolicy(parseRegQuery(fx('reg-query-USBSTOR.win11.start4.txt')))).toEqual({ policy: 'blocked', mechanisms: ['USBSTOR Start=4'] });
    expect(windowsUsbPolicy(parseRegQuery(fx('reg-query-USBSTOR.win10.start3.txt'))).policy).toBe('allowed');
  });
  it('Deny_Write → read-only, Deny_All → blocked', () => {
    const ro = { ...parseRegQuery(fx('reg-query-USBSTOR.win10.start3.txt')), ...parseRegQuery(fx('reg-query-RemovableStorageDevices.win11.deny-write.txt')) };
    expect(windowsUsbPolicy(ro)).toEqual({ policy: 'read_only', mechanisms: ['HKLM Removable Disks Deny_Write'] });
    expect(windowsUsbPolicy(parseRegQuery(fx('reg-query-RemovableStorageDevices.win10.deny-all.txt'))).policy).toBe('blocked');
  });
  it('collector: missing policy keys (German error text) are "no policy"; unreadable USBSTOR is unknown', async () => {
    const reg = (args: string[]) => (args[1].endsWith('USBSTOR') ? ok(fx('reg-query-USBSTOR.win10.start3.txt')) : notFound);
    const obs = await collectWin32(fakeContext({ platform: 'win32', commands: { reg, powershell: ok('{"Model":"Kingston DataTraveler 3.0 USB Device","Size":31036801024}') } }));
    expect(obs.facts).toEqual({ policy: 'allowed', mechanisms: [], attachedMassStorage: [{ name: 'Kingston DataTraveler 3.0 USB Device', size: 31036801024 }] });
    expect(spec.evaluate(obs, spec.defaults).status).toBe('fail');
    const unknown = await collectWin32(fakeContext({ platform: 'win32', commands: { reg: fail('timeout', '', null) } }));
    expect(spec.evaluate(unknown, spec.defaults).status).toBe('unknown');
  });
  it('collector: USBSTOR Start=4 blocks and notes an enabled UASPStor; both disabled is named as such', async () => {
    const uasp = (start: string) => (args: string[]) =>
      args[1].endsWith('USBSTOR')
        ? ok(fx('reg-query-USBSTOR.win11.start4.txt'))
        : args[1].endsWith('UASPStor')
          ? ok(`\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\UASPStor\r\n    Start    REG_DWORD    ${start}\r\n\r\n`)
          : notFound;
    const only = await collectWin32(fakeContext({ platform: 'win32', commands: { reg: uasp('0x3') } }));
    expect(only.facts.policy).toBe('blocked');
    expect(only.detail?.note).toMatch(/UASPStor/);
    const both = await collectWin32(fakeContext({ platform: 'win32', commands: { reg: uasp('0x4') } }));
    expect(both.facts.mechanisms).toEqual(['USBSTOR+UASPStor Start=4']);
    expect(both.detail?.note).toBeUndefined();
  });
});

describe('macOS', () => {
  it('santactl status text: USB Blocking Yes / remount read-only / No', async () => {
    expect(parseSantaStatusText(fx('santactl-status.macos13.block-usb.txt'))).toEqual({ blockUsb: true, remountMode: null });
    expect(parseSantaStatusText(fx('santactl-status.macos14.remount-rdonly.txt'))).toEqual({ blockUsb: true, remountMode: 'rdonly,noexec' });
    expect(parseSantaStatusText(fx('santactl-status.macos14.no-blocking.txt'))).toEqual({ blockUsb: false, remountMode: null });
    expect(parseSantaStatusText('')).toBeNull();
    const santactl = (args: string[]) => (args.includes('--json') ? fail('failed', 'Unknown option --json') : ok(fx('santactl-status.macos13.block-usb.txt')));
    const obs = await collectDarwin(fakeContext({ platform: 'darwin', commands: { santactl } }));
    expect(obs.facts).toMatchObject({ policy: 'blocked', mechanisms: ['santa block_usb'] });
  });
  it('mount-controls, Santa, external disks', () => {
    expect(parseMountControls(fx('managed-systemuiserver.macos14.deny.xml'))).toBe('blocked');
    expect(parseMountControls(fx('managed-systemuiserver.macos13.read-only.xml'))).toBe('read_only');
    expect(parseSantaStatus(fx('santactl-status-json.macos14.block-usb.json'))).toEqual({ blockUsb: true, remountMode: null });
    expect(parseExternalDisks(fx('diskutil-list-plist-external.macos14.one.xml'))).toEqual(['disk4']);
  });
  it('collector: profile deny passes, Santa remount read-only passes at read_only, nothing fails', async () => {
    const deny = await collectDarwin(fakeContext({ platform: 'darwin', commands: { plutil: ok(fx('managed-systemuiserver.macos14.deny.xml')), diskutil: ok(fx('diskutil-list-plist-external.macos14.one.xml')) } }));
    expect(deny.facts).toMatchObject({ policy: 'blocked', mechanisms: ['profile mount-controls deny'], attachedMassStorage: [{ name: 'disk4' }] });
    const santa = await collectDarwin(fakeContext({ platform: 'darwin', commands: { santactl: ok(fx('santactl-status-json.macos14.block-usb.json').replace('"remount_usb_mode" : ""', '"remount_usb_mode" : "rdonly,noexec"')) } }));
    expect(santa.facts.policy).toBe('read_only');
    expect(spec.evaluate(santa, spec.defaults).status).toBe('pass');
    expect(spec.evaluate(santa, { usb: 'blocked' }).status).toBe('fail');
    const none = await collectDarwin(fakeContext({ platform: 'darwin' }));
    expect(spec.evaluate(none, spec.defaults).status).toBe('fail');
  });
});
