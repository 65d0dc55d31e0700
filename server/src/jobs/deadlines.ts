/**
 * Time-driven state changes that must not wait for the next report (a laptop may be off for
 * days): a failing check whose grace deadline has passed makes the device noncompliant, and an
 * exclusion that expired stops covering its check. Both re-evaluate the device from its latest
 * stored report, in the job's transaction (the caller holds the job's advisory lock).
 */
import type { Queryable } from '../db/types.js';
import type { Policy } from '#shared/policy/schema.js';
import { reevaluateDevice } from '../exclusions/reevaluate.js';

export async function applyDeadlines(q: Queryable, policy: Policy, alertOn: string[], now = new Date(), limit = 500): Promise<number> {
  // Archived devices still change state (the evidence must show the deadline passing, and an
  // un-archived device must not read as merely failing) but raise no alert.
  const due = await q.query<{ id: string; archived: boolean }>(
    `SELECT id, archived_at IS NOT NULL AS archived FROM devices WHERE state = 'failing' AND next_deadline <= $1 AND revoked_at IS NULL ORDER BY next_deadline LIMIT $2`,
    [now, limit],
  );
  const expired = await q.query<{ id: string; device_id: string }>(
    `SELECT id, device_id FROM exclusions WHERE expires_at <= $1 AND expiry_applied_at IS NULL AND revoked_at IS NULL ORDER BY expires_at LIMIT $2`,
    [now, limit],
  );
  const devices = new Set([...due.rows.map((r) => r.id), ...expired.rows.map((r) => r.device_id)]);
  const archived = new Set(due.rows.filter((r) => r.archived).map((r) => r.id));
  for (const id of devices) {
    const cause = due.rows.some((r) => r.id === id) ? { job: 'grace-deadline' } : { job: 'exclusion-expired' };
    await reevaluateDevice(q, policy, id, archived.has(id) ? [] : alertOn, cause, now);
  }
  if (expired.rows.length)
    await q.query('UPDATE exclusions SET expiry_applied_at = $1 WHERE id IN (SELECT jsonb_array_elements_text($2::jsonb))', [now, JSON.stringify(expired.rows.map((r) => r.id))]);
  return devices.size;
}
