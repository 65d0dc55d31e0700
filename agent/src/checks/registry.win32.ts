/** The win32 collectors, one line per check. */
import type { CollectorTable } from './registry.js';
import { collectWin32 as diskEncryption } from './disk-encryption/win32.js';
import { collectWin32 as firewall } from './firewall/win32.js';
import { collectWin32 as antivirus } from './antivirus/win32.js';
import { collectWin32 as patchLevel } from './patch-level/win32.js';
import { collectWin32 as usbStorage } from './usb-storage/win32.js';
import { collectWin32 as screenLock } from './screen-lock/win32.js';

export const collectors: CollectorTable = {
  disk_encryption: diskEncryption,
  firewall,
  antivirus,
  patch_level: patchLevel,
  usb_storage: usbStorage,
  screen_lock: screenLock,
};
