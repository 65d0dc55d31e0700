/**
 * Mark devices that have not reported for longer than the policy's stale threshold,
 * recording the transition as an event (and an alert in the outbox). Runs once across
 * all collectors: the caller holds an advisory lock.
 */
import type { Queryable } from '../db/types.js';
import { alertForTransition } from '../alerts/outbox.js';

/**
 * `groupHours`: the policy's groups that set their own staleAfterHours, in policy order; a
 * device in several takes the last one's (the precedence of shared/src/policy/groups.ts).
 */
export async function markStale(q: Queryable, staleAfterHours: number, alertOn: string[], now = new Date(), groupHours: readonly { name: string; hours: number }[] = []): Promise<number> {
  // The earliest possible cutoff keeps the index range scan; each device's own threshold filters.
  const minHours = Math.min(staleAfterHours, ...groupHours.map((g) => g.hours));
  const cutoff = new Date(now.getTime() - minHours * 3600_000);
  const r = await q.query<{ id: string; hostname: string; old_state: string; last_report_at: Date | null; last_seen_at: Date | null; enrolled_at: Date; archived: boolean }>(
    `WITH s AS (
       SELECT id, state AS old_state FROM devices
        WHERE revoked_at IS NULL AND state NOT IN ('stale', 'excluded')
          AND coalesce(last_report_at, enrolled_at) < $1
          AND coalesce(last_report_at, enrolled_at) < $2::timestamptz - make_interval(secs => 3600 * coalesce(
                (SELECT g.hours FROM device_group_members m JOIN jsonb_to_recordset($3::jsonb) AS g(name text, ord int, hours float8) ON g.name = m.group_name
                  WHERE m.device_id = devices.id AND m.until IS NULL ORDER BY g.ord DESC LIMIT 1), $4::float8))
        FOR UPDATE SKIP LOCKED)
     UPDATE devices d SET state = 'stale', state_since = $2
       FROM s WHERE d.id = s.id
     RETURNING d.id, d.hostname, s.old_state, d.last_report_at, d.last_seen_at, d.enrolled_at, d.archived_at IS NOT NULL AS archived`,
    [cutoff, now, JSON.stringify(groupHours.map((g, ord) => ({ ...g, ord }))), staleAfterHours],
  );
  if (!r.rows.length) return 0;
  const events = r.rows.map((d) => ({ device_id: d.id, check_id: '*', from_state: d.old_state, to_state: 'stale', at: now.toISOString(), detail: { lastReportAt: d.last_report_at } }));
  await q.query(
    `INSERT INTO state_events (device_id, check_id, from_state, to_state, at, detail)
     SELECT device_id, check_id, from_state, to_state, at, detail FROM jsonb_to_recordset($1::jsonb) AS x(device_id text, check_id text, from_state text, to_state text, at timestamptz, detail jsonb)`,
    [JSON.stringify(events)],
  );
  // An archived device still goes stale (an operator who un-archives it must not see an old
  // "compliant"), but raises no alert.
  const alerts = r.rows.filter((d) => !d.archived).map((d) => alertForTransition(alertOn, d.id, d.hostname, d.old_state, 'stale', now, [], { lastSeenAt: d.last_seen_at ?? d.last_report_at })).filter((a) => a !== null);
  if (alerts.length)
    await q.query(
      `INSERT INTO alert_outbox (dedupe_key, kind, device_id, payload)
       SELECT dedupe_key, kind, device_id, payload FROM jsonb_to_recordset($1::jsonb) AS x(dedupe_key text, kind text, device_id text, payload jsonb)
       ON CONFLICT (dedupe_key) DO NOTHING`,
      [JSON.stringify(alerts)],
    );
  return r.rows.length;
}
