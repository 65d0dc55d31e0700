import { describe, expect, it } from 'vitest';
import { fail, fakeContext, fixture, ok } from '../../../../test/agent/fake-context.js';
import { parseRegQuery } from '../platform/reg.js';
import { collectDarwin } from './darwin.js';
import { macIdleToLock, parsePmsetDisplaySleep, parseSysadminctlScreenLock } from './parse-darwin.js';
import { windowsScreenLock } from './parse-windows.js';
import { spec } from './spec.js';
import { collectWin32 } from './win32.js';

const fx = (n: string) => fixture('screen-lock', n);

describe('Windows', () => {
  it('secure screen saver at 600 s; insecure screen saver fails; inactivity limit wins', () => {
    expect(windowsScreenLock(parseRegQuery(fx('reg-query-ControlPanelDesktop.win11.secure600.txt')))).toEqual({ lockEnabled: true, idleTimeoutSeconds: 600, source: 'screen saver' });
    expect(windowsScreenLock(parseRegQuery(fx('reg-query-ControlPanelDesktop.win10.insecure.txt'))).lockEnabled).toBe(false);
    const both = { ...parseRegQuery(fx('reg-query-ControlPanelDesktop.win10.insecure.txt')), ...parseRegQuery(fx('reg-query-PoliciesSystem.win11.inactivity900.txt')) };
    expect(windowsScreenLock(both)).toEqual({ lockEnabled: true, idleTimeoutSeconds: 900, source: 'InactivityTimeoutSecs' });
  });
  it('collector: pass, and unknown when reg is unavailable', async () => {
    const reg = (args: string[]) => (args[1].endsWith('Desktop') && !args[1].includes('Policies') ? ok(fx('reg-query-ControlPanelDesktop.win11.secure600.txt')) : fail('failed'));
    const obs = await collectWin32(fakeContext({ platform: 'win32', commands: { reg } }));
    expect(spec.evaluate(obs, spec.defaults)).toEqual({ status: 'pass', summary: 'The screen locks after 600s idle' });
    const none = await collectWin32(fakeContext({ platform: 'win32' }));
    expect(spec.evaluate(none, spec.defaults).status).toBe('unknown');
  });
});

describe('macOS', () => {
  it('sysadminctl, pmset, idle arithmetic', () => {
    expect(parseSysadminctlScreenLock(fx('sysadminctl-screenLock-status.macos14.immediate.txt'))).toEqual({ enabled: true, delaySeconds: 0 });
    expect(parseSysadminctlScreenLock(fx('sysadminctl-screenLock-status.macos14.300s.txt'))).toEqual({ enabled: true, delaySeconds: 300 });
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
});
