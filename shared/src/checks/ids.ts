/** The six posture checks. Ids are stable: they appear in stored reports, policies and evidence. */
export const CHECK_IDS = [
  'disk_encryption',
  'firewall',
  'antivirus',
  'patch_level',
  'usb_storage',
  'screen_lock',
] as const;

export type CheckId = (typeof CHECK_IDS)[number];

export const CHECK_TITLES: Record<CheckId, string> = {
  disk_encryption: 'Disk encryption',
  firewall: 'Firewall',
  antivirus: 'Antivirus / EDR',
  patch_level: 'OS patch level',
  usb_storage: 'USB storage control',
  screen_lock: 'Screen lock',
};

export function isCheckId(v: unknown): v is CheckId {
  return typeof v === 'string' && (CHECK_IDS as readonly string[]).includes(v);
}

export const PLATFORMS = ['linux', 'darwin', 'win32'] as const;
export type Platform = (typeof PLATFORMS)[number];
