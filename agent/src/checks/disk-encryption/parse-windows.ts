/**
 * BitLocker. `Get-BitLockerVolume | ConvertTo-Json` carries enums as numbers (raw) or as
 * names (when the probe projects them to strings); both are read. `manage-bde -status`
 * is translated, so its parser matches the labels and values of the languages we have
 * captured (English, German, French) and otherwise returns unknown rather than guess.
 * Suspended protection (fully encrypted, protection off) is not protection: encrypted=false.
 */
import type { Volume } from '../../../../shared/src/checks/facts.js';

const VOLUME_TYPES = ['OperatingSystem', 'Data', 'Removable'];
const PROTECTION = ['Off', 'On', 'Unknown'];
// 6/7 exist only in Get-BitLockerVolume (the BitLocker module derives them from a fully
// encrypted volume whose free space is being wiped); Win32 ConversionStatus stops at 5.
const VOLUME_STATUS = ['FullyDecrypted', 'FullyEncrypted', 'EncryptionInProgress', 'DecryptionInProgress', 'EncryptionPaused', 'DecryptionPaused', 'FullyEncryptedWipeInProgress', 'FullyEncryptedWipeSuspended'];
/** An enum as number, numeric string ("1") or name ("On"); names are matched case-insensitively. */
const enumName = (v: unknown, names: string[]): string | null => {
  if (typeof v === 'string' && /^\s*\d+\s*$/.test(v)) v = Number(v);
  if (typeof v === 'number') return names[v] ?? String(v);
  if (typeof v !== 'string') return null;
  const t = v.trim().replace(/[\s_-]/g, '').toLowerCase();
  return names.find((n) => n.toLowerCase() === t) ?? v.trim();
};
const ENCRYPTION_METHODS = ['None', 'Aes128Diffuser', 'Aes256Diffuser', 'Aes128', 'Aes256', 'Hardware', 'XtsAes128', 'XtsAes256'];

function toVolume(mount: string, type: string | null, protection: string | null, status: string | null, method: string | null, systemDrive: string, percent: number | null = null): Volume {
  // Wiping free space happens on a volume that is already fully encrypted. "Encryption in
  // progress" at 100 % with protection on (seen in localized manage-bde output, while
  // BitLocker finishes its bookkeeping) is a fully encrypted, protected volume.
  const done = status === 'EncryptionInProgress' && percent !== null && percent >= 100 && protection === 'On';
  const encryptedFully = status === 'FullyEncrypted' || /^FullyEncryptedWipe/i.test(status ?? '') || done;
  // Encrypting (or paused) with protectors on is not yet protection of the whole volume.
  const converting = status !== null && !encryptedFully && status !== 'FullyDecrypted';
  const prot = protection === 'On' ? 'on' : protection === 'Off' ? (encryptedFully ? 'suspended' : 'off') : null;
  const base = method && method !== 'None' ? `bitlocker ${method}` : status === 'FullyDecrypted' ? 'none' : 'bitlocker';
  return {
    name: mount,
    mount,
    encrypted: prot === 'on' ? !converting : prot === null ? null : false,
    method: converting ? `${base} (${status})` : base,
    protection: prot,
    system: type === 'OperatingSystem' || mount.toUpperCase() === systemDrive.toUpperCase(),
    removable: type === 'Removable',
    ...(percent !== null ? { percentEncrypted: percent } : {}),
  };
}

/** "100,0 %", "42.3%", "100 %" → number, or null. */
function percentOf(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 && v <= 100 ? v : null;
  if (typeof v !== 'string') return null;
  const m = /^(\d{1,3})(?:[.,](\d+))?\s*%?$/.exec(v.trim());
  if (!m) return null;
  const n = Number(`${m[1]}.${m[2] ?? '0'}`);
  return n <= 100 ? n : null;
}

export function parseBitLockerVolumes(json: string, systemDrive = 'C:'): Volume[] | null {
  let v: unknown;
  try {
    v = JSON.parse(json.replace(/^\uFEFF/, ''));
  } catch {
    return null;
  }
  const list = (Array.isArray(v) ? v : [v]) as Record<string, unknown>[];
  if (!list.every((x) => x && typeof x === 'object' && typeof x.MountPoint === 'string')) return null;
  return list.map((x) =>
    toVolume(
      x.MountPoint as string,
      enumName(x.VolumeType, VOLUME_TYPES),
      enumName(x.ProtectionStatus, PROTECTION),
      enumName(x.VolumeStatus, VOLUME_STATUS),
      enumName(x.EncryptionMethod, ENCRYPTION_METHODS),
      systemDrive,
      percentOf(x.EncryptionPercentage),
    ),
  );
}

/**
 * `Get-CimInstance -Namespace root/cimv2/Security/MicrosoftVolumeEncryption
 * Win32_EncryptableVolume` as JSON: numeric, locale-independent properties (admin only).
 * ProtectionStatus 0 off / 1 on / 2 unknown (locked); ConversionStatus 0 fully decrypted,
 * 1 fully encrypted (also used-space-only), 2 encrypting, 3 decrypting, 4/5 paused;
 * VolumeType 0 OS, 1 fixed data, 2 removable. Volumes without a drive letter are skipped.
 */
export function parseEncryptableVolumes(json: string, systemDrive = 'C:'): Volume[] | null {
  let v: unknown;
  try {
    v = JSON.parse(json.replace(/^\uFEFF/, '').trim());
  } catch {
    return null;
  }
  const list = (Array.isArray(v) ? v : [v]) as Record<string, unknown>[];
  if (!list.length || !list.every((x) => x && typeof x === 'object' && 'ProtectionStatus' in x && 'DriveLetter' in x)) return null;
  const out = list
    .filter((x) => typeof x.DriveLetter === 'string' && /^[A-Z]:$/i.test(x.DriveLetter))
    .map((x) =>
      toVolume(
        (x.DriveLetter as string).toUpperCase(),
        enumName(x.VolumeType, ['OperatingSystem', 'Data', 'Removable']),
        enumName(x.ProtectionStatus, PROTECTION),
        enumName(x.ConversionStatus, VOLUME_STATUS),
        enumName(x.EncryptionMethod, ENCRYPTION_METHODS),
        systemDrive,
      ),
    );
  return out.length ? out : null;
}

const LABELS = {
  conversion: /^(Conversion Status|Konvertierungsstatus|[ÉE]tat de la conversion)\s*:/i,
  // Microsoft's French manage-bde page names the field "État de protection".
  protection: /^(Protection Status|Schutzstatus|[ÉE]tat de (la )?protection)\s*:/i,
  method: /^(Encryption Method|Verschlüsselungsmethode|Méthode de chiffrement)\s*:/i,
  percent: /^(Percentage Encrypted|Verschlüsselt \(Prozent\)|Pourcentage chiffré)\s*:/i,
};
const ON = /Protection On|Schutz ist aktiviert|Protection (est )?activée/i;
const OFF = /Protection Off|Schutz ist deaktiviert|Protection (est )?désactivée/i;
// "Used Space Only Encrypted" is complete encryption of the used space (the Windows 10/11 default).
// German prints the used-space case as "Nur verwendeter Speicherplatz verschlüsselt" (seen in the field).
const FULLY_ENCRYPTED = /Fully Encrypted|Used Space Only Encrypted|Vollständig verschlüsselt|Nur verwendeter Speicherplatz (ist )?verschlüsselt|Chiffrement complet|Entièrement chiffré/i;
const ENCRYPTING = /^(Encryption in Progress|Verschlüsselung wird durchgeführt|Chiffrement en cours)/i;
const DECRYPTING = /^(Decryption in Progress|Entschlüsselung wird durchgeführt|Déchiffrement en cours)/i;
const FULLY_DECRYPTED = /Fully Decrypted|Vollständig entschlüsselt|Déchiffrement complet|Entièrement déchiffré/i;

/** `manage-bde -status` (any drive set) → volumes. */
export function parseManageBde(text: string, systemDrive = 'C:'): Volume[] | null {
  const volumes: Volume[] = [];
  for (const block of `\n${text}`.split(/\r?\n(?=Volume\s)/).slice(1)) {
    const drive = /^Volume\s+"?([A-Z]:)"?/.exec(block)?.[1];
    if (!drive) continue;
    let protection: string | null = null;
    let status: string | null = null;
    let method: string | null = null;
    let percent: number | null = null;
    for (const line of block.split(/\r?\n/).map((l) => l.trim())) {
      const val = line.slice(line.indexOf(':') + 1).trim();
      if (LABELS.protection.test(line)) protection = ON.test(val) ? 'On' : OFF.test(val) ? 'Off' : null;
      else if (LABELS.conversion.test(line))
        status = FULLY_ENCRYPTED.test(val) ? 'FullyEncrypted' : FULLY_DECRYPTED.test(val) ? 'FullyDecrypted' : ENCRYPTING.test(val) ? 'EncryptionInProgress' : DECRYPTING.test(val) ? 'DecryptionInProgress' : 'InProgress';
      else if (LABELS.method.test(line)) method = val.replace(/\s+/g, '') || null;
      else if (LABELS.percent.test(line)) percent = percentOf(val);
    }
    if (protection === null && status === null) continue; // a language we do not read: leave it unknown
    volumes.push(toVolume(drive, null, protection, status, method === 'Kein' || method === 'Keine' || method === 'None' || method === 'Aucune' ? 'None' : method, systemDrive, percent));
  }
  return volumes.length ? volumes : null;
}

/**
 * Shell property System.Volume.BitLockerProtection, readable without admin rights:
 * 1 on, 2 off, 3 encrypting, 4 decrypting, 5 suspended, 6 on (locked), 8 waiting for activation.
 */
export function shellBitLockerProtection(value: number): Pick<Volume, 'encrypted' | 'protection'> {
  switch (value) {
    case 1:
    case 6:
      return { encrypted: true, protection: 'on' };
    case 5:
      return { encrypted: false, protection: 'suspended' };
    case 2:
    case 3:
    case 4:
    case 8:
      return { encrypted: false, protection: 'off' };
    default:
      return { encrypted: null, protection: null };
  }
}
