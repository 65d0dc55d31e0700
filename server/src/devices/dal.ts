/** Device reads shared by the API and the dashboard. Filtering, sorting and paging happen in SQL. */
import type { Db } from '../db/types.js';
import { ApiError } from '../shared/errors.js';
import { CONNECTED_SQL, LAST_CONTACT_SQL } from '../gateway/presence.js';
import { LIVE_SQL } from './lifecycle.js';

export interface DeviceListQuery {
  state?: string;
  failingCheck?: string;
  platform?: string;
  osVersion?: string;
  q?: string;
  seenBefore?: string;
  seenAfter?: string;
  sort?: 'hostname' | 'last_seen' | 'state' | 'os' | 'owner' | 'deadline';
  /** Current members of this device group (by name, case-insensitive). */
  group?: string;
  order?: 'asc' | 'desc';
  limit?: number;
  offset?: number;
  includeRevoked?: boolean;
  /** true: only archived devices (the "Archived" view); default: archived devices are hidden. */
  archived?: boolean;
}

export interface DeviceSummary {
  id: string;
  hostname: string;
  platform: string;
  os_name: string | null;
  os_version: string | null;
  model: string | null;
  serial: string | null;
  owner: string | null;
  agent_version: string | null;
  state: string;
  state_since: Date;
  failing_checks: string[];
  next_deadline: Date | null;
  /** Last contact (connect, disconnect, report); now() while connected. */
  last_seen_at: Date | null;
  last_report_at: Date | null;
  enrolled_at: Date;
  revoked_at: Date | null;
  archived_at: Date | null;
  archived_by: string | null;
  archive_reason: string | null;
  owner_person_id: string | null;
  owner_source: string | null;
  inferred_owner: string | null;
  offboard_since: Date | null;
  offboard_deadline: Date | null;
  offboard_outcome: string | null;
  offboard_outcome_at: Date | null;
  reported_after_offboard_at: Date | null;
  /** Socket held by a live collector right now (gateway/presence.ts). */
  connected: boolean;
  connected_since: Date | null;
  disconnected_at: Date | null;
}

const SORTS: Record<NonNullable<DeviceListQuery['sort']>, string> = {
  hostname: 'lower(hostname)',
  last_seen: LAST_CONTACT_SQL,
  state: 'state',
  os: 'platform, os_version',
  owner: 'owner',
  deadline: 'next_deadline',
};

export const DEVICE_COLUMNS = `id, hostname, platform, os_name, os_version, model, serial, owner, agent_version, state, state_since,
  failing_checks, next_deadline, ${LAST_CONTACT_SQL} AS last_seen_at, last_report_at, enrolled_at, revoked_at, archived_at, archived_by, archive_reason,
  ${CONNECTED_SQL} AS connected, connected_since, disconnected_at,
  owner_person_id, owner_source, inferred_owner, offboard_since, offboard_deadline, offboard_outcome, offboard_outcome_at, reported_after_offboard_at`;

/** Whether the device's socket is held by a live collector now, wherever that is. */
export async function isConnected(db: Db, id: string): Promise<boolean> {
  const r = await db.query<{ connected: boolean }>(`SELECT ${CONNECTED_SQL} AS connected FROM devices WHERE id = $1`, [id]);
  return r.rows[0]?.connected === true;
}

export async function listDevices(db: Db, f: DeviceListQuery): Promise<{ total: number; items: DeviceSummary[] }> {
  const where: string[] = [];
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  // A deleted device (tombstone, devices/lifecycle.ts) is gone from the API; an archived one
  // shows only when asked for.
  where.push(LIVE_SQL, f.archived ? 'archived_at IS NOT NULL' : 'archived_at IS NULL');
  // "revoked" is not an evaluated state but the help desk's filter for revoked devices (issue 18 #5).
  if (f.state === 'revoked') where.push('revoked_at IS NOT NULL');
  else {
    if (!f.includeRevoked) where.push('revoked_at IS NULL');
    if (f.state) where.push(`state = ${p(f.state)}`);
  }
  if (f.failingCheck) where.push(`${p(f.failingCheck)} = ANY(failing_checks)`);
  if (f.platform) where.push(`platform = ${p(f.platform)}`);
  if (f.group) where.push(`id IN (SELECT device_id FROM device_group_members WHERE until IS NULL AND lower(group_name) = lower(${p(f.group)}))`);
  if (f.osVersion) where.push(`os_version LIKE ${p(f.osVersion.replace(/[%_\\]/g, '\\$&') + '%')}`);
  if (f.q) {
    const like = p('%' + f.q.toLowerCase().replace(/[%_\\]/g, '\\$&') + '%');
    where.push(`(lower(hostname) LIKE ${like} OR lower(coalesce(serial,'')) LIKE ${like} OR lower(coalesce(owner,'')) LIKE ${like} OR id = ${p(f.q)})`);
  }
  if (f.seenBefore) where.push(`${LAST_CONTACT_SQL} < ${p(f.seenBefore)}`);
  if (f.seenAfter) where.push(`${LAST_CONTACT_SQL} >= ${p(f.seenAfter)}`);
  const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const order = `${SORTS[f.sort ?? 'hostname']} ${f.order === 'desc' ? 'DESC' : 'ASC'} NULLS LAST, id`;
  const limit = Math.min(Math.max(f.limit ?? 50, 1), 500);
  const offset = Math.max(f.offset ?? 0, 0);
  // Page and total as two queries in parallel: a `count(*) OVER ()` on the page query makes
  // PostgreSQL read every matching row before LIMIT (33 ms at 20,000 devices on an idle
  // machine), while the page alone walks the sort index and stops at 50 rows (0.4 ms).
  const [page, count] = await Promise.all([
    db.query<DeviceSummary>(`SELECT ${DEVICE_COLUMNS} FROM devices ${w} ORDER BY ${order} LIMIT ${limit} OFFSET ${offset}`, params),
    db.query<{ n: string }>(`SELECT count(*) AS n FROM devices ${w}`, params),
  ]);
  return { total: Number(count.rows[0].n), items: page.rows };
}

export async function getDevice(db: Db, id: string) {
  const d = await db.query<DeviceSummary & { inventory: unknown; fingerprint: string; revoked_by: string | null; spool_evicted: string; last_seq: string | null; reports_projected: string }>(
    `SELECT ${DEVICE_COLUMNS}, inventory, revoked_by, spool_evicted, last_seq, reports_projected FROM devices WHERE id = $1 AND ${LIVE_SQL}`,
    [id],
  );
  if (!d.rows[0]) return null;
  const checks = await db.query(
    // checked_at: when the check was last run. The row keeps the report where its result was
    // first seen; if the device's latest report carried this check, it was re-confirmed then.
    `SELECT c.check_id AS id, c.agent_status, c.state, c.since, c.failing_since, c.deadline, c.summary, c.reasons, c.evidence, c.remediation,
            c.report_id, c.collected_at,
            CASE WHEN lr.summary->'checks' ? c.check_id THEN GREATEST(c.collected_at, lr.collected_at) ELSE c.collected_at END AS checked_at
       FROM check_states c
       LEFT JOIN LATERAL (SELECT summary, collected_at FROM reports WHERE device_id = $1 ORDER BY collected_at DESC, report_id DESC LIMIT 1) lr ON true
      WHERE c.device_id = $1 ORDER BY c.check_id`,
    [id],
  );
  const exclusions = await db.query(
    `SELECT id, check_id, rationale, approved_by, created_at, expires_at FROM exclusions WHERE device_id = $1 AND revoked_at IS NULL AND expires_at > now() ORDER BY created_at DESC`,
    [id],
  );
  // The newest re-check still waiting for its result (delivered or queued for reconnect).
  const pending = await db.query<{ id: string; created_at: Date }>(
    `SELECT id, created_at FROM commands WHERE device_id = $1 AND command = 'check-now' AND completed_at IS NULL
        AND created_at > now() - interval '24 hours' ORDER BY created_at DESC LIMIT 1`,
    [id],
  );
  return { ...d.rows[0], checks: checks.rows, exclusions: exclusions.rows, pendingCheckNow: pending.rows[0] ?? null };
}

export async function deviceReports(db: Db, id: string, limit: number, cursor?: string) {
  // Cursor = "<collected_at ISO>|<report_id>" of the last row seen (keyset pagination).
  const params: unknown[] = [id];
  let cond = '';
  if (cursor) {
    const [at, rid] = cursor.split('|');
    // A cursor is only ever one we handed out; anything else is the caller's mistake, not a 500.
    if (!rid || !/^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/.test(at ?? '') || Number.isNaN(Date.parse(at!)))
      throw new ApiError(400, 'POSTURE_ERR_VALIDATION', 'querystring/cursor: not a cursor returned by this API (use nextCursor as given).');
    params.push(at, rid);
    cond = 'AND (collected_at, report_id) < ($2::timestamptz, $3)';
  }
  params.push(limit + 1);
  const r = await db.query<{ report_id: string; collected_at: Date; received_at: Date; seq: string; kid: string; trigger: string | null; summary: unknown; jws: string }>(
    `SELECT report_id, collected_at, received_at, seq, kid, trigger, summary, jws FROM reports
      WHERE device_id = $1 ${cond} ORDER BY collected_at DESC, report_id DESC LIMIT $${params.length}`,
    params,
  );
  const items = r.rows.slice(0, limit);
  const last = items[items.length - 1];
  const nextCursor = r.rows.length > limit && last ? `${new Date(last.collected_at).toISOString()}|${last.report_id}` : null;
  return { items, nextCursor };
}

export async function deviceEvents(db: Db, id: string, limit = 200) {
  return (await deviceEventsPage(db, id, limit)).items;
}

/** Newest first, keyset-paginated on (at, id): `before` is the nextBefore of the previous page. */
export async function deviceEventsPage(db: Db, id: string, limit: number, before?: string) {
  const params: unknown[] = [id];
  let cond = '';
  if (before) {
    const [at, eid] = before.split('|');
    if (!/^\d+$/.test(eid ?? '') || Number.isNaN(Date.parse(at ?? '')))
      throw new ApiError(400, 'POSTURE_ERR_VALIDATION', 'querystring/before: not a cursor returned by this API (use nextBefore as given).');
    params.push(at, eid);
    cond = 'AND (at, id) < ($2::timestamptz, $3::bigint)';
  }
  params.push(limit + 1);
  const r = await db.query<{ id: string | number; at: Date }>(
    `SELECT id, check_id, from_state, to_state, at, report_id, detail FROM state_events WHERE device_id = $1 ${cond} ORDER BY at DESC, id DESC LIMIT $${params.length}`,
    params,
  );
  const items = r.rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextBefore: r.rows.length > limit && last ? `${new Date(last.at).toISOString()}|${last.id}` : null };
}
