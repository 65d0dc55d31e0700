import { describe, expect, it } from 'vitest';
import { fail, fakeContext, fixture, ok } from '../../../../test/agent/fake-context.js';
import { collectDarwin } from './darwin.js';
import { parseSoftwareUpdateList, parseSoftwareUpdatePrefs, parseSwVers } from './parse-darwin.js';
import { parseWinUpdateReport, windowsPatchFacts } from './parse-windows.js';
import { spec } from './spec.js';
import { collectWin32 } from './win32.js';

const fx = (n: string) => fixture('patch-level', n);
const NOW = new Date('2024-04-20T12:00:00Z');

describe('Windows Update report', () => {
  it('windows 11 with pending security updates (by category ID / MSRC severity)', () => {
    const f = windowsPatchFacts(parseWinUpdateReport(fx('WindowsUpdate-report.win11.pending-security.json'))!, NOW);
    expect(f).toMatchObject({ osName: 'Windows 11 Pro', osVersion: '10.0.22631.3296', build: '23H2', pendingUpdates: 3, pendingSecurityUpdates: 2, daysSinceLastUpdate: 38, autoUpdatesEnabled: true });
  });
  it('German windows 10, up to date but paused', () => {
    const f = windowsPatchFacts(parseWinUpdateReport(fx('WindowsUpdate-report.win10.uptodate-paused.de-DE.json'))!, NOW);
    expect(f).toMatchObject({ osName: 'Windows 10 Pro', pendingSecurityUpdates: 0, daysSinceLastUpdate: 10, autoUpdatesEnabled: false, paused: true });
  });
  it('collector: fail with pending security, unknown when the search failed, unknown when PowerShell times out', async () => {
    const pending = await collectWin32(fakeContext({ platform: 'win32', now: NOW, commands: { powershell: ok(fx('WindowsUpdate-report.win11.pending-security.json')) } }));
    expect(spec.evaluate(pending, spec.defaults).status).toBe('fail');
    const failed = await collectWin32(fakeContext({ platform: 'win32', now: NOW, commands: { powershell: ok(fx('WindowsUpdate-report.win11.search-failed.json')) } }));
    expect(failed.facts).toMatchObject({ pendingSecurityUpdates: null, autoUpdatesEnabled: false });
    expect(failed.reason).toMatch(/0x8024402C/);
    expect(spec.evaluate(failed, spec.defaults).status).toBe('unknown');
    const timeout = await collectWin32(fakeContext({ platform: 'win32', commands: { powershell: fail('timeout', '', null) } }));
    expect(spec.evaluate(timeout, spec.defaults).status).toBe('unknown');
  });
});

describe('macOS', () => {
  it('sw_vers, softwareupdate, preferences', () => {
    expect(parseSwVers(fx('sw_vers.macos14.txt'))).toEqual({ name: 'macOS', version: '14.4', build: '23E214' });
    expect(parseSoftwareUpdateList(fx('softwareupdate-list.macos14.pending.txt'))).toEqual({ pending: 2, security: 1, labels: ['macOS Sonoma 14.4.1-23E224', 'Command Line Tools for Xcode-15.3'] });
    expect(parseSoftwareUpdateList(fx('softwareupdate-list.macos14.none.txt'))).toEqual({ pending: 0, security: 0, labels: [] });
    // macOS 15 (restart required, recommended), macOS 13 Safari + a non-security item, nothing pending on 15.
    expect(parseSoftwareUpdateList(fx('softwareupdate-list.macos15.pending-restart.txt'))).toMatchObject({ pending: 2, security: 1 });
    expect(parseSoftwareUpdateList(fx('softwareupdate-list.macos13.safari.txt'))).toMatchObject({ pending: 2, security: 1 });
    // Pre-Big Sur format without "Label:" (a false "nothing pending" before): macOS 10.14 output
    // as gathered in saltstack/salt tests/unit/modules/test_mac_softwareupdate.py (MOJAVE_LIST_OUTPUT),
    // and a real OS X 10.11 console capture with a Chinese title from a public macOS notes file (code-search id 31285378677).
    expect(parseSoftwareUpdateList(fx('softwareupdate-list.macos10.14.old-format.txt'))).toEqual({
      pending: 4,
      security: 1,
      labels: ['Command Line Tools (macOS Mojave version 10.14) for Xcode-10.3', 'macOS 10.14.1 Update', 'BridgeOSUpdateCustomer', 'iCal-1.0.2'],
    });
    expect(parseSoftwareUpdateList(fx('softwareupdate-list.macos10.11.zh.txt'))).toEqual({ pending: 1, security: 1, labels: ['OS X El Capitan Update-10.11.6'] });
    expect(parseSoftwareUpdateList(fx('softwareupdate-list.macos15.none.txt'))).toEqual({ pending: 0, security: 0, labels: [] });
    // interrupted (no catalogue answer): not "nothing pending"
    expect(parseSoftwareUpdateList('Software Update Tool\n\nFinding available software\n')).toBeNull();
    expect(parseSoftwareUpdateList('')).toBeNull();
    expect(parseSoftwareUpdatePrefs(fx('SoftwareUpdate-prefs.macos14.xml'))).toEqual({ autoCheck: true, securityResponses: false, autoInstallMacOS: false });
  });
  it('collector: pending macOS update fails; "No new software" (on stderr) passes; network failure is unknown', async () => {
    const base = { sw_vers: ok(fx('sw_vers.macos14.txt')), defaults: ok(fx('SoftwareUpdate-prefs.macos14.xml')) };
    const pending = await collectDarwin(fakeContext({ platform: 'darwin', commands: { ...base, softwareupdate: ok(fx('softwareupdate-list.macos14.pending.txt')) } }));
    expect(pending.facts).toMatchObject({ osVersion: '14.4', pendingSecurityUpdates: 1, autoUpdatesEnabled: false });
    expect(spec.evaluate(pending, spec.defaults).status).toBe('fail');
    const none = await collectDarwin(fakeContext({ platform: 'darwin', files: { '/Library/Receipts/InstallHistory.plist': '<plist/>' }, now: NOW, commands: { ...base, softwareupdate: ok('', { stderr: fx('softwareupdate-list.macos14.none.txt') }) } }));
    expect(spec.evaluate(none, spec.defaults, { now: NOW, platform: 'darwin' }).status).toBe('pass');
    const offline = await collectDarwin(fakeContext({ platform: 'darwin', commands: { ...base, softwareupdate: fail('timeout', '', null) } }));
    expect(spec.evaluate(offline, spec.defaults).status).toBe('unknown');
  });
});
