/**
 * Evidence reads. Everything that can grow with the fleet is read in keyset pages (id > last
 * id, LIMIT n), so an export of 20,000 devices × 90 days holds one page in memory at a time.
 * Device sets are passed as a JSON array (jsonb_array_elements_text), which PGlite and
 * node-postgres both accept.
 */
import type { Queryable } from '../db/types.js';
import type { Policy } from '#shared/policy/schema.js';
import type { ExclusionWindow, HistEvent, ReportRun } from '#shared/evidence/history.js';

export const PAGE = 500;
const IN_IDS = 'IN (SELECT jsonb_array_elements_text($1::jsonb))';
/**
 * State events plus, per device and check, the last event retention pruned
 * (state_event_baseline, migration 091): "the state before the period" stays known when its
 * event is older than the retention. A baseline row is older than every remaining event.
 */
const EVENTS_WITH_BASELINE = `(SELECT device_id, check_id, from_state, to_state, at, id FROM state_events
   UNION ALL SELECT device_id, check_id, from_state, to_state, at, 0 AS id FROM state_event_baseline) se`;

export interface EvidenceDevice {
  id: string;
  hostname: string;
  platform: string;
  os_name: string | null;
  os_version: string | null;
  model: string | null;
  serial: string | null;
  owner: string | null;
  state: string;
  enrolled_at: Date;
  last_report_at: Date | null;
  last_seen_at: Date | null;
  revoked_at: Date | null;
}

/**
 * A one-group bundle (?group=): only devices that were members of the group at some point of
 * [from, to) (membership windows, migration 041). `$g`, `$f`, `$t` are the parameter numbers.
 */
const inGroup = (col: string, g: number, f: number, t: number) =>
  `AND ($${g}::text IS NULL OR ${col} IN (SELECT device_id FROM device_group_members WHERE lower(group_name) = lower($${g}::text) AND since < $${t} AND (until IS NULL OR until > $${f})))`;

/** Devices that existed at some point of [from, to), in id order after `afterId`. */
export async function devicePage(q: Queryable, from: Date, to: Date, afterId: string, limit = PAGE, group: string | null = null): Promise<EvidenceDevice[]> {
  const r = await q.query<EvidenceDevice>(
    `SELECT id, hostname, platform, os_name, os_version, model, serial, owner, state, enrolled_at, last_report_at, last_seen_at, revoked_at
       FROM devices WHERE enrolled_at < $1 AND (revoked_at IS NULL OR revoked_at > $2) AND id > $3 ${inGroup('id', 5, 2, 1)} ORDER BY id LIMIT $4`,
    [to, from, afterId, limit, group],
  );
  return r.rows;
}

export async function getEvidenceDevice(q: Queryable, id: string): Promise<EvidenceDevice | null> {
  const r = await q.query<EvidenceDevice>(
    `SELECT id, hostname, platform, os_name, os_version, model, serial, owner, state, enrolled_at, last_report_at, last_seen_at, revoked_at FROM devices WHERE id = $1`,
    [id],
  );
  return r.rows[0] ?? null;
}

export interface DeviceInputs {
  events: Map<string, HistEvent[]>;
  runs: Map<string, ReportRun[]>;
  exclusions: Map<string, (ExclusionWindow & { id: string })[]>;
  current: Map<string, Map<string, string>>;
}

const group = <T>(m: Map<string, T[]>, k: string, v: T) => {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
};

/** What deviceHistory() needs for a page of devices, in four queries. */
export async function historyInputs(q: Queryable, ids: string[], from: Date, to: Date, staleAfterHours: number): Promise<DeviceInputs> {
  const idJson = JSON.stringify(ids);
  const events = new Map<string, HistEvent[]>();
  // The state each check was in when the period began: its last transition before `from`.
  const before = await q.query<{ device_id: string; check_id: string; to_state: string; at: Date }>(
    `SELECT DISTINCT ON (device_id, check_id) device_id, check_id, to_state, at FROM ${EVENTS_WITH_BASELINE}
      WHERE device_id ${IN_IDS} AND at < $2 AND check_id <> '*' ORDER BY device_id, check_id, at DESC, id DESC`,
    [idJson, from],
  );
  for (const e of before.rows) group(events, e.device_id, { checkId: e.check_id, toState: e.to_state, at: new Date(e.at) });
  const inside = await q.query<{ device_id: string; check_id: string; to_state: string; at: Date }>(
    `SELECT device_id, check_id, to_state, at FROM state_events
      WHERE device_id ${IN_IDS} AND at >= $2 AND at < $3 AND check_id <> '*' ORDER BY device_id, at, id`,
    [idJson, from, to],
  );
  for (const e of inside.rows) group(events, e.device_id, { checkId: e.check_id, toState: e.to_state, at: new Date(e.at) });

  // Only the first and last report of each run (no gap > stale inside a run) come back, so a
  // device reporting every 15 minutes for 90 days costs two rows, not 8,640.
  const runs = new Map<string, ReportRun[]>();
  const rr = await q.query<{ device_id: string; collected_at: Date; starts: boolean; ends: boolean }>(
    `SELECT device_id, collected_at, starts, ends FROM (
       SELECT device_id, collected_at,
              (lag(collected_at) OVER w IS NULL OR collected_at - lag(collected_at) OVER w > $4 * interval '1 hour') AS starts,
              (lead(collected_at) OVER w IS NULL OR lead(collected_at) OVER w - collected_at > $4 * interval '1 hour') AS ends
         FROM reports WHERE device_id ${IN_IDS} AND collected_at >= $2 AND collected_at < $3
       WINDOW w AS (PARTITION BY device_id ORDER BY collected_at)) x
      WHERE starts OR ends ORDER BY device_id, collected_at`,
    [idJson, new Date(from.getTime() - staleAfterHours * 3_600_000), to, staleAfterHours],
  );
  for (const r of rr.rows) {
    const t = new Date(r.collected_at);
    if (r.starts) group(runs, r.device_id, { first: t, last: t });
    else {
      const l = runs.get(r.device_id);
      if (l?.length) l[l.length - 1].last = t;
    }
  }

  const exclusions = new Map<string, (ExclusionWindow & { id: string })[]>();
  const ex = await q.query<{ id: string; device_id: string; check_id: string; created_at: Date; expires_at: Date; revoked_at: Date | null }>(
    `SELECT id, device_id, check_id, created_at, expires_at, revoked_at FROM exclusions
      WHERE device_id ${IN_IDS} AND created_at < $3 AND LEAST(expires_at, COALESCE(revoked_at, expires_at)) > $2`,
    [idJson, from, to],
  );
  for (const e of ex.rows) {
    const end = e.revoked_at && new Date(e.revoked_at) < new Date(e.expires_at) ? e.revoked_at : e.expires_at;
    group(exclusions, e.device_id, { id: e.id, checkId: e.check_id, from: new Date(e.created_at), to: new Date(end) });
  }

  const current = new Map<string, Map<string, string>>();
  const cs = await q.query<{ device_id: string; check_id: string; state: string }>(`SELECT device_id, check_id, state FROM check_states WHERE device_id ${IN_IDS}`, [idJson]);
  for (const c of cs.rows) {
    let m = current.get(c.device_id);
    if (!m) current.set(c.device_id, (m = new Map()));
    m.set(c.check_id, c.state);
  }
  return { events, runs, exclusions, current };
}

export interface EventRow {
  id: string;
  device_id: string;
  hostname: string | null;
  check_id: string;
  from_state: string | null;
  to_state: string;
  at: Date;
  /** The exact stored time as text (microseconds kept), for the keyset cursor. */
  at_key: string;
  report_id: string | null;
  detail: { reasons?: string[] } | null;
}
/** Keyset cursor over (time, tie-breaker); the time travels as text so no precision is lost. */
export interface TimeCursor {
  at: string;
  id: string;
}

/** State changes in the period in time order, keyset on (at, id) over state_events_at_idx. */
export async function eventPage(q: Queryable, from: Date, to: Date, after: TimeCursor | null, limit = 5000, group: string | null = null): Promise<EventRow[]> {
  const r = await q.query<EventRow>(
    `SELECT e.id::text AS id, e.device_id, d.hostname, e.check_id, e.from_state, e.to_state, e.at, e.at::text AS at_key, e.report_id, e.detail
       FROM state_events e LEFT JOIN devices d ON d.id = e.device_id
      WHERE e.at >= $1 AND e.at < $2 AND ($3::timestamptz IS NULL OR (e.at, e.id) > ($3::timestamptz, $4::bigint)) ${inGroup('e.device_id', 6, 1, 2)}
      ORDER BY e.at, e.id LIMIT $5`,
    [from, to, after?.at ?? null, after?.id ?? '0', limit, group],
  );
  return r.rows;
}

export interface ReportRow {
  report_id: string;
  device_id: string;
  seq: string;
  kid: string;
  collected_at: Date;
  at_key: string;
  received_at: Date;
  jws: string;
}
/** Reports collected in the period in time order, keyset on (collected_at, report_id) over reports_time_idx. */
export async function reportPage(q: Queryable, from: Date, to: Date, after: TimeCursor | null, limit = 1000, group: string | null = null): Promise<ReportRow[]> {
  const r = await q.query<ReportRow>(
    `SELECT report_id, device_id, seq::text AS seq, kid, collected_at, collected_at::text AS at_key, received_at, jws FROM reports
      WHERE collected_at >= $1 AND collected_at < $2 AND ($3::timestamptz IS NULL OR (collected_at, report_id) > ($3::timestamptz, $4)) ${inGroup('device_id', 6, 1, 2)}
      ORDER BY collected_at, report_id LIMIT $5`,
    [from, to, after?.at ?? null, after?.id ?? '', limit, group],
  );
  return r.rows;
}

export interface ExclusionRow {
  id: string;
  device_id: string;
  hostname: string | null;
  check_id: string;
  rationale: string;
  approved_by: string;
  created_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  revoked_by: string | null;
}
/** Exclusions in force at some point of the period. */
export async function exclusionPage(q: Queryable, from: Date, to: Date, afterId: string, limit = 2000, group: string | null = null): Promise<ExclusionRow[]> {
  const r = await q.query<ExclusionRow>(
    `SELECT x.id, x.device_id, d.hostname, x.check_id, x.rationale, x.approved_by, x.created_at, x.expires_at, x.revoked_at, x.revoked_by
       FROM exclusions x LEFT JOIN devices d ON d.id = x.device_id
      WHERE x.created_at < $2 AND LEAST(x.expires_at, COALESCE(x.revoked_at, x.expires_at)) > $1 AND x.id > $3 ${inGroup('x.device_id', 5, 1, 2)} ORDER BY x.id LIMIT $4`,
    [from, to, afterId, limit, group],
  );
  return r.rows;
}

export interface KeyRow {
  kid: string;
  device_id: string;
  public_jwk: Record<string, unknown>;
  created_at: Date;
  retired_at: Date | null;
  revoked_at: Date | null;
}
export async function keysByKid(q: Queryable, kids: string[]): Promise<KeyRow[]> {
  const r = await q.query<KeyRow>(
    `SELECT kid, device_id, public_jwk, created_at, retired_at, revoked_at FROM device_keys WHERE kid ${IN_IDS} ORDER BY kid`,
    [JSON.stringify(kids)],
  );
  return r.rows;
}

export interface PolicyRow {
  id: number;
  policy: Policy;
  source: string;
  created_at: Date;
  created_by: string;
  comment: string | null;
}
/** Every policy version recorded before `to` (the history), newest last. Small: one row per change. */
export async function policyVersionsUntil(q: Queryable, to: Date): Promise<PolicyRow[]> {
  const r = await q.query<PolicyRow>(
    'SELECT id::int AS id, policy, source, created_at, created_by, comment FROM policy_versions WHERE created_at < $1 ORDER BY id',
    [to],
  );
  return r.rows;
}

export interface EdgeReport {
  report_id: string;
  device_id: string;
  kid: string;
  collected_at: Date;
  received_at: Date;
  jws: string;
}
export interface DeviceEdges {
  before: Map<string, EdgeReport>;
  after: Map<string, EdgeReport>;
  lastSeq: Map<string, number | null>;
  /** Per device and check: the state at `from` and, when failing, since when (entry into failing). */
  start: Map<string, Record<string, StartState>>;
}
/** A check's state when the period began: `since` = time of its last transition before the period. */
export interface StartState {
  state: string;
  since: string;
  failingSince: string | null;
}

/**
 * The edges of the period for a page of devices: the last report before it, the first after
 * it, the device's last applied sequence number, and each check's state when the period began
 * (with the time it started failing, which the grace deadline counts from).
 */
export async function edgesFor(q: Queryable, ids: string[], from: Date, to: Date): Promise<DeviceEdges> {
  const idJson = JSON.stringify(ids);
  const cols = 'report_id, device_id, kid, collected_at, received_at, jws';
  const before = await q.query<EdgeReport>(
    `SELECT DISTINCT ON (device_id) ${cols} FROM reports WHERE device_id ${IN_IDS} AND collected_at < $2 ORDER BY device_id, collected_at DESC, report_id DESC`,
    [idJson, from],
  );
  const after = await q.query<EdgeReport>(
    `SELECT DISTINCT ON (device_id) ${cols} FROM reports WHERE device_id ${IN_IDS} AND collected_at >= $2 ORDER BY device_id, collected_at, report_id`,
    [idJson, to],
  );
  const seqs = await q.query<{ id: string; last_seq: string | null }>(`SELECT id, last_seq::text AS last_seq FROM devices WHERE id ${IN_IDS}`, [idJson]);
  const last = await q.query<{ device_id: string; check_id: string; to_state: string; at: Date }>(
    `SELECT DISTINCT ON (device_id, check_id) device_id, check_id, to_state, at FROM ${EVENTS_WITH_BASELINE}
      WHERE device_id ${IN_IDS} AND at < $2 AND check_id <> '*' ORDER BY device_id, check_id, at DESC, id DESC`,
    [idJson, from],
  );
  const entered = await q.query<{ device_id: string; check_id: string; at: Date }>(
    `SELECT DISTINCT ON (device_id, check_id) device_id, check_id, at FROM (
       SELECT device_id, check_id, at, id FROM state_events
        WHERE device_id ${IN_IDS} AND at < $2 AND check_id <> '*' AND to_state IN ('failing', 'noncompliant')
          AND (from_state IS NULL OR from_state NOT IN ('failing', 'noncompliant'))
       -- the entry into failing of a check whose failing history retention pruned
       UNION ALL SELECT device_id, check_id, failing_since, 0 FROM state_event_baseline
        WHERE device_id ${IN_IDS} AND failing_since IS NOT NULL AND failing_since < $2 AND check_id <> '*') x
      ORDER BY device_id, check_id, at DESC, id DESC`,
    [idJson, from],
  );
  const enteredAt = new Map(entered.rows.map((e) => [`${e.device_id}\0${e.check_id}`, new Date(e.at).toISOString()]));
  const start = new Map<string, Record<string, StartState>>();
  for (const e of last.rows) {
    let m = start.get(e.device_id);
    if (!m) start.set(e.device_id, (m = {}));
    const failing = e.to_state === 'failing' || e.to_state === 'noncompliant';
    m[e.check_id] = { state: e.to_state, since: new Date(e.at).toISOString(), failingSince: failing ? (enteredAt.get(`${e.device_id}\0${e.check_id}`) ?? null) : null };
  }
  return {
    before: new Map(before.rows.map((r) => [r.device_id, r])),
    after: new Map(after.rows.map((r) => [r.device_id, r])),
    lastSeq: new Map(seqs.rows.map((r) => [r.id, r.last_seq === null ? null : Number(r.last_seq)])),
    start,
  };
}
