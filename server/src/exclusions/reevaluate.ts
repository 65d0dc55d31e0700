/**
 * Re-evaluate one device from its latest stored report, in the caller's transaction.
 * Used when an exclusion is added or revoked so the device's state reflects it at once,
 * without waiting for the agent (which may be offline) to report again. The verbatim,
 * already-verified report is the input, so the verdict is the one ingest would reach.
 */
import type { Queryable } from '../db/types.js';
import type { Policy } from '#shared/policy/schema.js';
import type { ReportPayload } from '#shared/protocol/messages.js';
import type { CheckId } from '#shared/checks/ids.js';
import { evaluateDevice, type ActiveExclusion, type CheckState, type PreviousCheckState } from '#shared/policy/evaluate.js';
import { alertForTransition, noncompliantChecks } from '../alerts/outbox.js';

function payloadOf(jws: string): ReportPayload | null {
  try {
    return JSON.parse(Buffer.from(jws.split('.')[1] ?? '', 'base64url').toString('utf8')) as ReportPayload;
  } catch {
    return null;
  }
}

export async function reevaluateDevice(q: Queryable, policy: Policy, deviceId: string, alertOn: string[], cause: Record<string, unknown>, now = new Date()): Promise<{ from: string; to: string } | null> {
  const d = await q.query<{ id: string; hostname: string; platform: string; state: string }>(
    'SELECT id, hostname, platform, state FROM devices WHERE id = $1 FOR UPDATE',
    [deviceId],
  );
  const dev = d.rows[0];
  if (!dev) return null;
  const rep = await q.query<{ report_id: string; jws: string }>(
    'SELECT report_id, jws FROM reports WHERE device_id = $1 ORDER BY collected_at DESC, report_id DESC LIMIT 1',
    [deviceId],
  );
  const payload = rep.rows[0] ? payloadOf(rep.rows[0].jws) : null;
  const cs = await q.query<{ check_id: CheckId; state: CheckState; failing_since: Date | null }>('SELECT check_id, state, failing_since FROM check_states WHERE device_id = $1', [deviceId]);
  const ex = await q.query<{ check_id: string; expires_at: Date }>(
    'SELECT check_id, expires_at FROM exclusions WHERE device_id = $1 AND revoked_at IS NULL AND expires_at > $2',
    [deviceId, now],
  );
  const previous: Partial<Record<CheckId, PreviousCheckState>> = {};
  for (const c of cs.rows) previous[c.check_id] = { state: c.state, failingSince: c.failing_since ? new Date(c.failing_since) : null };
  const exclusions: ActiveExclusion[] = ex.rows.map((e) => ({ checkId: e.check_id as CheckId | '*', expiresAt: new Date(e.expires_at) }));
  const ev = evaluateDevice({ policy, platform: dev.platform, results: payload?.checks ?? [], previous, exclusions, now });

  const events: object[] = [];
  if (payload) {
    for (const c of ev.checks) {
      const before = previous[c.id];
      if (!before) continue; // no stored row for this check: nothing to update
      if (before.state !== c.state) events.push({ check_id: c.id, from_state: before.state, to_state: c.state });
      await q.query(
        `UPDATE check_states SET state = $3, failing_since = $4, deadline = $5, reasons = $6,
           since = CASE WHEN state = $3 THEN since ELSE $7 END WHERE device_id = $1 AND check_id = $2`,
        [deviceId, c.id, c.state, c.failingSince, c.deadline, JSON.stringify(c.reasons), now],
      );
    }
  }
  // A stale device stays stale (it still has not reported) unless the whole device is excluded.
  const to = dev.state === 'stale' && ev.state !== 'excluded' ? 'stale' : ev.state;
  if (to !== dev.state) events.push({ check_id: '*', from_state: dev.state, to_state: to });
  await q.query(
    `UPDATE devices SET state = $2, state_since = CASE WHEN state = $2 THEN state_since ELSE $3 END,
       failing_checks = ARRAY(SELECT jsonb_array_elements_text($4::jsonb)), next_deadline = $5 WHERE id = $1`,
    [deviceId, to, now, JSON.stringify(ev.failingChecks), ev.nextDeadline],
  );
  if (events.length)
    await q.query(
      `INSERT INTO state_events (device_id, check_id, from_state, to_state, at, report_id, detail)
       SELECT $1, check_id, from_state, to_state, $2, $3, $4::jsonb FROM jsonb_to_recordset($5::jsonb) AS x(check_id text, from_state text, to_state text)`,
      [deviceId, now, rep.rows[0]?.report_id ?? null, JSON.stringify(cause), JSON.stringify(events)],
    );
  const alert = to !== dev.state ? alertForTransition(alertOn, deviceId, dev.hostname, dev.state, to, now, noncompliantChecks(ev)) : null;
  if (alert)
    await q.query('INSERT INTO alert_outbox (dedupe_key, kind, device_id, payload) VALUES ($1,$2,$3,$4) ON CONFLICT (dedupe_key) DO NOTHING', [
      alert.dedupe_key, alert.kind, alert.device_id, JSON.stringify(alert.payload),
    ]);
  return { from: dev.state, to };
}
