/** Windows: registry policy (reg.exe, unprivileged) and attached USB disks (CIM). */
import { parseJsonList, runPowerShell } from '../platform/powershell.js';
import { parseRegQuery, type RegKeys } from '../platform/reg.js';
import type { Collector } from '../types.js';
import { describeFailure } from '../types.js';
import { RSD_KEY, RSD_USER_KEY, UASPSTOR_KEY, USBSTOR_KEY, WRITE_PROTECT_KEY, windowsUsbPolicy } from './parse-windows.js';

const USB_DISKS = "Get-CimInstance Win32_DiskDrive -Filter \"InterfaceType='USB'\" | Select-Object Model,Size | ConvertTo-Json -Compress";

export const collectWin32: Collector<'usb_storage'> = async (ctx) => {
  const [usbstor, uasp, rsd, rsdUser, wp, disks] = await Promise.all([
    ctx.run('reg', ['query', USBSTOR_KEY, '/v', 'Start']),
    ctx.run('reg', ['query', UASPSTOR_KEY, '/v', 'Start']),
    ctx.run('reg', ['query', RSD_KEY, '/s']),
    ctx.run('reg', ['query', RSD_USER_KEY, '/s']),
    ctx.run('reg', ['query', WRITE_PROTECT_KEY]),
    runPowerShell(ctx, USB_DISKS),
  ]);
  // reg exits 1 when a key does not exist: that is "no policy", not an error.
  const keys: RegKeys = Object.assign({}, ...[usbstor, uasp, rsd, rsdUser, wp].filter((r) => r.ok).map((r) => parseRegQuery(r.stdout)));
  const { policy, mechanisms } = windowsUsbPolicy(keys);
  const attached = (disks.ok ? (parseJsonList<{ Model?: string; Size?: number }>(disks.stdout) ?? []) : []).slice(0, 16).map((d) => ({
    name: String(d.Model ?? 'USB disk').slice(0, 128),
    size: typeof d.Size === 'number' ? d.Size : null,
  }));
  return {
    facts: { policy, mechanisms, attachedMassStorage: attached },
    detail: {
      usbstorStart: keys[USBSTOR_KEY.toUpperCase()]?.Start?.data ?? null,
      uaspstorStart: keys[UASPSTOR_KEY.toUpperCase()]?.Start?.data ?? null,
      ...(mechanisms.includes('USBSTOR Start=4') ? { note: 'USBSTOR is disabled but UASPStor is not: UAS (USB 3) disks may still mount; the Removable Storage Access policy covers both' } : {}),
    },
    reason: policy === 'unknown' ? describeFailure('reg query USBSTOR', usbstor.error) : undefined,
  };
};
