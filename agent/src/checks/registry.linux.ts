/** The Linux collectors, one line per check. */
import type { CollectorTable } from './registry.js';
import { collectLinux as diskEncryption } from './disk-encryption/linux.js';
import { collectLinux as firewall } from './firewall/linux.js';
import { collectLinux as antivirus } from './antivirus/linux.js';
import { collectLinux as patchLevel } from './patch-level/linux.js';
import { collectLinux as usbStorage } from './usb-storage/linux.js';
import { collectLinux as screenLock } from './screen-lock/linux.js';

export const collectors: CollectorTable = {
  disk_encryption: diskEncryption,
  firewall,
  antivirus,
  patch_level: patchLevel,
  usb_storage: usbStorage,
  screen_lock: screenLock,
};
