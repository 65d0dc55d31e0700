/**
 * Audit entries in words, for the device page's "who did what": the action as a phrase and
 * the detail fields a help desk reads (which check, until when, why), not raw JSON.
 */
import { timeAgo } from './html.js';

const PHRASES: Record<string, string> = {
  'device.check_now': 'asked for a re-check',
  'device.enroll': 'enrolled the device',
  'device.enrolled': 'enrolled the device',
  'device.reenrolled': 're-enrolled (same install)',
  'device.key_replaced': 'replaced the device key',
  'device.key_rotated': 'rotated the device key',
  'device.rotate_key': 'asked the device to rotate its key',
  'device.revoke': 'revoked the device',
  'device.restore': 'restored the device',
  'device.archive': 'archived the device',
  'device.unarchive': 'un-archived the device',
  'device.delete': 'deleted the device',
  'device.update_now': 'asked the agent to update now',
  'updates.pause': 'paused the agent rollout',
  'updates.resume': 'resumed the agent rollout',
  'updates.update_now': 'asked the fleet to update now',
  'device.offboarding_closed': 'closed the offboarding',
  'enrollment.pending': 'held a second enrollment for approval',
  'enrollment.rejected': 'rejected a pending enrollment',
  'device.owner_set': 'set the owner',
  'exclusion.create': 'added an exclusion',
  'exclusion.revoke': 'revoked an exclusion',
};

/** "added an exclusion" for `exclusion.create`; an unknown action is shown as it is. */
export const actionPhrase = (action: string): string => PHRASES[action] ?? action;

/**
 * The detail fields worth reading, as one line: "Firewall until 2026-12-31 · “lab machine”".
 * `title` turns a check id into its title. Unknown fields are listed as "key: value" (strings
 * and numbers only, each cut at 80 characters), never as JSON.
 */
export function detailWords(detail: unknown, title: (checkId: string) => string): string {
  if (!detail || typeof detail !== 'object') return '';
  const d = detail as Record<string, unknown>;
  const parts: string[] = [];
  const str = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v).slice(0, 80) : null);
  if (typeof d.checkId === 'string') parts.push(d.checkId === '*' ? 'whole device' : title(d.checkId));
  if (typeof d.expiresAt === 'string') parts.push(`until ${d.expiresAt.slice(0, 10)} (${timeAgo(d.expiresAt)})`);
  for (const k of ['rationale', 'reason'] as const) if (typeof d[k] === 'string' && d[k]) parts.push(`“${String(d[k]).slice(0, 200)}”`);
  for (const [k, v] of Object.entries(d)) {
    if (['checkId', 'expiresAt', 'rationale', 'reason', 'exclusionId', 'commandId', 'kid', 'keyId', 'newKid', 'oldKid', 'fingerprint', 'pendingId'].includes(k)) continue;
    const s = str(v);
    if (s !== null && s !== '') parts.push(`${k}: ${s}`);
  }
  return parts.join(' · ');
}
