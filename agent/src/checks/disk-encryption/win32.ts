/**
 * Windows: BitLocker on the system drive. Get-BitLockerVolume (admin) first, then the
 * Win32_EncryptableVolume WMI class (admin, numeric and locale-independent: covers a
 * missing BitLocker module), then manage-bde (admin, translated text), then the shell's
 * BitLocker property, which any user can read but which only covers the system drive.
 */
import type { Volume } from '../../../../shared/src/checks/facts.js';
import { runPowerShell } from '../platform/powershell.js';
import type { Collector } from '../types.js';
import { describeFailure } from '../types.js';
import { parseBitLockerVolumes, parseEncryptableVolumes, parseManageBde, shellBitLockerProtection } from './parse-windows.js';

const GET_VOLUMES =
  "Get-BitLockerVolume | Select-Object MountPoint,@{n='VolumeType';e={[string]$_.VolumeType}},@{n='ProtectionStatus';e={[string]$_.ProtectionStatus}},@{n='VolumeStatus';e={[string]$_.VolumeStatus}},@{n='EncryptionMethod';e={[string]$_.EncryptionMethod}},EncryptionPercentage | ConvertTo-Json -Compress";
const WMI_VOLUMES =
  'Get-CimInstance -Namespace root/cimv2/Security/MicrosoftVolumeEncryption -ClassName Win32_EncryptableVolume | Select-Object DriveLetter,ProtectionStatus,ConversionStatus,VolumeType,EncryptionMethod | ConvertTo-Json -Compress';
// Tagged, so that a stray number on stdout (a profile script, a banner) is not read as the answer.
const SHELL_PROPERTY = "'BitLockerProtection=' + (New-Object -ComObject Shell.Application).NameSpace($env:SystemDrive + '\\').Self.ExtendedProperty('System.Volume.BitLockerProtection')";

export const collectWin32: Collector<'disk_encryption'> = async (ctx) => {
  const systemDrive = process.env.SystemDrive ?? 'C:';
  const notes: string[] = [];
  let volumes: Volume[] | null = null;
  let source = '';

  const ps = await runPowerShell(ctx, GET_VOLUMES);
  if (ps.ok) volumes = parseBitLockerVolumes(ps.stdout, systemDrive);
  if (volumes) source = 'Get-BitLockerVolume';
  else {
    notes.push(ps.ok ? 'Get-BitLockerVolume output not understood' : describeFailure('Get-BitLockerVolume', ps.error));
    // Same provider as Get-BitLockerVolume: only worth asking when that failed for another reason than rights.
    if (ps.error !== 'permission_denied') {
      const wmi = await runPowerShell(ctx, WMI_VOLUMES);
      volumes = wmi.ok ? parseEncryptableVolumes(wmi.stdout, systemDrive) : null;
      if (volumes) source = 'Win32_EncryptableVolume';
      else notes.push(wmi.ok ? 'Win32_EncryptableVolume output not understood' : describeFailure('Win32_EncryptableVolume', wmi.error));
    }
  }
  if (!volumes) {
    const bde = await ctx.run('manage-bde', ['-status']);
    volumes = bde.ok ? parseManageBde(bde.stdout, systemDrive) : null;
    if (volumes) source = 'manage-bde';
    else notes.push(bde.ok ? 'manage-bde output not understood' : describeFailure('manage-bde', bde.error));
  }
  let elevation = false;
  if (!volumes) {
    const shell = await runPowerShell(ctx, SHELL_PROPERTY);
    const tagged = shell.ok ? /^BitLockerProtection=(\d+)\s*$/m.exec(shell.stdout.replace(/^\uFEFF/, '')) : null;
    const n = tagged ? Number(tagged[1]) : NaN;
    if (tagged && Number.isFinite(n)) {
      volumes = [{ name: systemDrive, mount: systemDrive, method: 'bitlocker', system: true, ...shellBitLockerProtection(n) }];
      source = 'Shell BitLockerProtection';
      elevation = !ctx.elevated;
    } else notes.push(describeFailure('shell BitLocker property', shell.error));
  }
  if (!volumes) {
    return { facts: { systemVolumeEncrypted: null, volumes: [] }, reason: notes.join('; '), needsElevation: !ctx.elevated || undefined };
  }
  const sys = volumes.find((v) => v.system);
  return {
    facts: { systemVolumeEncrypted: sys ? sys.encrypted : null, volumes: volumes.slice(0, 32) },
    detail: { source, notes: notes.length ? notes : undefined },
    reason: sys ? undefined : `system drive ${systemDrive} not reported`,
    needsElevation: elevation || undefined,
  };
};
