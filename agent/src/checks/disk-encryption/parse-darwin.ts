/** FileVault: `fdesetup status` text (not localized) and `diskutil info -plist /`. */
import { asDict, parsePlist } from '../platform/plist.js';

export interface FdeStatus {
  on: boolean | null;
  /** 'encrypting' | 'decrypting' | 'deferred' | null */
  inProgress: string | null;
  percent: number | null;
}

export function parseFdesetupStatus(text: string): FdeStatus | null {
  const t = text.trim();
  if (!t) return null;
  const on = /FileVault is On/i.test(t) ? true : /FileVault is Off/i.test(t) ? false : null;
  // "paused" is read like "in progress": a conversion that has not finished is not protection.
  const enc = /Encryption (?:in progress|paused):? Percent completed = (\d+(?:\.\d+)?)/i.exec(t);
  const dec = /Decryption (?:in progress|paused):? Percent completed = (\d+(?:\.\d+)?)/i.exec(t);
  const deferred = /Deferred enablement appears to be active|will be enabled after the next restart/i.test(t);
  if (on === null && !enc && !dec) return null;
  return {
    // Encrypting is not yet protected; decrypting is on its way out.
    on: enc || dec ? false : on,
    inProgress: enc ? 'encrypting' : dec ? 'decrypting' : deferred ? 'deferred' : null,
    percent: enc ? Number(enc[1]) : dec ? Number(dec[1]) : null,
  };
}

/** `diskutil info -plist /` → APFS volume name, device and FileVault flag. */
export function parseDiskutilInfo(xml: string): { device: string | null; name: string | null; fileVault: boolean | null; encrypted: boolean | null } | null {
  const d = asDict(parsePlist(xml));
  if (!d) return null;
  const b = (v: unknown) => (typeof v === 'boolean' ? v : null);
  return {
    device: typeof d.DeviceIdentifier === 'string' ? d.DeviceIdentifier : null,
    name: typeof d.VolumeName === 'string' ? d.VolumeName : null,
    fileVault: b(d.FileVault),
    encrypted: b(d.Encryption) ?? b(d.Encrypted),
  };
}
