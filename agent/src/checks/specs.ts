/** Every check's spec, by id. Adding a check: one folder plus one line here and one per platform registry. */
import type { BuiltinCheckId as CheckId } from '../../../shared/src/checks/ids.js';
import type { CheckSpec } from './types.js';
import { spec as diskEncryption } from './disk-encryption/spec.js';
import { spec as firewall } from './firewall/spec.js';
import { spec as antivirus } from './antivirus/spec.js';
import { spec as patchLevel } from './patch-level/spec.js';
import { spec as usbStorage } from './usb-storage/spec.js';
import { spec as screenLock } from './screen-lock/spec.js';

export const SPECS: { [K in CheckId]: CheckSpec<K> } = {
  disk_encryption: diskEncryption,
  firewall,
  antivirus,
  patch_level: patchLevel,
  usb_storage: usbStorage,
  screen_lock: screenLock,
};
