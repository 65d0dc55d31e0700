/**
 * Windows USB storage policy from the registry (reg query output, language-independent):
 *  - USBSTOR service Start=4: the USB mass-storage driver never loads → blocked;
 *  - Removable Storage Access policy: Deny_All at the root key, or Deny_Read / Deny_Write
 *    on the Removable Disks class {53f5630d-b6bf-11d0-94f2-00a0c91efb8b};
 *  - StorageDevicePolicies WriteProtect=1 → read-only.
 */
import type { UsbStorageFacts } from '../../../../shared/src/checks/facts.js';
import { regGet, type RegKeys } from '../platform/reg.js';

export const USBSTOR_KEY = 'HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\USBSTOR';
/** USB Attached SCSI driver: UAS-capable (USB 3) disks use it instead of USBSTOR. */
export const UASPSTOR_KEY = 'HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\UASPStor';
export const RSD_KEY = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\RemovableStorageDevices';
export const RSD_USER_KEY = 'HKEY_CURRENT_USER\\Software\\Policies\\Microsoft\\Windows\\RemovableStorageDevices';
export const WRITE_PROTECT_KEY = 'HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\StorageDevicePolicies';
const REMOVABLE_DISKS = '{53f5630d-b6bf-11d0-94f2-00a0c91efb8b}';

export function windowsUsbPolicy(keys: RegKeys): { policy: UsbStorageFacts['policy']; mechanisms: string[] } {
  const blocked: string[] = [];
  const readOnly: string[] = [];
  const start = regGet(keys, USBSTOR_KEY, 'Start');
  if (start === 4) blocked.push(regGet(keys, UASPSTOR_KEY, 'Start') === 4 ? 'USBSTOR+UASPStor Start=4' : 'USBSTOR Start=4');
  for (const [root, scope] of [
    [RSD_KEY, 'HKLM'],
    [RSD_USER_KEY, 'HKCU'],
  ] as const) {
    if (regGet(keys, root, 'Deny_All') === 1) blocked.push(`${scope} RemovableStorageDevices Deny_All`);
    if (regGet(keys, `${root}\\${REMOVABLE_DISKS}`, 'Deny_Read') === 1) blocked.push(`${scope} Removable Disks Deny_Read`);
    if (regGet(keys, `${root}\\${REMOVABLE_DISKS}`, 'Deny_Write') === 1) readOnly.push(`${scope} Removable Disks Deny_Write`);
  }
  if (regGet(keys, WRITE_PROTECT_KEY, 'WriteProtect') === 1) readOnly.push('StorageDevicePolicies WriteProtect=1');
  if (blocked.length) return { policy: 'blocked', mechanisms: blocked };
  if (readOnly.length) return { policy: 'read_only', mechanisms: readOnly };
  return { policy: start === undefined ? 'unknown' : 'allowed', mechanisms: [] };
}
