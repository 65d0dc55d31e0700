/**
 * macOS: `fdesetup status` (works unprivileged) and the APFS volume's FileVault flag
 * from `diskutil info`. FileVault encrypts the Data volume that backs `/System/Volumes/Data`;
 * the sealed system volume is read-only and signed, so the Data volume is what counts.
 */
import type { Collector } from '../types.js';
import { describeFailure } from '../types.js';
import { parseDiskutilInfo, parseFdesetupStatus } from './parse-darwin.js';

export const collectDarwin: Collector<'disk_encryption'> = async (ctx) => {
  const [fde, info] = await Promise.all([ctx.run('fdesetup', ['status']), ctx.run('diskutil', ['info', '-plist', '/System/Volumes/Data'])]);
  const status = fde.ok ? parseFdesetupStatus(fde.stdout) : null;
  const vol = info.ok ? parseDiskutilInfo(info.stdout) : null;
  const encrypted = status?.on ?? vol?.fileVault ?? null;
  const name = vol?.name ?? 'Macintosh HD - Data';
  return {
    facts: {
      systemVolumeEncrypted: encrypted,
      volumes: [{ name, mount: '/System/Volumes/Data', encrypted, method: encrypted ? 'filevault' : 'none', system: true, removable: false }],
    },
    detail: { fdesetup: status, apfsVolume: vol },
    reason: encrypted === null ? [describeFailure('fdesetup status', fde.error), describeFailure('diskutil info', info.error)].join('; ') : undefined,
  };
};
