import { describe, expect, it } from 'vitest';
import { fail, fakeContext, fixture, ok } from '../../../../test/agent/fake-context.js';
import { parseRegQuery } from '../platform/reg.js';
import { collectDarwin } from './darwin.js';
import { macIdleToLock, parsePmsetDisplaySleep, parseSysadminctlScreenLock } from './parse-darwin.js';
import { windowsScreenLock } from './parse-windows.js';
import { spec } from './spec.js';
import { CONSOLELOCK, parsePowercfgSetting, powerPlanLock, STANDBYIDLE } from './parse-powercfg.js';
import { collectWin32 } from './win32.js';

const fx = (n: string) => fixture('screen-lock', n);

describe('Windows', () => {
  it('secure screen saver at 600 s; insecure screen saver fails; inactivity limit wins', () => {
    expect(windowsScreenLock(parseRegQuery(fx('reg-query-ControlPanelDesktop.win11.secure600.txt')))).toEqual({ lockEnabled: true, idleTimeoutSeconds: 600, source: 'screen saver' });
    expect(windowsScreenLock(parseRegQuery(fx('reg-query-ControlPanelDesktop.win10.insecure.txt'))).lockEnabled).toBe(false);
    const both = { ...parseRegQuery(fx('reg-query-ControlPanelDesktop.win10.insecure.txt')), ...parseRegQuery(fx('reg-query-PoliciesSystem.win11.inactivity900.txt')) };
    expect(windowsScreenLock(both)).toEqual({ lockEnabled: true, idleTimeoutSeconds: 900, source: 'InactivityTimeoutSecs' });
  });
  // Real `reg query "HKCU\Control Panel\Desktop"` dump from a Windows 11 machine (a public
  // DPI-scaling notes README, code-search id 3977682799): ScreenSaveActive=1 with no screen saver
  // chosen. The second fixture adds ScreenSaverIsSecure=1/ScreenSaveTimeOut=600 to that dump,
  // the shape left when "(None)" is picked after a secure saver: it read as a 600 s lock before.
  it('screen saver "(None)": no SCRNSAVE.EXE means no lock, whatever the other values say', () => {
    expect(windowsScreenLock(parseRegQuery(fx('reg-query-ControlPanelDesktop.win11.no-saver.txt'))).lockEnabled).toBe(false);
    expect(windowsScreenLock(parseRegQuery(fx('reg-query-ControlPanelDesktop.win11.none-chosen-secure600.txt')))).toEqual({ lockEnabled: false, idleTimeoutSeconds: 600, source: 'screen saver' });
  });
  it('collector: pass, and unknown when reg is unavailable', async () => {
    const reg = (args: string[]) => (args[1].endsWith('Desktop') && !args[1].includes('Policies') ? ok(fx('reg-query-ControlPanelDesktop.win11.secure600.txt')) : fail('failed'));
    const obs = await collectWin32(fakeContext({ platform: 'win32', commands: { reg } }));
    expect(spec.evaluate(obs, spec.defaults)).toEqual({ status: 'pass', summary: 'The screen locks after 600s idle' });
    const none = await collectWin32(fakeContext({ platform: 'win32' }));
    expect(spec.evaluate(none, spec.defaults).status).toBe('unknown');
  });
});

describe('Windows power plan', () => {
  it('powercfg /query: GUID and hex indexes in English and German', () => {
    expect(parsePowercfgSetting(fx('powercfg-query-CONSOLELOCK.win11.on.txt'), CONSOLELOCK)).toEqual({ ac: 1, dc: 1 });
    expect(parsePowercfgSetting(fx('powercfg-query-CONSOLELOCK.win10.de-DE.off.txt'), CONSOLELOCK)).toEqual({ ac: 0, dc: 0 });
    expect(parsePowercfgSetting(fx('powercfg-query-STANDBYIDLE.win11.txt'), STANDBYIDLE)).toEqual({ ac: 1800, dc: 900 });
    expect(parsePowercfgSetting('Invalid Parameters -- try "/?" for help', CONSOLELOCK)).toBeNull();
  });
  it('sleep + password on wakeup locks after the longer of AC/DC; no password or never sleeping does not', () => {
    expect(powerPlanLock({ ac: 1, dc: 1 }, { ac: 1800, dc: 900 })).toEqual({ lockEnabled: true, idleTimeoutSeconds: 1800 });
    expect(powerPlanLock({ ac: 0, dc: 0 }, { ac: 1800, dc: 900 })).toEqual({ lockEnabled: false, idleTimeoutSeconds: null });
    expect(powerPlanLock({ ac: 1, dc: 1 }, { ac: 0, dc: 900 }).lockEnabled).toBe(false);
    expect(powerPlanLock(null, { ac: 600, dc: 600 }).lockEnabled).toBeNull();
  });
  it('collector: no screen saver, the power plan locks after 600 s → pass; password off on wake and insecure saver → fail', async () => {
    const standby600 = fx('powercfg-query-STANDBYIDLE.win11.txt').replace('0x00000708', '0x00000258').replace('0x00000384', '0x00000258');
    const powercfg = (lockFx: string) => (args: string[]) => ok(args.includes('CONSOLELOCK') ? fx(lockFx) : standby600);
    const pass = await collectWin32(fakeContext({ platform: 'win32', commands: { powercfg: powercfg('powercfg-query-CONSOLELOCK.win11.on.txt') } }));
    expect(spec.evaluate(pass, spec.defaults)).toEqual({ status: 'pass', summary: 'The screen locks after 600s idle' });
    expect(pass.detail?.source).toMatch(/power plan/);
    const reg = (args: string[]) => (args[1].endsWith('Desktop') && !args[1].includes('Policies') ? ok(fx('reg-query-ControlPanelDesktop.win10.insecure.txt')) : fail('failed'));
    const failObs = await collectWin32(fakeContext({ platform: 'win32', commands: { reg, powercfg: powercfg('powercfg-query-CONSOLELOCK.win10.de-DE.off.txt') } }));
    expect(spec.evaluate(failObs, spec.defaults).status).toBe('fail');
  });
});

describe('macOS', () => {
  it('sysadminctl, pmset, idle arithmetic', () => {
    expect(parseSysadminctlScreenLock(fx('sysadminctl-screenLock-status.macos14.immediate.txt'))).toEqual({ enabled: true, delaySeconds: 0 });
    expect(parseSysadminctlScreenLock(fx('sysadminctl-screenLock-status.macos14.300s.txt'))).toEqual({ enabled: true, delaySeconds: 300 });
    // Disabled shown as a negative float delay, a form listed as seen in the field by the yuruna
    // project's macOS host checks (Get-MacScreenLockDisabled: "screenLock delay is -1(.000000) seconds");
    // the fixture reconstructs that line with sysadminctl's log prefix. Was unknown, now off.
    expect(parseSysadminctlScreenLock(fx('sysadminctl-screenLock-status.macos14.negative-off.txt'))).toEqual({ enabled: false, delaySeconds: null });
    expect(parseSysadminctlScreenLock('screenLock delay is 5.000000 seconds')).toEqual({ enabled: true, delaySeconds: 5 });
    expect(parseSysadminctlScreenLock(fx('sysadminctl-screenLock-status.macos13.off.txt'))).toEqual({ enabled: false, delaySeconds: null });
    expect(parseSysadminctlScreenLock('')).toBeNull();
    expect(parsePmsetDisplaySleep(fx('pmset-g.macos14.txt'))).toBe(10);
    expect(macIdleToLock(1200, 10, 0)).toBe(600);
    expect(macIdleToLock(0, 0, 0)).toBeNull();
  });
  it('collector: display sleep 10 min + immediate lock passes; lock off fails; sysadminctl missing is unknown', async () => {
    const base = { pmset: ok(fx('pmset-g.macos14.txt')), defaults: fail('failed', 'The domain/default pair of (com.apple.screensaver, idleTime) does not exist') };
    const good = await collectDarwin(fakeContext({ platform: 'darwin', commands: { ...base, sysadminctl: ok('', { stderr: fx('sysadminctl-screenLock-status.macos14.immediate.txt') }) } }));
    expect(good.facts).toEqual({ lockEnabled: true, idleTimeoutSeconds: 600, session: 'macos' });
    expect(spec.evaluate(good, spec.defaults).status).toBe('pass');
    const off = await collectDarwin(fakeContext({ platform: 'darwin', commands: { ...base, sysadminctl: ok('', { stderr: fx('sysadminctl-screenLock-status.macos13.off.txt') }) } }));
    expect(spec.evaluate(off, spec.defaults).status).toBe('fail');
    const missing = await collectDarwin(fakeContext({ platform: 'darwin', commands: base }));
    expect(spec.evaluate(missing, spec.defaults).status).toBe('unknown');
  });
  it('as root (LaunchDaemon): the console user\'s ByHost idleTime is read, not root\'s defaults', async () => {
    const plutil = (args: string[]) => (args.at(-1)!.includes('/ByHost/') ? ok(fx('ByHost-com.apple.screensaver.macos14.idle300.xml')) : fail('failed', 'file does not exist'));
    const ctx = fakeContext({
      platform: 'darwin',
      elevated: true,
      commands: {
        stat: ok('501 alice\n'),
        plutil,
        pmset: ok('System-wide power settings:\n displaysleep         0\n'),
        sysadminctl: ok('', { stderr: fx('sysadminctl-screenLock-status.macos14.immediate.txt') }),
        defaults: ok('3600\n'), // root's own value: must not be used
      },
      files: { '/Users/alice/Library/Preferences/ByHost/com.apple.screensaver.5A1B2C3D-0000-1111-2222-333344445555.plist': 'bplist00' },
    });
    const obs = await collectDarwin(ctx);
    expect(obs.facts).toEqual({ lockEnabled: true, idleTimeoutSeconds: 300, session: 'macos' });
    expect(obs.detail?.user).toBe('alice');
    expect(ctx.calls.some((c) => c.startsWith('defaults'))).toBe(false);
  });
});
