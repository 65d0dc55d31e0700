import { describe, expect, it } from 'vitest';
import { fail, fakeContext, fixture, ok } from '../../../../test/agent/fake-context.js';
import { collectDarwin } from './darwin.js';
import { parseDiskutilInfo, parseFdesetupStatus } from './parse-darwin.js';
import { parseBitLockerVolumes, parseEncryptableVolumes, parseManageBde, shellBitLockerProtection } from './parse-windows.js';
import { spec } from './spec.js';
import { collectWin32 } from './win32.js';

const fx = (n: string) => fixture('disk-encryption', n);

describe('BitLocker parsers', () => {
  it('Get-BitLockerVolume raw JSON (windows 11): C: on, removable D: off', () => {
    const v = parseBitLockerVolumes(fx('Get-BitLockerVolume.win11.json'))!;
    expect(v[0]).toMatchObject({ name: 'C:', system: true, encrypted: true, protection: 'on', method: 'bitlocker XtsAes128' });
    expect(v[1]).toMatchObject({ name: 'D:', removable: true, encrypted: false, protection: 'off' });
  });
  // The BitLocker module's own source (BitLocker.psm1 as published in public copies) reports
  // FullyEncryptedWipeInProgress/-Suspended for a fully encrypted volume whose free space is being
  // wiped (manage-bde -w); a table measured on Windows 10 1909 (YAMASHITA Katsuhiro's misc.cpp,
  // MIT) shows it as "Fully Encrypted / Protection On", shell BitLockerProtection 1.
  // Before, that read as a conversion in progress (a false fail on a protected C:).
  it('wiping free space on a fully encrypted volume is still encrypted', () => {
    const v = parseBitLockerVolumes(fx('Get-BitLockerVolume.win11.wipe-in-progress.projected.json'))!;
    expect(v[0]).toMatchObject({ name: 'C:', system: true, encrypted: true, protection: 'on', method: 'bitlocker XtsAes128' });
    expect(v[1]).toMatchObject({ name: 'D:', encrypted: false, protection: 'suspended' });
    expect(parseBitLockerVolumes('{"MountPoint":"C:","VolumeType":0,"ProtectionStatus":1,"VolumeStatus":6,"EncryptionMethod":6}')![0]).toMatchObject({ encrypted: true, protection: 'on' });
  });
  it('suspended protection is a fail', () => {
    const v = parseBitLockerVolumes(fx('Get-BitLockerVolume.win11.suspended.projected.json'))!;
    expect(v[0]).toMatchObject({ encrypted: false, protection: 'suspended' });
    expect(spec.evaluate({ facts: { systemVolumeEncrypted: false, volumes: v } }, {})).toEqual({ status: 'fail', summary: 'C: (C:): protection is suspended (100 % encrypted, protection suspended)' });
  });
  it('manage-bde English: on, off, and suspended', () => {
    const en = parseManageBde(fx('manage-bde-status.win11.txt'))!;
    expect(en.map((v) => [v.name, v.encrypted, v.protection])).toEqual([['C:', true, 'on'], ['D:', false, 'off']]);
    expect(parseManageBde(fx('manage-bde-status.win10.suspended.txt'))![0]).toMatchObject({ encrypted: false, protection: 'suspended' });
  });
  it('manage-bde German (de-DE): on and off', () => {
    expect(parseManageBde(fx('manage-bde-status.win11.de-DE.txt'))![0]).toMatchObject({ name: 'C:', encrypted: true, protection: 'on', system: true });
    expect(parseManageBde(fx('manage-bde-status.win10.de-DE.off.txt'))![0]).toMatchObject({ encrypted: false, protection: 'off', method: 'none' });
  });
  it('manage-bde without admin rights, in an unknown language, or empty → null', () => {
    expect(parseManageBde(fx('manage-bde-status.win11.not-admin.txt'))).toBeNull();
    expect(parseManageBde('Volume C: [OS]\r\n    Stato protezione: Protezione attivata\r\n')).toBeNull();
    expect(parseManageBde('')).toBeNull();
    expect(parseBitLockerVolumes(fx('Get-BitLockerVolume.win10.empty.json'))).toBeNull();
  });
  it('Get-BitLockerVolume shapes: single object with numeric enums; projected "EncryptionInProgress" with protection on is not yet protected', () => {
    expect(parseBitLockerVolumes(fx('Get-BitLockerVolume.win10.single-numeric.json'))).toEqual([
      { name: 'C:', mount: 'C:', encrypted: true, protection: 'on', method: 'bitlocker XtsAes128', system: true, removable: false, percentEncrypted: 100 },
    ]);
    expect(parseBitLockerVolumes(fx('Get-BitLockerVolume.win11.encrypting.projected.json'))![0]).toMatchObject({ encrypted: false, protection: 'on', method: 'bitlocker XtsAes128 (EncryptionInProgress)' });
    expect(parseBitLockerVolumes('[{"MountPoint":"C:","VolumeType":"0","ProtectionStatus":"1","VolumeStatus":"1"}]')![0]).toMatchObject({ encrypted: true, system: true });
  });
  it('Win32_EncryptableVolume (numeric, any language): array and single object; suspended; volumes without letters skipped', () => {
    const v = parseEncryptableVolumes(fx('Win32_EncryptableVolume.win11.json'))!;
    expect(v.map((x) => [x.name, x.encrypted, x.protection, x.system, x.removable])).toEqual([['C:', true, 'on', true, false], ['E:', false, 'off', false, true]]);
    expect(parseEncryptableVolumes(fx('Win32_EncryptableVolume.server2022.suspended.single.json'))![0]).toMatchObject({ encrypted: false, protection: 'suspended', method: 'bitlocker XtsAes256' });
    expect(parseEncryptableVolumes('2')).toBeNull();
    expect(parseEncryptableVolumes('')).toBeNull();
  });
  // Real German captures (Windows 10 Pro 22H2): github.com/bnachtwey/IT-Stuff
  // Windows/N2K/Bitlocker-Notes.md: "Kein" as method, and "Verschlüsselung wird durchgeführt"
  // still shown at 100 % with protection on. The used-space wording is the one quoted in a
  // German BitLocker lab report ("Nur verwendeter Speicherplatz ist verschlüsselt").
  it('manage-bde German field captures: Kein, encrypting at 100 %, used space only', () => {
    expect(parseManageBde(fx('manage-bde-status.win10-22h2.de-DE.kein.txt'))![0]).toMatchObject({ name: 'C:', encrypted: false, protection: 'off', method: 'none' });
    // Issue 12 #8: "encryption in progress" at 100 % with protection on is protected.
    const enc = parseManageBde(fx('manage-bde-status.win10-22h2.de-DE.encrypting.txt'))![0];
    expect(enc).toMatchObject({ encrypted: true, protection: 'on', percentEncrypted: 100 });
    expect(spec.evaluate({ facts: { systemVolumeEncrypted: true, volumes: [enc] } }, {}).summary).toBe('C: (C:) is encrypted with bitlocker XTS-AES128 (100 % encrypted, protection on)');
    // Below 100 % it is still converting, and the summary says how far.
    const part = parseManageBde(fx('manage-bde-status.win10-22h2.de-DE.encrypting.txt').replace('100,0 %', '63,5 %'))![0];
    expect(part).toMatchObject({ encrypted: false, protection: 'on', percentEncrypted: 63.5 });
    expect(spec.evaluate({ facts: { systemVolumeEncrypted: false, volumes: [part] } }, {}).summary).toBe('C: (C:): encryption in progress (63.5 % encrypted, protection on)');
    // 100 % but protection off: not protected.
    const off = parseManageBde(fx('manage-bde-status.win10-22h2.de-DE.encrypting.txt').replace('Der Schutz ist aktiviert.', 'Der Schutz ist deaktiviert.'))![0];
    expect(off.encrypted).toBe(false);
    expect(parseManageBde(fx('manage-bde-status.win11.de-DE.used-space-only.txt'))![0]).toMatchObject({ encrypted: true, protection: 'on', system: true });
    expect(parseManageBde('Volume "C:" []\r\n    Konvertierungsstatus:  Nur verwendeter Speicherplatz ist verschlüsselt\r\n    Schutzstatus:  Der Schutz ist aktiviert.\r\n')![0].encrypted).toBe(true);
  });
  // French: the field list of Microsoft's fr-FR manage-bde page ("État de protection"); the
  // sentence form of the value mirrors German's "Der Schutz ist aktiviert.". No French capture
  // was found, so these only widen what is read; "désactivée" must never read as on.
  it('manage-bde French label variants', () => {
    const fr = (prot: string) => parseManageBde(`\r\nVolume C: [OS]\r\n    État de la conversion :    Entièrement chiffré\r\n    État de protection :    ${prot}\r\n`)![0];
    expect(fr('La protection est activée.')).toMatchObject({ encrypted: true, protection: 'on' });
    expect(fr('La protection est désactivée.')).toMatchObject({ encrypted: false, protection: 'suspended' });
    expect(fr('Protection désactivée')).toMatchObject({ encrypted: false, protection: 'suspended' });
  });
  it('manage-bde: encryption in progress, used-space-only, several volumes', () => {
    const v = parseManageBde(fx('manage-bde-status.win11.encrypting-multi.txt'))!;
    expect(v.map((x) => [x.name, x.encrypted, x.protection])).toEqual([['C:', false, 'off'], ['D:', true, 'on'], ['E:', false, 'off']]);
    expect(v[0].method).toMatch(/EncryptionInProgress/);
    expect(parseManageBde(fx('manage-bde-status.win10.used-space-only.txt'))![0]).toMatchObject({ encrypted: true, protection: 'on', system: true });
    const obs = { facts: { systemVolumeEncrypted: false, volumes: v } };
    expect(spec.evaluate(obs, {}).status).toBe('fail');
  });
  it('shell property codes', () => {
    expect(shellBitLockerProtection(1)).toEqual({ encrypted: true, protection: 'on' });
    expect(shellBitLockerProtection(5)).toEqual({ encrypted: false, protection: 'suspended' });
    expect(shellBitLockerProtection(0)).toEqual({ encrypted: null, protection: null });
  });
});

describe('win32 collector', () => {
  it('falls back from Get-BitLockerVolume (denied) to manage-bde (German)', async () => {
    const obs = await collectWin32(fakeContext({ platform: 'win32', commands: { powershell: fail('permission_denied', 'Access is denied'), 'manage-bde': ok(fx('manage-bde-status.win11.de-DE.txt')) } }));
    expect(obs.facts.systemVolumeEncrypted).toBe(true);
    expect(obs.detail?.source).toBe('manage-bde');
  });
  it('unprivileged: shell property answers for the system drive and asks for elevation', async () => {
    const ps = (args: string[]) => (args.at(-1)!.includes('Get-BitLockerVolume') ? fail('permission_denied', 'Access is denied') : ok('BitLockerProtection=2\r\n'));
    const obs = await collectWin32(fakeContext({ platform: 'win32', commands: { powershell: ps, 'manage-bde': { ok: false, code: 4294967295, stdout: fx('manage-bde-status.win11.not-admin.txt'), error: 'permission_denied' } } }));
    expect(obs).toMatchObject({ facts: { systemVolumeEncrypted: false }, needsElevation: true });
  });
  it('Get-BitLockerVolume unusable (module missing) → WMI Win32_EncryptableVolume', async () => {
    const ps = (args: string[]) => (args.at(-1)!.includes('Win32_EncryptableVolume') ? ok(fx('Win32_EncryptableVolume.server2022.suspended.single.json')) : fail('failed', "The term 'Get-BitLockerVolume' is not recognized"));
    const obs = await collectWin32(fakeContext({ platform: 'win32', commands: { powershell: ps } }));
    expect(obs.detail?.source).toBe('Win32_EncryptableVolume');
    expect(spec.evaluate(obs, {})).toMatchObject({ status: 'fail', summary: expect.stringMatching(/suspended/) });
  });
  it('unknown when every source times out', async () => {
    const obs = await collectWin32(fakeContext({ platform: 'win32', commands: { powershell: fail('timeout', '', null), 'manage-bde': fail('timeout', '', null) } }));
    expect(spec.evaluate(obs, {}).status).toBe('unknown');
    expect(obs.reason).toMatch(/timed out/);
  });
});

describe('macOS', () => {
  it('fdesetup status shapes', () => {
    expect(parseFdesetupStatus(fixture('disk-encryption', 'fdesetup-status.macos14.on.txt'))).toEqual({ on: true, inProgress: null, percent: null });
    expect(parseFdesetupStatus(fx('fdesetup-status.macos14.off.txt'))!.on).toBe(false);
    expect(parseFdesetupStatus(fx('fdesetup-status.macos13.encrypting.txt'))).toEqual({ on: false, inProgress: 'encrypting', percent: 42.7 });
    expect(parseFdesetupStatus(fx('fdesetup-status.macos14.deferred.txt'))).toMatchObject({ on: false, inProgress: 'deferred' });
    expect(parseFdesetupStatus('')).toBeNull();
  });
  // The "restart to finish" wordings are the ones independent public macOS posture tools
  // enumerate for fdesetup (e.g. a Swift #expect table and a Rust classify_filevault table in
  // the code index); "Percent completed = 43.2%" and "= 42." shapes also appear in public notes.
  it('fdesetup: restart-to-finish wordings, percent with % or trailing dot, paused', () => {
    expect(parseFdesetupStatus(fx('fdesetup-status.macos14.off-restart-to-finish.txt'))).toEqual({ on: false, inProgress: null, percent: null });
    expect(parseFdesetupStatus(fx('fdesetup-status.macos14.on-restart-to-finish.txt'))).toEqual({ on: true, inProgress: null, percent: null });
    expect(parseFdesetupStatus('Encryption in progress: Percent completed = 43.2%\n')).toEqual({ on: false, inProgress: 'encrypting', percent: 43.2 });
    expect(parseFdesetupStatus('FileVault is On. Decryption in progress: Percent completed = 42.\n')).toEqual({ on: false, inProgress: 'decrypting', percent: 42 });
    expect(parseFdesetupStatus('FileVault is On.\nEncryption paused: Percent completed = 17.0\n')).toEqual({ on: false, inProgress: 'encrypting', percent: 17 });
  });
  it('fdesetup variants: on (15), on while encrypting or decrypting, enabled at next restart', () => {
    expect(parseFdesetupStatus(fx('fdesetup-status.macos15.on.txt'))).toEqual({ on: true, inProgress: null, percent: null });
    expect(parseFdesetupStatus(fx('fdesetup-status.macos15.on-encrypting.txt'))).toEqual({ on: false, inProgress: 'encrypting', percent: 3.1 });
    expect(parseFdesetupStatus(fx('fdesetup-status.macos14.decrypting.txt'))).toEqual({ on: false, inProgress: 'decrypting', percent: 12.5 });
    expect(parseFdesetupStatus(fx('fdesetup-status.macos13.restart-pending.txt'))).toEqual({ on: false, inProgress: 'deferred', percent: null });
  });
  it('diskutil info plist', () => {
    expect(parseDiskutilInfo(fx('diskutil-info-plist.macos14.data.xml'))).toEqual({ device: 'disk3s5', name: 'Macintosh HD - Data', fileVault: true, encrypted: true });
  });
  it('collector: pass, fail, and unknown when both tools are missing', async () => {
    const on = await collectDarwin(fakeContext({ platform: 'darwin', commands: { fdesetup: ok(fx('fdesetup-status.macos14.on.txt')), diskutil: ok(fx('diskutil-info-plist.macos14.data.xml')) } }));
    expect(spec.evaluate(on, {})).toEqual({ status: 'pass', summary: 'Macintosh HD - Data (/System/Volumes/Data) is encrypted with filevault' });
    const off = await collectDarwin(fakeContext({ platform: 'darwin', commands: { fdesetup: ok(fx('fdesetup-status.macos14.off.txt')) } }));
    expect(spec.evaluate(off, {}).status).toBe('fail');
    const none = await collectDarwin(fakeContext({ platform: 'darwin' }));
    expect(spec.evaluate(none, {}).status).toBe('unknown');
  });
});
