/**
 * The dashboard's device list query: the API's filters plus the ones an operator needs on
 * screen (owner/user, last-seen window). Filtering, sorting and paging stay in SQL so the page
 * is as fast at 20,000 devices as at 20 (indexes in migrations 001/002; see docs in the test).
 */
import type { Db } from '../db/types.js';
import { DEVICE_COLUMNS, type DeviceSummary } from '../devices/dal.js';
import { LAST_CONTACT_SQL } from '../gateway/presence.js';

export interface DashboardDeviceQuery {
  state?: string;
  /**
   * With state "noncompliant": also the stale devices whose last known verdict was
   * noncompliant, so a device that stops reporting does not drop off the work list.
   */
  withStaleNoncompliant?: boolean;
  failingCheck?: string;
  platform?: string;
  osVersion?: string;
  owner?: string;
  /** Current members of this device group (server/src/groups/). */
  group?: string;
  q?: string;
  /** 'h1' | 'd1' | 'd7' = seen within; 'gt1' | 'gt7' | 'gt30' = not seen for more than N days */
  seen?: string;
  sort?: 'hostname' | 'last_seen' | 'state' | 'os' | 'owner' | 'deadline';
  order?: 'asc' | 'desc';
  limit: number;
  offset: number;
}

export const SEEN_WINDOWS: Record<string, { label: string; within?: number; olderThan?: number }> = {
  h1: { label: 'seen in the last hour', within: 3600 },
  d1: { label: 'seen in the last 24 h', within: 86_400 },
  d7: { label: 'seen in the last 7 days', within: 7 * 86_400 },
  gt1: { label: 'not seen for 1 day+', olderThan: 86_400 },
  gt7: { label: 'not seen for 7 days+', olderThan: 7 * 86_400 },
  gt30: { label: 'not seen for 30 days+', olderThan: 30 * 86_400 },
};

const SORTS: Record<NonNullable<DashboardDeviceQuery['sort']>, string> = {
  hostname: 'lower(hostname)',
  last_seen: LAST_CONTACT_SQL,
  state: 'state',
  os: 'platform, os_version',
  owner: 'owner',
  deadline: 'next_deadline',
};

/** Platform name, OS name and version as one lower-case string (see PLATFORM_NAMES). */
const OS_TEXT_SQL = `lower(concat_ws(' ', CASE platform WHEN 'darwin' THEN 'macos' WHEN 'win32' THEN 'windows' WHEN 'linux' THEN 'linux' ELSE platform END, os_name, os_version))`;

const like = (s: string) => s.toLowerCase().replace(/[%_\\]/g, '\\$&');

export function buildDeviceQuery(f: DashboardDeviceQuery, now = new Date()): { where: string; params: unknown[]; order: string } {
  // Deleted devices (tombstones) never show; archived ones only in the "Archived" view.
  const where = f.state === 'archived' ? ['deleted_at IS NULL', 'archived_at IS NOT NULL'] : ['deleted_at IS NULL', 'archived_at IS NULL', f.state === 'revoked' ? 'revoked_at IS NOT NULL' : 'revoked_at IS NULL'];
  const params: unknown[] = [];
  const p = (v: unknown) => (params.push(v), `$${params.length}`);
  if (f.state === 'noncompliant' && f.withStaleNoncompliant)
    where.push(`(state = 'noncompliant' OR (state = 'stale' AND EXISTS (SELECT 1 FROM check_states cs WHERE cs.device_id = devices.id AND cs.state = 'noncompliant')))`);
  else if (f.state && f.state !== 'revoked' && f.state !== 'archived') where.push(`state = ${p(f.state)}`);
  // Array containment can use the GIN index on failing_checks (= ANY cannot).
  if (f.failingCheck) where.push(`failing_checks @> ARRAY[${p(f.failingCheck)}]::text[]`);
  if (f.platform) where.push(`platform = ${p(f.platform)}`);
  // "macOS 14", "ubuntu 22.04", "Windows 11", "19045": words of the platform name, OS name and
  // version as people say them, matched anywhere (a version alone still matches its prefix).
  if (f.osVersion) where.push(`${OS_TEXT_SQL} LIKE ${p('%' + like(f.osVersion.trim()) + '%')}`);
  if (f.owner) where.push(`lower(owner) LIKE ${p(like(f.owner) + '%')}`);
  if (f.group) where.push(`id IN (SELECT device_id FROM device_group_members WHERE until IS NULL AND lower(group_name) = lower(${p(f.group)}))`);
  if (f.q) {
    const l = p('%' + like(f.q) + '%');
    where.push(`(lower(hostname) LIKE ${l} OR lower(coalesce(serial,'')) LIKE ${l} OR lower(coalesce(owner,'')) LIKE ${l} OR id = ${p(f.q)})`);
  }
  const w = f.seen ? SEEN_WINDOWS[f.seen] : undefined;
  if (w?.within) where.push(`${LAST_CONTACT_SQL} >= ${p(new Date(now.getTime() - w.within * 1000))}`);
  if (w?.olderThan) where.push(`coalesce(${LAST_CONTACT_SQL}, enrolled_at) < ${p(new Date(now.getTime() - w.olderThan * 1000))}`);
  const order = `${SORTS[f.sort ?? 'hostname']} ${f.order === 'desc' ? 'DESC' : 'ASC'} NULLS LAST, id`;
  return { where: `WHERE ${where.join(' AND ')}`, params, order };
}

export async function searchDevices(db: Db, f: DashboardDeviceQuery): Promise<{ total: number; items: DeviceSummary[] }> {
  const { where, params, order } = buildDeviceQuery(f);
  const limit = Math.min(Math.max(f.limit, 1), 200);
  const offset = Math.min(Math.max(f.offset, 0), 10_000_000);
  // Count and page separately: the count is an index-only aggregate; the page stops at LIMIT.
  const [page, count] = await Promise.all([
    db.query<DeviceSummary>(`SELECT ${DEVICE_COLUMNS} FROM devices ${where} ORDER BY ${order} LIMIT ${limit} OFFSET ${offset}`, params),
    db.query<{ n: string }>(`SELECT count(*) AS n FROM devices ${where}`, params),
  ]);
  return { total: Number(count.rows[0].n), items: page.rows };
}

/** Most rows one CSV export of the device list holds (a 20,000-device fleet fits five times). */
export const DEVICE_CSV_MAX_ROWS = 100_000;

/** Every device matching the filters (no paging), for the list's CSV export; capped at DEVICE_CSV_MAX_ROWS. */
export async function allDevices(db: Db, f: DashboardDeviceQuery): Promise<DeviceSummary[]> {
  const { where, params, order } = buildDeviceQuery(f);
  const r = await db.query<DeviceSummary>(`SELECT ${DEVICE_COLUMNS} FROM devices ${where} ORDER BY ${order} LIMIT ${DEVICE_CSV_MAX_ROWS}`, params);
  return r.rows;
}
