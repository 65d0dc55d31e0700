/**
 * Device groups in the evidence bundle: group-memberships.csv (every membership window that
 * began before the period's end, for the devices in the bundle) and the `groups` column of devices.csv.
 * The verifier replays each report under the groups the device was in at that report's time
 * (scripts/evidence/recompute.ts), so group policy overrides verify like the rest.
 */
import type { Db, Queryable } from '../db/types.js';
import { CSV_BOM, csvRow } from '#shared/evidence/csv.js';
import type { ManifestFile } from '#shared/evidence/manifest.js';
import { HashedFile } from './files.js';

export const GROUP_MEMBERSHIPS_FILE = 'group-memberships.csv';
/**
 * `window_id` (device_group_members.id) names the audit entries that record the window's
 * opening and closing (group.member.add / group.member.remove, detail.windowId): the verifier
 * matches every row against them, so the windows are bound to the hash chain.
 */
export const GROUP_MEMBERSHIPS_HEADER = ['device_id', 'group', 'source', 'since', 'until', 'added_by', 'window_id'];

const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : null);

/** Per device id: the group names it was in at some point of [from, to), sorted. */
export async function groupsInPeriod(q: Queryable, ids: readonly string[], from: Date, to: Date): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (!ids.length) return out;
  const r = await q.query<{ device_id: string; names: string[] }>(
    `SELECT device_id, array_agg(DISTINCT group_name COLLATE "C" ORDER BY group_name COLLATE "C") AS names FROM device_group_members
      WHERE device_id IN (SELECT jsonb_array_elements_text($1::jsonb)) AND since < $3 AND (until IS NULL OR until > $2) GROUP BY device_id`,
    [JSON.stringify(ids), from, to],
  );
  for (const x of r.rows) out.set(x.device_id, x.names);
  return out;
}

/**
 * Every window that began before `to` (earlier ones too: the verifier needs the groups at the
 * period's start), for the devices of the bundle (all, or one group's), in id order. Their ids
 * go into `windowIds`, so audit.csv reaches back to the entries that record them.
 */
export async function writeGroupMemberships(db: Db, dir: string, from: Date, to: Date, group: string | null, windowIds?: Set<string>): Promise<ManifestFile> {
  const f = new HashedFile(dir, GROUP_MEMBERSHIPS_FILE);
  await f.write(CSV_BOM + csvRow(GROUP_MEMBERSHIPS_HEADER)); // Excel reads UTF-8 only with the BOM, like the other CSVs
  for (let after = 0; ; ) {
    const page = await db.query<{ id: string; device_id: string; group_name: string; source: string; since: Date; until: Date | null; added_by: string }>(
      `SELECT m.id::text AS id, m.device_id, m.group_name, m.source, m.since, m.until, m.added_by FROM device_group_members m
        WHERE m.since < $1 AND m.id > $3
          AND ($4::text IS NULL OR m.device_id IN (SELECT device_id FROM device_group_members WHERE lower(group_name) = lower($4::text) AND since < $1 AND (until IS NULL OR until > $2)))
        ORDER BY m.id LIMIT 2000`,
      [to, from, after, group],
    );
    if (!page.rows.length) break;
    after = Number(page.rows[page.rows.length - 1].id);
    for (const m of page.rows) windowIds?.add(m.id);
    await f.write(page.rows.map((m) => csvRow([m.device_id, m.group_name, m.source, iso(m.since), iso(m.until), m.added_by, m.id])).join(''));
  }
  return f.close();
}
