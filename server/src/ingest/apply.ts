/**
 * Apply stored reports to the derived state, inside the caller's transaction: replay each
 * device's reports in time order through the evaluator so every state transition lands in
 * state_events, and write the device's latest inventory, check states and overall state,
 * alert outbox rows and completed check-now commands.
 *
 * The projector (server/src/projector/) calls this for reports already committed to the log
 * (ingest/store.ts), in log order per device partition, in the same transaction that moves its
 * position: each report is applied exactly once.
 */
import type { Queryable } from '../db/types.js';
import type { ReportPayload } from '#shared/protocol/messages.js';
import type { Policy } from '#shared/policy/schema.js';
import type { ActiveExclusion, CheckState } from '#shared/policy/evaluate.js';
import { stepReport, type ReplayCheck } from '#shared/evidence/replay.js';
import type { CheckId } from '#shared/checks/ids.js';
import type { CheckResult } from '#shared/checks/result.js';
import { alertForTransition, noncompliantChecks, type OutboxRow } from '../alerts/outbox.js';
import { OWNER_FROM_REPORT_SET } from '../people/ingest-owner.js';
import { storeReports } from './store.js';
import { OWNER_CHECK_ID, ownerResult } from '#shared/policy/owner-check.js';
import { membershipWindowsOf } from '../groups/dal.js';
import { groupsAt } from '#shared/policy/effective.js';
import { syncDevices } from '../groups/service.js';
import { reevaluateDevice } from '../exclusions/reevaluate.js';
import { unarchiveOnReport } from '../devices/lifecycle.js';

export interface VerifiedReport {
  payload: ReportPayload;
  jws: string;
  kid: string;
}

/** A report read back from the log for projection: its payload and when the collector stored it. */
export interface LoggedReport {
  payload: ReportPayload;
  receivedAt: Date;
}

interface DeviceRow {
  id: string;
  platform: string;
  hostname: string;
  state: string;
  last_report_at: Date | null;
  owned: boolean;
  archived: boolean;
}
interface CheckRow {
  device_id: string;
  check_id: CheckId;
  state: CheckState;
  since: Date;
  failing_since: Date | null;
  /** The stored result, so a partial report (check-now of some checks) keeps the others. */
  result?: CheckResult;
  report_id?: string;
  collected_at?: Date;
}

const asJson = (v: unknown) => JSON.stringify(v);

const sameTime = (a: Date | string | null | undefined, b: Date | string | null | undefined) =>
  (a == null && b == null) || (a != null && b != null && new Date(a).getTime() === new Date(b).getTime());

/** JSON with object keys sorted: jsonb hands objects back with its own key order. */
function stableJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`).join(',')}}`;
}

function replayStates(prev: Map<CheckId, CheckRow>): Map<CheckId, ReplayCheck> {
  const m = new Map<CheckId, ReplayCheck>();
  for (const [id, c] of prev) m.set(id, { state: c.state, failingSince: c.failing_since ? new Date(c.failing_since) : null, result: c.result });
  return m;
}

export interface ApplyResult {
  /** report ids that were newly stored (the rest were duplicates) */
  stored: Set<string>;
}

/**
 * Store and apply in one transaction (the pre-projector ingest, kept for the apply profile
 * in scripts/bench/apply-profile.ts and for tools that load a log in one go).
 */
export async function applyBatch(q: Queryable, policy: Policy, batch: VerifiedReport[], alertOn: string[]): Promise<ApplyResult> {
  const stored = await storeReports(q, batch);
  const now = new Date();
  await applyReports(q, policy, batch.filter((r) => stored.has(r.payload.reportId)).map((r) => ({ payload: r.payload, receivedAt: now })), alertOn);
  return { stored };
}

/** Apply reports (already in the log) to check_states, devices, state_events, alert_outbox and commands. */
export async function applyReports(q: Queryable, policy: Policy, fresh: LoggedReport[], alertOn: string[]): Promise<void> {
  if (fresh.length === 0) return;
  const freshIds = [...new Set(fresh.map((r) => r.payload.deviceId))];
  const freshJson = asJson(freshIds);
  // Lock the devices so an exclusion re-evaluation and the projector do not interleave on one
  // device. NO KEY UPDATE, not UPDATE: the socket path's INSERT INTO reports takes KEY SHARE on
  // the device row (foreign key), which FOR UPDATE would block for the whole projection pass.
  const devs = await q.query<DeviceRow>(
    `SELECT id, platform, hostname, state, last_report_at, owner_person_id IS NOT NULL AS owned, archived_at IS NOT NULL AS archived FROM devices WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb)) ORDER BY id FOR NO KEY UPDATE`,
    [freshJson],
  );
  const checks = await q.query<
    CheckRow & { agent_status: CheckResult['status']; summary: string; evidence: CheckResult['evidence']; remediation: CheckResult['remediation']; deadline: Date | null; reasons: unknown }
  >(
    `SELECT device_id, check_id, state, since, failing_since, deadline, reasons, agent_status, summary, evidence, remediation, report_id, collected_at
       FROM check_states WHERE device_id IN (SELECT jsonb_array_elements_text($1::jsonb))`,
    [freshJson],
  );
  const storedChecks = new Map<string, (typeof checks.rows)[number]>();
  for (const c of checks.rows) {
    c.result = { id: c.check_id, status: c.agent_status, summary: c.summary, evidence: c.evidence, remediation: c.remediation };
    storedChecks.set(`${c.device_id}\0${c.check_id}`, c);
  }
  const excl = await q.query<{ device_id: string; check_id: string; expires_at: Date }>(
    `SELECT device_id, check_id, expires_at FROM exclusions
      WHERE device_id IN (SELECT jsonb_array_elements_text($1::jsonb)) AND revoked_at IS NULL AND expires_at > now()`,
    [freshJson],
  );

  const prevByDevice = new Map<string, Map<CheckId, CheckRow>>();
  for (const c of checks.rows) {
    let m = prevByDevice.get(c.device_id);
    if (!m) prevByDevice.set(c.device_id, (m = new Map()));
    m.set(c.check_id, c);
  }
  const exclByDevice = new Map<string, ActiveExclusion[]>();
  for (const e of excl.rows) {
    const list = exclByDevice.get(e.device_id) ?? [];
    list.push({ checkId: e.check_id as CheckId | '*', expiresAt: new Date(e.expires_at) });
    exclByDevice.set(e.device_id, list);
  }

  // Each device's membership windows since its oldest fresh report: a report is judged under
  // the groups in force when it was collected (groupsAt, the verifier's reading too), so a late
  // report that predates a membership change is judged as the bundle will replay it.
  const oldest = new Date(Math.min(...fresh.map((r) => Date.parse(r.payload.collectedAt))));
  const windowsByDevice = await membershipWindowsOf(q, freshIds, Number.isFinite(oldest.getTime()) ? oldest : new Date(0));
  // Devices whose last applied report was judged under other groups than they are in now:
  // re-evaluated under the current groups once the reports are written (no stale verdict now).
  const regroup: string[] = [];
  const checkUpserts: object[] = [];
  const moved: string[] = [];
  const events: object[] = [];
  const deviceUpdates: object[] = [];
  const outbox: OutboxRow[] = [];
  const completedCommands: object[] = [];
  const projectedCount: { id: string; n: number; received_at: string }[] = [];

  for (const dev of devs.rows) {
    const all = fresh.filter((r) => r.payload.deviceId === dev.id);
    const receivedAt = new Date(Math.max(...all.map((r) => r.receivedAt.getTime())));
    const mine = all
      .sort((a, b) => a.payload.collectedAt.localeCompare(b.payload.collectedAt) || a.payload.seq - b.payload.seq);
    let lastAt = dev.last_report_at ? new Date(dev.last_report_at).getTime() : -Infinity;
    let devState = dev.state;
    const prev = prevByDevice.get(dev.id) ?? new Map<CheckId, CheckRow>();
    let latest: { r: LoggedReport; ev: ReturnType<typeof stepReport>['evaluation']; at: Date } | null = null;
    for (const r of mine) {
      const m = /^check-now:(.+)$/.exec(r.payload.trigger ?? '');
      if (m) completedCommands.push({ id: m[1], device_id: dev.id, report_id: r.payload.reportId });
      const at = new Date(r.payload.collectedAt);
      // A report older than what we already applied is kept as evidence but does not rewind state.
      if (at.getTime() < lastAt) continue;
      lastAt = at.getTime();
      // The shared step (shared/src/evidence/replay.ts) decides the transitions, so the offline
      // verifier replaying the signed reports reaches the same ones. A report may carry only some
      // checks (check-now of a subset): the others keep their last result.
      const stepped = stepReport({
        policy, platform: dev.platform, reported: r.payload.checks, previous: replayStates(prev), exclusions: exclByDevice.get(dev.id) ?? [], at,
        groups: groupsAt(windowsByDevice.get(dev.id), at), owner: { assigned: dev.owned, tracked: prev.has(OWNER_CHECK_ID) },
      });
      const ev = stepped.evaluation;
      const changed = new Map(stepped.changed.map((t) => [t.checkId, t]));
      for (const c of ev.checks) {
        const before = prev.get(c.id);
        const t = changed.get(c.id);
        if (t) {
          events.push({ device_id: dev.id, check_id: c.id, from_state: t.from, to_state: t.to, at: at.toISOString(), report_id: r.payload.reportId, detail: { reasons: t.reasons } });
        }
        const res = c.id === OWNER_CHECK_ID ? ownerResult(c) : r.payload.checks.find((x) => x.id === c.id);
        prev.set(c.id, {
          device_id: dev.id,
          check_id: c.id,
          state: c.state,
          since: !before || before.state !== c.state ? at : before.since,
          failing_since: c.failingSince,
          result: res ?? before?.result,
          report_id: res ? r.payload.reportId : (before?.report_id ?? r.payload.reportId),
          collected_at: res ? at : (before?.collected_at ?? at),
        });
      }
      if (devState !== ev.state) {
        events.push({ device_id: dev.id, check_id: '*', from_state: devState, to_state: ev.state, at: at.toISOString(), report_id: r.payload.reportId, detail: { failing: ev.failingChecks } });
        const alert = alertForTransition(alertOn, dev.id, dev.hostname, devState, ev.state, at, noncompliantChecks(ev));
        if (alert) outbox.push(alert);
        devState = ev.state;
      }
      latest = { r, ev, at };
    }
    // Every report counts as applied, including one older than the state it cannot rewind.
    projectedCount.push({ id: dev.id, n: all.length, received_at: receivedAt.toISOString() });
    if (!latest) continue;
    const { r, ev, at } = latest;
    const windows = windowsByDevice.get(dev.id);
    const now = [...new Set((windows ?? []).filter((w) => w.until === Infinity).map((w) => w.group))].sort();
    if (groupsAt(windows, at).join('\0') !== now.join('\0')) regroup.push(dev.id);
    for (const c of ev.checks) {
      const p = prev.get(c.id)!;
      const res = p.result;
      const row = storedChecks.get(`${dev.id}\0${c.id}`);
      // Most reports change nothing: skip the write (the upsert's WHERE would skip it too,
      // but not sending the row saves the conflict lookup and jsonb comparison).
      if (
        row &&
        row.state === c.state &&
        row.agent_status === (res?.status ?? 'unknown') &&
        row.summary === (res?.summary ?? 'no result reported') &&
        sameTime(row.since, p.since) &&
        sameTime(row.failing_since, c.failingSince) &&
        sameTime(row.deadline, c.deadline) &&
        stableJson(row.reasons) === stableJson(c.reasons) &&
        stableJson(row.evidence) === stableJson(res?.evidence ?? {}) &&
        stableJson(row.remediation) === stableJson(res?.remediation ?? { steps: [] })
      )
        continue;
      checkUpserts.push({
        device_id: dev.id,
        check_id: c.id,
        agent_status: res?.status ?? 'unknown',
        state: c.state,
        since: new Date(p.since).toISOString(),
        failing_since: c.failingSince?.toISOString() ?? null,
        deadline: c.deadline?.toISOString() ?? null,
        summary: res?.summary ?? 'no result reported',
        reasons: c.reasons,
        evidence: res?.evidence ?? {},
        remediation: res?.remediation ?? { steps: [] },
        report_id: p.report_id ?? r.payload.reportId,
        collected_at: new Date(p.collected_at ?? at).toISOString(),
      });
    }
    let inv = r.payload.inventory;
    // A report may leave out an unchanged software list (FEATURE_SOFTWARE_DELTA): the list comes
    // from an earlier report of this batch with the same hash, else the UPDATE below keeps the
    // stored one when its hash matches, and drops it (unknown until the agent sends it, at least
    // daily) when it does not, so a device never shows a list it did not report under that hash.
    if (!inv.software && inv.softwareHash) {
      const same = [...mine].reverse().find((x) => x.payload.inventory.software && x.payload.inventory.softwareHash === inv.softwareHash);
      if (same) inv = { ...inv, software: same.payload.inventory.software };
    }
    if (inv.hostname !== dev.hostname || inv.os.platform !== dev.platform) moved.push(dev.id);
    deviceUpdates.push({
      id: dev.id,
      hostname: inv.hostname,
      platform: inv.os.platform,
      os_name: inv.os.distro ?? null,
      os_version: inv.os.release ?? null,
      model: inv.hardware.model ?? null,
      serial: inv.hardware.serial ?? null,
      owner: inv.users[0] ?? null,
      agent_version: r.payload.agentVersion,
      inventory: inv,
      last_report_at: at.toISOString(),
      last_seq: r.payload.seq,
      state: ev.state,
      state_changed: ev.state !== dev.state,
      failing_checks: ev.failingChecks,
      next_deadline: ev.nextDeadline?.toISOString() ?? null,
      spool_evicted: r.payload.spool?.evicted ?? 0,
      received_at: receivedAt.toISOString(),
    });
  }

  if (checkUpserts.length)
    await q.query(
      `INSERT INTO check_states (device_id, check_id, agent_status, state, since, failing_since, deadline, summary, reasons, evidence, remediation, report_id, collected_at)
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(device_id text, check_id text, agent_status text, state text, since timestamptz, failing_since timestamptz,
         deadline timestamptz, summary text, reasons jsonb, evidence jsonb, remediation jsonb, report_id text, collected_at timestamptz)
       ON CONFLICT (device_id, check_id) DO UPDATE SET agent_status = EXCLUDED.agent_status, state = EXCLUDED.state, since = EXCLUDED.since,
         failing_since = EXCLUDED.failing_since, deadline = EXCLUDED.deadline, summary = EXCLUDED.summary, reasons = EXCLUDED.reasons,
         evidence = EXCLUDED.evidence, remediation = EXCLUDED.remediation, report_id = EXCLUDED.report_id, collected_at = EXCLUDED.collected_at
       -- An unchanged result is not rewritten: report_id/collected_at then name the report in which
       -- this exact result was first seen, and most reports (nothing changed) write no check rows.
       WHERE (check_states.agent_status, check_states.state, check_states.since, check_states.failing_since, check_states.deadline,
              check_states.summary, check_states.reasons, check_states.evidence, check_states.remediation)
         IS DISTINCT FROM (EXCLUDED.agent_status, EXCLUDED.state, EXCLUDED.since, EXCLUDED.failing_since, EXCLUDED.deadline,
              EXCLUDED.summary, EXCLUDED.reasons, EXCLUDED.evidence, EXCLUDED.remediation)`,
      [asJson(checkUpserts)],
    );
  if (events.length)
    await q.query(
      `INSERT INTO state_events (device_id, check_id, from_state, to_state, at, report_id, detail)
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(device_id text, check_id text, from_state text, to_state text, at timestamptz, report_id text, detail jsonb)`,
      [asJson(events)],
    );
  if (deviceUpdates.length)
    await q.query(
      `UPDATE devices d SET hostname = x.hostname, platform = x.platform, os_name = x.os_name, os_version = x.os_version, model = x.model,
         serial = x.serial, ${OWNER_FROM_REPORT_SET}, agent_version = x.agent_version,
         -- keep the stored value when equal, so an unchanged inventory is not written to TOAST again
         inventory = CASE
           WHEN NOT (x.inventory ? 'software') AND x.inventory ? 'softwareHash' AND d.inventory ? 'software'
                AND d.inventory->>'softwareHash' = x.inventory->>'softwareHash'
             THEN CASE WHEN d.inventory = x.inventory || jsonb_build_object('software', d.inventory->'software') THEN d.inventory
                       ELSE x.inventory || jsonb_build_object('software', d.inventory->'software') END
           WHEN d.inventory = x.inventory THEN d.inventory ELSE x.inventory END,
         last_report_at = x.last_report_at,
         last_seq = x.last_seq, state = x.state, state_since = CASE WHEN x.state_changed THEN x.last_report_at ELSE d.state_since END,
         failing_checks = ARRAY(SELECT jsonb_array_elements_text(x.failing_checks)), next_deadline = x.next_deadline,
         spool_evicted = GREATEST(d.spool_evicted, x.spool_evicted),
         -- a stored report is a contact; the gateway records the others (presence)
         last_seen_at = GREATEST(d.last_seen_at, x.received_at),
         reports_projected = d.reports_projected + p.n
       FROM jsonb_to_recordset($1::jsonb) AS x(id text, hostname text, platform text, os_name text, os_version text, model text, serial text,
         owner text, agent_version text, inventory jsonb, last_report_at timestamptz, last_seq bigint, state text, state_changed boolean,
         failing_checks jsonb, next_deadline timestamptz, spool_evicted bigint, received_at timestamptz),
         jsonb_to_recordset($2::jsonb) AS p(id text, n bigint)
       WHERE d.id = x.id AND p.id = x.id`,
      [asJson(deviceUpdates), asJson(projectedCount)],
    );
  // Devices whose reports were all older than their state: counted, not otherwise changed.
  const updated = new Set(deviceUpdates.map((d) => (d as { id: string }).id));
  const countOnly = projectedCount.filter((c) => !updated.has(c.id));
  if (countOnly.length)
    await q.query(
      `UPDATE devices d SET reports_projected = d.reports_projected + p.n, last_seen_at = GREATEST(d.last_seen_at, p.received_at)
         FROM jsonb_to_recordset($1::jsonb) AS p(id text, n bigint, received_at timestamptz) WHERE d.id = p.id`,
      [asJson(countOnly)],
    );
  // After the late reports' own verdicts (events at their collection times), the verdict under
  // the groups of now: events at this moment, which the verifier replays as a re-evaluation.
  for (const id of regroup) await reevaluateDevice(q, policy, id, alertOn, { groupsChanged: true, lateReport: true, by: 'system:ingest' });
  if (moved.length) {
    // A new hostname or platform can move the device into or out of rule groups: its
    // verdict then follows the new groups' overrides now, not at the next report.
    const changes = await syncDevices(q, moved, 'system:ingest');
    for (const id of new Set(changes.map((c) => c.deviceId))) await reevaluateDevice(q, policy, id, alertOn, { groupsChanged: true, by: 'system:ingest' });
  }
  if (outbox.length)
    await q.query(
      `INSERT INTO alert_outbox (dedupe_key, kind, device_id, payload)
       SELECT dedupe_key, kind, device_id, payload FROM jsonb_to_recordset($1::jsonb) AS x(dedupe_key text, kind text, device_id text, payload jsonb)
       ON CONFLICT (dedupe_key) DO NOTHING`,
      [asJson(outbox)],
    );
  if (completedCommands.length)
    await q.query(
      `UPDATE commands c SET completed_at = now(), result = jsonb_build_object('reportId', x.report_id)
       FROM jsonb_to_recordset($1::jsonb) AS x(id text, device_id text, report_id text) WHERE c.id = x.id AND c.device_id = x.device_id AND c.completed_at IS NULL`,
      [asJson(completedCommands)],
    );
  // An archived device that reports again is back in use: un-archived, with an audit entry
  // (devices/lifecycle.ts). Last, so the audit chain lock is held only until this commit.
  const archived = devs.rows.filter((d) => d.archived).map((d) => d.id);
  if (archived.length) await unarchiveOnReport(q, archived);
}
