import { describe, expect, it } from 'vitest';
import { fail, fakeContext, fixture, ok } from '../../../../test/agent/fake-context.js';
import { collectDarwin } from './darwin.js';
import { parseSpctlStatus, parseXprotectVersion } from './parse-darwin.js';
import { decodeProductState, parseMpComputerStatus, parseSecurityCenter2, windowsProducts } from './parse-windows.js';
import { spec } from './spec.js';
import { collectWin32 } from './win32.js';

const fx = (n: string) => fixture('antivirus', n);
const NOW = new Date('2024-04-20T12:00:00Z');

describe('Security Center productState', () => {
  it('decodes real-time and definition bits', () => {
    expect(decodeProductState(397568)).toEqual({ enabled: true, upToDate: true, state: 'on' }); // 0x061100 Defender on
    expect(decodeProductState(393472)).toEqual({ enabled: false, upToDate: true, state: 'off' }); // 0x060100 Defender off
    expect(decodeProductState(397584)).toEqual({ enabled: true, upToDate: false, state: 'on' }); // 0x061110 outdated
    expect(decodeProductState(266240)).toEqual({ enabled: true, upToDate: true, state: 'on' }); // 0x041000 third party on
    expect(decodeProductState(274432)).toMatchObject({ enabled: false, state: 'expired' }); // 0x043000 licence expired
    expect(decodeProductState(270336)).toMatchObject({ enabled: false, state: 'snoozed' }); // 0x042000
    expect(parseSecurityCenter2('{"displayName":"Bitdefender Antivirus","productState":"266240"}')).toEqual([{ displayName: 'Bitdefender Antivirus', productState: 266240, timestamp: undefined }]);
  });
  it('windows 11 with Defender and ESET both on → pass', () => {
    const products = windowsProducts(parseSecurityCenter2(fx('SecurityCenter2-AntiVirusProduct.win11.json')), null);
    expect(products.map((p) => p.name)).toEqual(['Windows Defender', 'ESET Security']);
    expect(spec.evaluate({ facts: { products } }, spec.defaults).status).toBe('pass');
  });
  it('real-time off fails; outdated definitions fail', () => {
    const off = windowsProducts(parseSecurityCenter2(fx('SecurityCenter2-AntiVirusProduct.win10.defender-off.json')), null);
    expect(spec.evaluate({ facts: { products: off } }, spec.defaults)).toMatchObject({ status: 'fail', summary: 'Windows Defender: not running, real-time protection off' });
    const old = windowsProducts(parseSecurityCenter2(fx('SecurityCenter2-AntiVirusProduct.win11.outdated.json')), null);
    expect(spec.evaluate({ facts: { products: old } }, spec.defaults).summary).toMatch(/definitions out of date/);
  });
});

describe('several Security Center products', () => {
  it('Defender off because a third-party AV is on → pass, naming the third party', () => {
    const products = windowsProducts(parseSecurityCenter2(fx('SecurityCenter2-AntiVirusProduct.win11.third-party-defender-off.json')), null);
    expect(spec.evaluate({ facts: { products } }, spec.defaults)).toMatchObject({ status: 'pass', summary: expect.stringMatching(/^Sophos Anti-Virus is running/) });
  });
  // Values transcribed from a real `Get-CimInstance -Namespace root/SecurityCenter2 -ClassName
  // AntivirusProduct` capture (TryHackMe AV-evasion notes, quoted in several public repos):
  // Bitdefender 266240 (0x041000, on, current) and Windows Defender 393472 (0x060100, off).
  it('real capture: Bitdefender on, Defender off → pass on Bitdefender', () => {
    const products = windowsProducts(parseSecurityCenter2(fx('SecurityCenter2-AntiVirusProduct.win10.bitdefender-defender-off.thm.json')), null);
    expect(products.map((p) => [p.name, p.realTimeProtection, p.definitionsUpToDate])).toEqual([['Bitdefender Antivirus', true, true], ['Windows Defender', false, true]]);
    expect(spec.evaluate({ facts: { products } }, spec.defaults)).toMatchObject({ status: 'pass', summary: expect.stringMatching(/^Bitdefender Antivirus is running/) });
  });
  it('an expired product and one with real-time off (Defender off too) → fail naming each', () => {
    const products = windowsProducts(parseSecurityCenter2(fx('SecurityCenter2-AntiVirusProduct.win10.expired-and-rtp-off.json')), null);
    const v = spec.evaluate({ facts: { products } }, spec.defaults);
    expect(v.status).toBe('fail');
    expect(v.summary).toMatch(/McAfee VirusScan: not running.*Avast Free Antivirus: not running.*Windows Defender/);
  });
  it('Security Center with no registered product: Defender status answers; string booleans tolerated', () => {
    const mp = parseMpComputerStatus('{"AMServiceEnabled":"True","AntivirusEnabled":"True","RealTimeProtectionEnabled":"False","AntivirusSignatureAge":"2","AMRunningMode":"Normal"}');
    const products = windowsProducts([], mp);
    expect(products).toEqual([{ name: 'Microsoft Defender Antivirus', kind: 'antivirus', running: true, realTimeProtection: false, definitionsUpToDate: null, definitionsAgeDays: 2 }]);
    expect(windowsProducts(null, parseMpComputerStatus('{"AMServiceEnabled":true,"AntivirusEnabled":true,"RealTimeProtectionEnabled":true,"AntivirusSignatureAge":0,"AMRunningMode":"EDR Block Mode"}'))[0].realTimeProtection).toBe(false);
  });
  // Microsoft's Defender docs (translated pages keep the English console output) show a
  // "Not running" Defender with 4294967295 as signature age (never updated): a fail, not a
  // 4294967295-day age or an unknown.
  it('Defender "Not running" (Microsoft docs capture) → fail', () => {
    const products = windowsProducts(null, parseMpComputerStatus(fx('MSFT_MpComputerStatus.win10.not-running.json')));
    expect(products).toEqual([{ name: 'Microsoft Defender Antivirus', kind: 'antivirus', running: false, realTimeProtection: false, definitionsUpToDate: null, definitionsAgeDays: null }]);
    expect(spec.evaluate({ facts: { products } }, spec.defaults).status).toBe('fail');
  });
});

describe('win32 collector', () => {
  const ps = (sc2: ReturnType<typeof ok>, mp: ReturnType<typeof ok>) => (args: string[]) => (args.at(-1)!.includes('SecurityCenter2') ? sc2 : mp);
  it('Windows Server: no Security Center, Defender status is the fallback', async () => {
    const invalid = { ok: false, code: 1, stderr: fx('Get-CimInstance-SecurityCenter2.server2022.error.txt'), error: 'failed' as const };
    const obs = await collectWin32(fakeContext({ platform: 'win32', commands: { powershell: ps(invalid, ok(fx('MSFT_MpComputerStatus.server2022.json'))) } }));
    expect(obs.facts.products).toEqual([{ name: 'Microsoft Defender Antivirus', kind: 'antivirus', running: true, realTimeProtection: true, definitionsUpToDate: null, definitionsAgeDays: 1 }]);
    expect(spec.evaluate(obs, spec.defaults).status).toBe('pass');
    const passive = await collectWin32(fakeContext({ platform: 'win32', commands: { powershell: ps(invalid, ok(fx('MSFT_MpComputerStatus.server2019.passive.json'))) } }));
    expect(spec.evaluate(passive, spec.defaults).status).toBe('fail');
  });
  it('Defender signature age enriches the Security Center entry', async () => {
    const obs = await collectWin32(fakeContext({ platform: 'win32', commands: { powershell: ps(ok(fx('SecurityCenter2-AntiVirusProduct.win11.json')), ok('{"AMServiceEnabled":true,"AntivirusEnabled":true,"RealTimeProtectionEnabled":true,"AntivirusSignatureAge":9}')) } }));
    // Defender is 9 days old (fail), but ESET is fine: one good product passes.
    expect(obs.facts.products[0].definitionsAgeDays).toBe(9);
    expect(spec.evaluate(obs, spec.defaults).status).toBe('pass');
  });
  it('unknown: PowerShell missing or timed out', async () => {
    for (const r of [undefined, fail('timeout', '', null)]) {
      const obs = await collectWin32(fakeContext({ platform: 'win32', commands: r ? { powershell: r } : {} }));
      expect(spec.evaluate(obs, spec.defaults).status).toBe('unknown');
    }
    expect(parseMpComputerStatus('')).toBeNull();
  });
});

describe('macOS', () => {
  it('XProtect version and Gatekeeper state', () => {
    expect(parseXprotectVersion(fx('XProtect-Info.plist.macos14.xml'))).toBe('2193');
    expect(parseSpctlStatus(fx('spctl-status.macos14.enabled.txt'))).toBe(true);
    expect(parseSpctlStatus(fx('spctl-status.macos14.disabled.txt'))).toBe(false);
  });
  const xp = '/Library/Apple/System/Library/CoreServices/XProtect.bundle/Contents/Resources/XProtect.meta.plist';
  it('XProtect with fresh definitions passes; Gatekeeper alone is not antivirus', async () => {
    const fresh = await collectDarwin(fakeContext({ platform: 'darwin', now: NOW, files: { [xp]: '<plist/>' }, commands: { plutil: ok(fx('XProtect-Info.plist.macos14.xml')), spctl: ok(fx('spctl-status.macos14.enabled.txt')), ps: ok('1 /sbin/launchd\n') } }));
    expect(fresh.facts.products).toEqual([expect.objectContaining({ name: 'XProtect', definitionsAgeDays: 2 })]);
    expect(spec.evaluate(fresh, spec.defaults).status).toBe('pass');
    const gkOnly = await collectDarwin(fakeContext({ platform: 'darwin', commands: { spctl: ok(fx('spctl-status.macos14.enabled.txt')), ps: ok('1 /sbin/launchd\n') } }));
    expect(gkOnly.detail?.gatekeeper).toBe(true);
    expect(spec.evaluate(gkOnly, spec.defaults)).toEqual({ status: 'fail', summary: 'No antivirus or EDR product found' });
  });
  it('CrowdStrike Falcon running (system extension) is named first; passes only with falconctl stats confirming it', async () => {
    const ps = ok(fixture('antivirus', 'ps-axo-pid-comm.macos14.falcon.txt'));
    const obs = await collectDarwin(fakeContext({ platform: 'darwin', now: NOW, commands: { ps } }));
    expect(obs.facts.products[0]).toMatchObject({ name: 'CrowdStrike Falcon', kind: 'edr', running: true, healthConfirmed: null });
    // Process only: unknown, naming the command that would confirm it.
    expect(spec.evaluate(obs, spec.defaults)).toMatchObject({ status: 'unknown', summary: expect.stringContaining('falconctl stats') });
    const confirmed = await collectDarwin(fakeContext({ platform: 'darwin', now: NOW, commands: { ps, falconctl: ok(fixture('antivirus', 'falconctl-stats.macos14.connected.txt')) } }));
    expect(spec.evaluate(confirmed, spec.defaults)).toMatchObject({ status: 'pass', summary: 'CrowdStrike Falcon is running' });
    const offline = await collectDarwin(fakeContext({ platform: 'darwin', now: NOW, commands: { ps, falconctl: ok(fixture('antivirus', 'falconctl-stats.macos14.disconnected.txt')) } }));
    expect(spec.evaluate(offline, spec.defaults).status).toBe('fail');
  });
});
