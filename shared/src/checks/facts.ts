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
  /** BitLocker: how much of the volume is encrypted (0–100), when the tool says. */
  percentEncrypted?: number | null;
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
  /**
   * EDRs: did the vendor's own tool confirm the sensor is healthy (registered, connected,
   * not in reduced-functionality mode)? A running process alone leaves this null/absent,
   * which never passes. false = the tool reported it unhealthy.
   */
  healthConfirmed?: boolean | null;
  /** The command that confirms (or would confirm) the health, for the reason. */
  healthCommand?: string | null;
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
  /** Linux os-release ID (`ubuntu`, `rocky`, …): the lifecycle table's family. */
  osId?: string | null;
  /**
   * Does the package manager publish security classification for the configured
   * repositories (apt -security suites, dnf updateinfo, zypper patches)? false/null makes
   * `pendingSecurityUpdates` null: absent metadata is never "0 security updates".
   */
  securityMetadata?: boolean | null;
  /** Days the oldest pending update has been available (its build/release time), when known. */
  oldestPendingDays?: number | null;
  /**
   * Extended support verified on the machine: Ubuntu Pro ESM (attached, esm-infra enabled)
   * or Windows ESU (`years` = highest licensed ESU year). active null = could not be read.
   */
  extendedSupport?: { kind: 'ubuntu-pro-esm' | 'windows-esu'; active: boolean | null; years?: number | null; expires?: string | null; detail?: string | null } | null;
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
