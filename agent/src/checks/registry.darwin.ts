/** The darwin collectors, one line per check. */
import type { CollectorTable } from './registry.js';
import { collectDarwin as diskEncryption } from './disk-encryption/darwin.js';
import { collectDarwin as firewall } from './firewall/darwin.js';
import { collectDarwin as antivirus } from './antivirus/darwin.js';
import { collectDarwin as patchLevel } from './patch-level/darwin.js';
import { collectDarwin as usbStorage } from './usb-storage/darwin.js';
import { collectDarwin as screenLock } from './screen-lock/darwin.js';

export const collectors: CollectorTable = {
  disk_encryption: diskEncryption,
  firewall,
  antivirus,
  patch_level: patchLevel,
  usb_storage: usbStorage,
  screen_lock: screenLock,
};
