/**
 * people.csv for the evidence bundle: each person known by the end of the period, their status
 * and when they were offboarded, and one row per device they owned with that device's
 * return/wipe outcome (SOC 2 CC6.5: a leaver's assets are returned). A person without a device
 * is one row with empty device columns. Rows are streamed in pages, so size stays bounded.
 */
import type { Db } from '../db/types.js';
import { CSV_BOM, csvRow } from '#shared/evidence/csv.js';
import type { ManifestFile } from '#shared/evidence/manifest.js';
import { HashedFile } from './files.js';

export const PEOPLE_CSV_HEADER = [
  'person_id', 'email', 'display_name', 'department', 'status', 'offboarded_at',
  'device_id', 'hostname', 'owner_source', 'offboarding_since', 'return_deadline', 'outcome', 'outcome_at', 'reported_after_offboard_at',
];

const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : null);

export async function writePeopleCsv(db: Db, dir: string, to: Date): Promise<ManifestFile> {
  const f = new HashedFile(dir, 'people.csv');
  await f.write(CSV_BOM + csvRow(PEOPLE_CSV_HEADER)); // like every bundle CSV: Excel reads it as UTF-8
  for (let after = ''; ; ) {
    const page = await db.query<Record<string, any>>(
      `SELECT p.id, p.email, p.display_name, p.department, p.status, p.offboarded_at,
              d.id AS device_id, d.hostname, d.owner_source, d.offboard_since, d.offboard_deadline, d.offboard_outcome, d.offboard_outcome_at, d.reported_after_offboard_at
         FROM (SELECT * FROM people WHERE created_at < $1 AND id > $2 ORDER BY id LIMIT 500) p
         LEFT JOIN devices d ON d.owner_person_id = p.id
        ORDER BY p.id, d.id`,
      [to, after],
    );
    if (!page.rows.length) break;
    after = page.rows[page.rows.length - 1].id;
    await f.write(
      page.rows
        .map((r) => csvRow([r.id, r.email, r.display_name, r.department, r.status, iso(r.offboarded_at), r.device_id, r.hostname, r.owner_source,
          iso(r.offboard_since), iso(r.offboard_deadline), r.offboard_outcome, iso(r.offboard_outcome_at), iso(r.reported_after_offboard_at)]))
        .join(''),
    );
  }
  return f.close();
}
