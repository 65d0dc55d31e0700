/**
 * macOS USB storage controls: the managed `mount-controls` restriction (delivered by a
 * configuration profile into com.apple.systemuiserver) and Santa's USB blocking.
 */
import { asDict, parsePlist } from '../platform/plist.js';

/** mount-controls → policy for external hard disks: ['deny'] blocked, ['read-only'] read-only. */
export function parseMountControls(xml: string): 'blocked' | 'read_only' | null {
  const d = asDict(parsePlist(xml));
  const mc = asDict(d?.['mount-controls']);
  const ext = mc?.['harddisk-external'];
  if (!Array.isArray(ext)) return null;
  if (ext.includes('deny')) return 'blocked';
  if (ext.includes('read-only')) return 'read_only';
  return null;
}

/** `santactl status --json` → USB blocking and remount mode (e.g. "rdonly,noexec"). */
export function parseSantaStatus(json: string): { blockUsb: boolean; remountMode: string | null } | null {
  try {
    const v = JSON.parse(json);
    const d = v?.daemon;
    if (!d || typeof d !== 'object') return null;
    const mode = Array.isArray(d.remount_usb_mode) ? d.remount_usb_mode.join(',') : typeof d.remount_usb_mode === 'string' ? d.remount_usb_mode : null;
    return { blockUsb: d.block_usb === true, remountMode: mode || null };
  } catch {
    return null;
  }
}

/**
 * `santactl status` text (versions or setups where --json is unavailable): a table with
 * `USB Blocking | Yes` and `USB Remounting Mode | rdonly, noexec` rows.
 */
export function parseSantaStatusText(text: string): { blockUsb: boolean; remountMode: string | null } | null {
  const row = (label: string) => new RegExp(`^[ \\t]*${label}[ \\t]*\\|[ \\t]*(.*?)[ \\t]*\\r?$`, 'mi').exec(text)?.[1] ?? null;
  const block = row('USB Blocking');
  if (block === null) return null;
  const mode = row('USB Remounting Mode');
  return { blockUsb: /^yes$/i.test(block), remountMode: mode && !/^(none|)$/i.test(mode) ? mode.replace(/\s+/g, '') : null };
}

/** `diskutil list -plist external physical` → external disk identifiers. */
export function parseExternalDisks(xml: string): string[] {
  const d = asDict(parsePlist(xml));
  const disks = d?.WholeDisks;
  return Array.isArray(disks) ? disks.filter((x): x is string => typeof x === 'string') : [];
}
