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
import { type ActiveExclusion, type CheckState, type PreviousCheckState } from '#shared/policy/evaluate.js';
import { stepReevaluate } from '#shared/evidence/replay.js';
import { alertForTransition, noncompliantChecks } from '../alerts/outbox.js';
import { OWNER_CHECK_ID, ownerResult } from '#shared/policy/owner-check.js';

function payloadOf(jws: string): ReportPayload | null {
  try {
    return JSON.parse(Buffer.from(jws.split('.')[1] ?? '', 'base64url').toString('utf8')) as ReportPayload;
  } catch {
    return null;
  }
}

export async function reevaluateDevice(q: Queryable, policy: Policy, deviceId: string, alertOn: string[], cause: Record<string, unknown>, now = new Date()): Promise<{ from: string; to: string } | null> {
  const d = await q.query<{ id: string; hostname: string; platform: string; state: string; owned: boolean }>(
    'SELECT id, hostname, platform, state, owner_person_id IS NOT NULL AS owned FROM devices WHERE id = $1 FOR UPDATE',
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
  const states = new Map<CheckId, PreviousCheckState>();
  for (const c of cs.rows) {
    previous[c.check_id] = { state: c.state, failingSince: c.failing_since ? new Date(c.failing_since) : null };
    states.set(c.check_id, previous[c.check_id]!);
  }
  const exclusions: ActiveExclusion[] = ex.rows.map((e) => ({ checkId: e.check_id as CheckId | '*', expiresAt: new Date(e.expires_at) }));
  // The shared re-evaluation step (the verifier replays the same one from the bundle).
  // With the device's groups (their overrides) and its owner (owner_assigned), as at ingest.
  // (The same read as groups/dal.ts groupNamesOf, inlined: groups/ imports this file.)
  const gr = await q.query<{ group_name: string }>('SELECT group_name FROM device_group_members WHERE device_id = $1 AND until IS NULL ORDER BY group_name', [deviceId]);
  const groups = gr.rows.map((r) => r.group_name);
  const owner = { assigned: dev.owned, tracked: states.has(OWNER_CHECK_ID) };
  const ev = stepReevaluate({ policy, platform: dev.platform, reported: payload?.checks ?? [], previous: states, exclusions, at: now, groups, owner }).evaluation;

  const events: object[] = [];
  if (payload) {
    for (const c of ev.checks) {
      const before = previous[c.id];
      if (!before && c.id === OWNER_CHECK_ID && rep.rows[0]) {
        // The owner requirement starts here (no report result: the collector's own check).
        const r = ownerResult(c);
        events.push({ check_id: c.id, from_state: null, to_state: c.state });
        await q.query(
          `INSERT INTO check_states (device_id, check_id, agent_status, state, since, failing_since, deadline, summary, reasons, evidence, remediation, report_id, collected_at)
           VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$5) ON CONFLICT (device_id, check_id) DO NOTHING`,
          [deviceId, c.id, r.status, c.state, now, c.failingSince, c.deadline, r.summary, JSON.stringify(c.reasons), JSON.stringify(r.evidence), JSON.stringify(r.remediation), rep.rows[0].report_id],
        );
        continue;
      }
      if (!before) continue; // no stored row for this check: nothing to update
      if (before.state !== c.state) events.push({ check_id: c.id, from_state: before.state, to_state: c.state });
      await q.query(
        `UPDATE check_states SET state = $3, failing_since = $4, deadline = $5, reasons = $6,
           since = CASE WHEN state = $3 THEN since ELSE $7 END WHERE device_id = $1 AND check_id = $2`,
        [deviceId, c.id, c.state, c.failingSince, c.deadline, JSON.stringify(c.reasons), now],
      );
      if (c.id === OWNER_CHECK_ID) {
        const r = ownerResult(c);
        await q.query('UPDATE check_states SET agent_status = $3, summary = $4, evidence = $5, remediation = $6 WHERE device_id = $1 AND check_id = $2', [
          deviceId, c.id, r.status, r.summary, JSON.stringify(r.evidence), JSON.stringify(r.remediation),
        ]);
      }
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
