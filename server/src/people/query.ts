/** People with their devices, for the People page, the API and people.csv. */
import type { Queryable } from '../db/types.js';
import { PERSON_COLUMNS, type PersonRow } from './dal.js';

export interface PersonDevice {
  id: string;
  hostname: string;
  platform: string;
  state: string;
  next_deadline: Date | null;
  owner_source: string | null;
  offboard_since: Date | null;
  offboard_deadline: Date | null;
  offboard_outcome: string | null;
  offboard_outcome_at: Date | null;
  reported_after_offboard_at: Date | null;
  last_seen_at: Date | null;
}
export interface PersonWithDevices extends PersonRow {
  devices: PersonDevice[];
}

export interface PeopleFilter {
  q?: string;
  status?: string;
  /** Only people without any device. */
  noDevice?: boolean;
  limit?: number;
  offset?: number;
}

const DEVICE_COLS = `d.id, d.hostname, d.platform, d.state, d.next_deadline, d.owner_source, d.offboard_since, d.offboard_deadline, d.offboard_outcome,
  d.offboard_outcome_at, d.reported_after_offboard_at, d.last_seen_at`;

/** People matching the filter (email/name/department search), each with their devices; newest-first paging by email. */
export async function listPeople(q: Queryable, f: PeopleFilter): Promise<{ total: number; items: PersonWithDevices[] }> {
  const where: string[] = ['deleted_at IS NULL'];
  const params: unknown[] = [];
  const p = (v: unknown) => (params.push(v), `$${params.length}`);
  if (f.q) {
    const like = p('%' + f.q.toLowerCase().replace(/[%_\\]/g, '\\$&') + '%');
    where.push(`(lower(email) LIKE ${like} OR lower(coalesce(display_name,'')) LIKE ${like} OR lower(coalesce(department,'')) LIKE ${like})`);
  }
  if (f.status) where.push(`status = ${p(f.status)}`);
  if (f.noDevice) where.push('NOT EXISTS (SELECT 1 FROM devices d WHERE d.owner_person_id = people.id AND d.revoked_at IS NULL)');
  const w = `WHERE ${where.join(' AND ')}`;
  const limit = Math.min(Math.max(f.limit ?? 100, 1), 1000);
  const offset = Math.max(f.offset ?? 0, 0);
  const [page, count] = await Promise.all([
    q.query<PersonRow>(`SELECT ${PERSON_COLUMNS} FROM people ${w} ORDER BY lower(email) LIMIT ${limit} OFFSET ${offset}`, params),
    q.query<{ n: string }>(`SELECT count(*) AS n FROM people ${w}`, params),
  ]);
  return { total: Number(count.rows[0].n), items: await withDevices(q, page.rows) };
}

export async function withDevices(q: Queryable, people: PersonRow[]): Promise<PersonWithDevices[]> {
  if (!people.length) return [];
  const r = await q.query<PersonDevice & { owner_person_id: string }>(
    `SELECT d.owner_person_id, ${DEVICE_COLS} FROM devices d WHERE d.owner_person_id IN (SELECT jsonb_array_elements_text($1::jsonb)) AND d.revoked_at IS NULL ORDER BY lower(d.hostname)`,
    [JSON.stringify(people.map((x) => x.id))],
  );
  const by = new Map<string, PersonDevice[]>();
  for (const d of r.rows) by.set(d.owner_person_id, [...(by.get(d.owner_person_id) ?? []), d]);
  return people.map((x) => ({ ...x, devices: by.get(x.id) ?? [] }));
}

/** Active devices with no assigned owner (an inferred logged-in user does not count). */
export async function unownedDevices(q: Queryable, limit = 200): Promise<{ total: number; items: { id: string; hostname: string; platform: string; state: string; inferred_owner: string | null }[] }> {
  const [page, count] = await Promise.all([
    q.query<{ id: string; hostname: string; platform: string; state: string; inferred_owner: string | null }>(
      `SELECT id, hostname, platform, state, inferred_owner FROM devices WHERE owner_person_id IS NULL AND revoked_at IS NULL ORDER BY lower(hostname) LIMIT ${Math.min(limit, 1000)}`,
    ),
    q.query<{ n: string }>('SELECT count(*) AS n FROM devices WHERE owner_person_id IS NULL AND revoked_at IS NULL'),
  ]);
  return { total: Number(count.rows[0].n), items: page.rows };
}

/** Devices whose owner left and that are not yet returned/wiped (fleet page, API). */
export async function offboardedDevices(q: Queryable, limit = 200) {
  const r = await q.query<PersonDevice & { email: string | null }>(
    `SELECT ${DEVICE_COLS}, p.email FROM devices d LEFT JOIN people p ON p.id = d.owner_person_id
      WHERE d.offboard_since IS NOT NULL AND d.offboard_outcome IS NULL AND d.revoked_at IS NULL ORDER BY d.offboard_deadline LIMIT ${Math.min(limit, 1000)}`,
  );
  return r.rows;
}

const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : null);

export function presentPersonDevice(d: PersonDevice) {
  return {
    id: d.id,
    hostname: d.hostname,
    platform: d.platform,
    state: d.state,
    nextDeadline: iso(d.next_deadline),
    ownerSource: d.owner_source,
    lastSeenAt: iso(d.last_seen_at),
    offboarding: d.offboard_since
      ? { since: iso(d.offboard_since), deadline: iso(d.offboard_deadline), outcome: d.offboard_outcome, outcomeAt: iso(d.offboard_outcome_at), reportedAfterOffboardAt: iso(d.reported_after_offboard_at) }
      : null,
  };
}

export function presentPerson(p: PersonWithDevices | PersonRow) {
  return {
    id: p.id,
    email: p.email,
    userName: p.user_name,
    displayName: p.display_name,
    department: p.department,
    manager: p.manager,
    status: p.status,
    source: p.source,
    createdAt: iso(p.created_at),
    updatedAt: iso(p.updated_at),
    offboardedAt: iso(p.offboarded_at),
    ...('devices' in p ? { devices: p.devices.map(presentPersonDevice) } : {}),
  };
}

/** Owner and offboarding events of one device, newest first (the device timeline merges them). */
export async function deviceEvents(q: Queryable, deviceId: string, limit = 200) {
  const r = await q.query<{ id: string; at: Date; kind: string; actor: string; detail: Record<string, unknown> | null }>(
    'SELECT id, at, kind, actor, detail FROM device_events WHERE device_id = $1 ORDER BY at DESC, id DESC LIMIT $2',
    [deviceId, limit],
  );
  return r.rows;
}
