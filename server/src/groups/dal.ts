/**
 * Device groups and their membership windows (migration 041). Plain SQL on a Queryable so
 * every write runs in the caller's transaction with its audit entry.
 */
import type { Queryable } from '../db/types.js';
import type { GroupRule, DeviceFacts } from './rule.js';
import type { MembershipWindow } from '#shared/policy/effective.js';

export type GroupKind = 'static' | 'rule';

export interface GroupRow {
  id: string;
  name: string;
  description: string | null;
  kind: GroupKind;
  rule: GroupRule | null;
  created_at: Date;
  created_by: string;
  updated_at: Date;
  members?: number;
}

const COLS = 'g.id, g.name, g.description, g.kind, g.rule, g.created_at, g.created_by, g.updated_at';

export async function listGroups(q: Queryable): Promise<GroupRow[]> {
  const r = await q.query<GroupRow>(
    `SELECT ${COLS}, (SELECT count(*)::int FROM device_group_members m WHERE m.group_id = g.id AND m.until IS NULL) AS members
       FROM device_groups g ORDER BY g.name`,
  );
  return r.rows;
}

export async function groupById(q: Queryable, id: string): Promise<GroupRow | null> {
  const r = await q.query<GroupRow>(`SELECT ${COLS} FROM device_groups g WHERE g.id = $1`, [id]);
  return r.rows[0] ?? null;
}

export async function groupByName(q: Queryable, name: string): Promise<GroupRow | null> {
  const r = await q.query<GroupRow>(`SELECT ${COLS} FROM device_groups g WHERE lower(g.name) = lower($1)`, [name]);
  return r.rows[0] ?? null;
}

export async function insertGroup(q: Queryable, g: { id: string; name: string; description: string | null; kind: GroupKind; rule: GroupRule | null; createdBy: string }): Promise<GroupRow | null> {
  const r = await q.query<GroupRow>(
    `INSERT INTO device_groups (id, name, description, kind, rule, created_by) VALUES ($1,$2,$3,$4,$5,$6)
     ON CONFLICT DO NOTHING RETURNING id, name, description, kind, rule, created_at, created_by, updated_at`,
    [g.id, g.name, g.description, g.kind, g.rule ? JSON.stringify(g.rule) : null, g.createdBy],
  );
  return r.rows[0] ?? null;
}

export async function updateGroupRow(q: Queryable, id: string, description: string | null, rule: GroupRule | null): Promise<void> {
  await q.query('UPDATE device_groups SET description = $2, rule = $3, updated_at = now() WHERE id = $1', [id, description, rule ? JSON.stringify(rule) : null]);
}

export async function deleteGroupRow(q: Queryable, id: string): Promise<void> {
  await q.query('DELETE FROM device_groups WHERE id = $1', [id]);
}

/** Current members of a group (device ids), keyset-paged by device id. */
export async function memberIds(q: Queryable, groupId: string, afterId = '', limit = 1000): Promise<string[]> {
  const r = await q.query<{ device_id: string }>(
    'SELECT device_id FROM device_group_members WHERE group_id = $1 AND until IS NULL AND device_id > $2 ORDER BY device_id LIMIT $3',
    [groupId, afterId, limit],
  );
  return r.rows.map((x) => x.device_id);
}

export interface MemberRow {
  device_id: string;
  hostname: string;
  platform: string;
  state: string;
  source: string;
  since: Date;
  added_by: string;
}

export async function listMembers(q: Queryable, groupId: string, limit: number, offset: number): Promise<{ total: number; items: MemberRow[] }> {
  const t = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM device_group_members WHERE group_id = $1 AND until IS NULL', [groupId]);
  const r = await q.query<MemberRow>(
    `SELECT m.device_id, d.hostname, d.platform, d.state, m.source, m.since, m.added_by
       FROM device_group_members m JOIN devices d ON d.id = m.device_id
      WHERE m.group_id = $1 AND m.until IS NULL ORDER BY d.hostname, d.id LIMIT $2 OFFSET $3`,
    [groupId, limit, offset],
  );
  return { total: t.rows[0].n, items: r.rows };
}

/** The current group names of each device (sorted), for the evaluator and the device page. */
export async function groupNamesOf(q: Queryable, deviceIds: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(deviceIds.map((id) => [id, []]));
  if (!deviceIds.length) return out;
  const r = await q.query<{ device_id: string; group_name: string }>(
    `SELECT device_id, group_name FROM device_group_members WHERE until IS NULL AND device_id IN (SELECT jsonb_array_elements_text($1::jsonb)) ORDER BY group_name`,
    [JSON.stringify(deviceIds)],
  );
  for (const x of r.rows) out.get(x.device_id)?.push(x.group_name);
  return out;
}

/** A membership window just opened or closed: what its audit entry records (binds the bundle's row). */
export interface WindowChange {
  /** device_group_members.id, as text (group-memberships.csv `window_id`). */
  windowId: string;
  deviceId: string;
  group: string;
  source: GroupKind;
  since: Date;
  /** Set when the window was closed. */
  until?: Date;
}

/** Open a membership window (null when already a member). */
export async function openMembership(q: Queryable, g: { id: string; name: string }, deviceId: string, source: GroupKind, actor: string, at: Date): Promise<WindowChange | null> {
  const r = await q.query<{ id: string }>(
    `INSERT INTO device_group_members (group_id, group_name, device_id, source, since, added_by) VALUES ($1,$2,$3,$4,$5,$6)
     ON CONFLICT (group_id, device_id) WHERE until IS NULL DO NOTHING RETURNING id::text AS id`,
    [g.id, g.name, deviceId, source, at, actor],
  );
  return r.rows[0] ? { windowId: r.rows[0].id, deviceId, group: g.name, source, since: at } : null;
}

interface ClosedRow {
  id: string;
  device_id: string;
  group_name: string;
  source: GroupKind;
  since: Date;
  until: Date;
}
const CLOSED = 'id::text AS id, device_id, group_name, source, since, until';
const closed = (r: ClosedRow): WindowChange => ({ windowId: r.id, deviceId: r.device_id, group: r.group_name, source: r.source, since: new Date(r.since), until: new Date(r.until) });

/** Close a device's open window in a group (null when it was not a member). */
export async function closeMembership(q: Queryable, groupId: string, deviceId: string, at: Date): Promise<WindowChange | null> {
  const r = await q.query<ClosedRow>(`UPDATE device_group_members SET until = $3 WHERE group_id = $1 AND device_id = $2 AND until IS NULL RETURNING ${CLOSED}`, [groupId, deviceId, at]);
  return r.rows[0] ? closed(r.rows[0]) : null;
}

/** Close every open window of a group (the group is being deleted). */
export async function closeGroupWindows(q: Queryable, groupId: string, at: Date): Promise<WindowChange[]> {
  const r = await q.query<ClosedRow>(`UPDATE device_group_members SET until = $2 WHERE group_id = $1 AND until IS NULL RETURNING ${CLOSED}`, [groupId, at]);
  return r.rows.map(closed);
}

/** Close the open windows of revoked devices in a group (a revoked device leaves its groups). */
export async function closeRevokedWindows(q: Queryable, groupId: string, at: Date): Promise<WindowChange[]> {
  const r = await q.query<ClosedRow>(
    `UPDATE device_group_members m SET until = $2 FROM devices d WHERE m.group_id = $1 AND m.until IS NULL AND d.id = m.device_id AND d.revoked_at IS NOT NULL
     RETURNING m.id::text AS id, m.device_id, m.group_name, m.source, m.since, m.until`,
    [groupId, at],
  );
  return r.rows.map(closed);
}

/**
 * Membership windows of some devices that were open at or after `from` (epoch ms, Infinity for
 * open ones), for judging each report under the groups of its collection time (groupsAt).
 */
export async function membershipWindowsOf(q: Queryable, deviceIds: readonly string[], from: Date): Promise<Map<string, MembershipWindow[]>> {
  const out = new Map<string, MembershipWindow[]>(deviceIds.map((id) => [id, []]));
  if (!deviceIds.length) return out;
  const r = await q.query<{ device_id: string; group_name: string; since: Date; until: Date | null }>(
    `SELECT device_id, group_name, since, until FROM device_group_members
      WHERE device_id IN (SELECT jsonb_array_elements_text($1::jsonb)) AND (until IS NULL OR until > $2)`,
    [JSON.stringify(deviceIds), from],
  );
  for (const x of r.rows) out.get(x.device_id)?.push({ group: x.group_name, since: new Date(x.since).getTime(), until: x.until ? new Date(x.until).getTime() : Infinity });
  return out;
}

/** Rule inputs for a page of devices (keyset by id), or for the given ids. Revoked devices are left out. */
export async function deviceFacts(q: Queryable, sel: { ids: readonly string[] } | { afterId: string; limit: number }): Promise<(DeviceFacts & { id: string })[]> {
  const where = 'ids' in sel ? 'd.id IN (SELECT jsonb_array_elements_text($1::jsonb))' : 'd.id > $1';
  const params: unknown[] = 'ids' in sel ? [JSON.stringify(sel.ids)] : [sel.afterId, sel.limit];
  const r = await q.query<{ id: string; platform: string; hostname: string; enroll_tags: string[] | null; department: string | null; idp_groups: string[] | null }>(
    `SELECT d.id, d.platform, d.hostname, d.enroll_tags, p.department,
            ARRAY(SELECT g.display_name FROM idp_group_members gm JOIN idp_groups g ON g.id = gm.group_id WHERE gm.person_id = d.owner_person_id) AS idp_groups
       FROM devices d LEFT JOIN people p ON p.id = d.owner_person_id AND d.owner_source IS DISTINCT FROM 'inferred'
      WHERE ${where} AND d.revoked_at IS NULL ORDER BY d.id ${'ids' in sel ? '' : 'LIMIT $2'}`,
    params,
  );
  return r.rows.map((x) => ({ id: x.id, platform: x.platform, hostname: x.hostname, tags: x.enroll_tags ?? [], department: x.department, idpGroups: x.idp_groups ?? [] }));
}
