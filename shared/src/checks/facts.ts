/**
 * Normalized facts per check, carried in `evidence.facts`. The probe reports facts;
 * the policy decides thresholds. `null` means "could not be determined".
 * The evaluator reads these defensively (an old agent may omit a field).
 */
export interface Volume {
  name: string;
  mount?: string | null;
  /** true = encrypted and protection on; false = plaintext or protection off/suspended */
  encrypted: boolean | null;
  /** e.g. 'luks2', 'bitlocker', 'filevault', 'zfs-native', 'none' */
  method?: string | null;
  /** BitLocker-style protection state: 'on' | 'off' | 'suspended' */
  protection?: string | null;
  system?: boolean;
  removable?: boolean;
}

export interface DiskEncryptionFacts {
  systemVolumeEncrypted: boolean | null;
  volumes: Volume[];
}

export interface FirewallProfile {
  name: string;
  enabled: boolean | null;
  /** 'block' | 'allow' | null: default action for inbound traffic */
  defaultInbound?: string | null;
}

export interface FirewallFacts {
  /** Is inbound traffic actually filtered (default drop/reject, or an active app firewall)? */
  inboundFiltered: boolean | null;
  /** e.g. 'ufw', 'firewalld', 'nftables', 'iptables', 'windows-firewall', 'macos-alf', 'pf' */
  backends: string[];
  profiles?: FirewallProfile[];
}

export interface AvProduct {
  name: string;
  /** 'antivirus' | 'edr' */
  kind: string;
  running: boolean | null;
  realTimeProtection: boolean | null;
  definitionsUpToDate: boolean | null;
  definitionsAgeDays: number | null;
}

export interface AntivirusFacts {
  products: AvProduct[];
}

export interface PatchLevelFacts {
  osName: string | null;
  osVersion: string | null;
  build?: string | null;
  kernel?: string | null;
  pendingUpdates: number | null;
  pendingSecurityUpdates: number | null;
  daysSinceLastUpdate: number | null;
  autoUpdatesEnabled: boolean | null;
  packageManager?: string | null;
}

export type UsbPolicy = 'blocked' | 'read_only' | 'allowed' | 'unknown';

export interface UsbStorageFacts {
  policy: UsbPolicy;
  /** which mechanisms enforce it, e.g. 'modprobe-blacklist', 'usbguard', 'USBSTOR Start=4' */
  mechanisms: string[];
  attachedMassStorage: { name: string; vendor?: string | null; size?: number | null }[];
}

export interface ScreenLockFacts {
  /** Does the screen lock (require a password) after idle? */
  lockEnabled: boolean | null;
  /** Seconds of idle before the lock engages; null if unknown or never. */
  idleTimeoutSeconds: number | null;
  /** 'gnome' | 'kde' | 'macos' | 'windows' | 'headless' ... */
  session?: string | null;
}

export interface FactsByCheck {
  disk_encryption: DiskEncryptionFacts;
  firewall: FirewallFacts;
  antivirus: AntivirusFacts;
  patch_level: PatchLevelFacts;
  usb_storage: UsbStorageFacts;
  screen_lock: ScreenLockFacts;
}
