/** macOS: managed mount-controls and Santa; attached external disks from diskutil. */
import type { UsbStorageFacts } from '../../../../shared/src/checks/facts.js';
import type { Collector } from '../types.js';
import { parseExternalDisks, parseMountControls, parseSantaStatus, parseSantaStatusText } from './parse-darwin.js';

export const collectDarwin: Collector<'usb_storage'> = async (ctx) => {
  const [managed, santa, ext] = await Promise.all([
    ctx.run('plutil', ['-convert', 'xml1', '-o', '-', '/Library/Managed Preferences/com.apple.systemuiserver.plist']),
    ctx.run('santactl', ['status', '--json']),
    ctx.run('diskutil', ['list', '-plist', 'external', 'physical']),
  ]);
  const mount = managed.ok ? parseMountControls(managed.stdout) : null;
  let s = santa.ok ? parseSantaStatus(santa.stdout) : null;
  if (!s && santa.error !== 'not_found') {
    const text = await ctx.run('santactl', ['status']);
    s = text.ok ? parseSantaStatusText(text.stdout) : null;
  }
  const mechanisms: string[] = [];
  let policy: UsbStorageFacts['policy'] = 'allowed';
  if (mount === 'blocked' || (s?.blockUsb && !s.remountMode)) {
    policy = 'blocked';
    if (mount === 'blocked') mechanisms.push('profile mount-controls deny');
    if (s?.blockUsb && !s.remountMode) mechanisms.push('santa block_usb');
  } else if (mount === 'read_only' || (s?.blockUsb && /rdonly/.test(s.remountMode ?? ''))) {
    policy = 'read_only';
    if (mount === 'read_only') mechanisms.push('profile mount-controls read-only');
    if (s?.blockUsb) mechanisms.push(`santa remount ${s.remountMode}`);
  }
  return {
    facts: { policy, mechanisms, attachedMassStorage: (ext.ok ? parseExternalDisks(ext.stdout) : []).slice(0, 16).map((name) => ({ name })) },
    detail: { managedMountControls: mount, santa: s },
  };
};
