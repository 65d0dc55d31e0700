/** disk_encryption: is the volume the OS boots from encrypted, with protection on? */
import type { CheckSpec } from '../types.js';

export const spec: CheckSpec<'disk_encryption'> = {
  id: 'disk_encryption',
  title: 'Disk encryption',
  defaults: {},
  remediation: {
    darwin: [
      'Open System Settings → Privacy & Security → FileVault → Turn On.',
      'Store the recovery key as your company instructs (usually escrowed to MDM), then restart when asked.',
    ],
    win32: [
      'Open Settings → Privacy & security → Device encryption (Home) or Control Panel → BitLocker Drive Encryption → Turn on BitLocker for C:.',
      'If BitLocker shows "Protection suspended", choose "Resume protection" (or run `manage-bde -protectors -enable C:` as administrator).',
      'Back up the recovery key to your work account or as IT instructs.',
    ],
    linux: [
      'Linux root filesystems can only be encrypted at install time: back up, then reinstall choosing "Encrypt the new installation" (LUKS, with LVM).',
      'Ask IT for the supported encrypted install image if you are unsure.',
    ],
  },
  evaluate(obs) {
    const f = obs.facts;
    const sys = f.volumes.find((v) => v.system);
    const label = sys ? `${sys.name}${sys.mount ? ` (${sys.mount})` : ''}` : 'system volume';
    // Say the percentage and the protection state as read, so the summary is true in every language we parse.
    const state = sys && (sys.percentEncrypted != null || sys.protection) ? ` (${[sys.percentEncrypted != null ? `${sys.percentEncrypted} % encrypted` : null, sys.protection ? `protection ${sys.protection}` : null].filter(Boolean).join(', ')})` : '';
    if (f.systemVolumeEncrypted === true) {
      return { status: 'pass', summary: `${label} is encrypted${sys?.method ? ` with ${sys.method}` : ''}${state}` };
    }
    if (f.systemVolumeEncrypted === false) {
      const inProgress = /InProgress|Paused/i.test(sys?.method ?? '');
      const why =
        sys?.protection === 'suspended' ? 'protection is suspended'
        : inProgress ? (/Decrypt/i.test(sys?.method ?? '') ? 'decryption in progress' : 'encryption in progress')
        : sys?.protection === 'off' && sys.method && sys.method !== 'none' ? 'protection is off'
        : 'not encrypted';
      return { status: 'fail', summary: `${label}: ${why}${state}` };
    }
    return { status: 'unknown', summary: `Could not determine whether the ${label} is encrypted` };
  },
};
