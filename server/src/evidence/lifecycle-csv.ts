/**
 * device-lifecycle.csv (shared/src/evidence/lifecycle.ts): the bundle's devices that are
 * archived or deleted, with when, by whom and why. Same device set as devices.csv (devices
 * that existed at some point of the period, optionally one group's), keyset-paged.
 */
import type { Db } from '../db/types.js';
import { CSV_BOM, csvRow } from '#shared/evidence/csv.js';
import { DEVICE_LIFECYCLE_FILE, DEVICE_LIFECYCLE_HEADER } from '#shared/evidence/lifecycle.js';
import type { ManifestFile } from '#shared/evidence/manifest.js';
import { HashedFile } from './files.js';

const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : null);

interface Row {
  id: string;
  hostname: string;
  archived_at: Date | null;
  archived_by: string | null;
  archive_reason: string | null;
  deleted_at: Date | null;
  deleted_by: string | null;
  delete_reason: string | null;
}

export async function writeDeviceLifecycle(db: Db, dir: string, from: Date, to: Date, group: string | null): Promise<ManifestFile> {
  const f = new HashedFile(dir, DEVICE_LIFECYCLE_FILE);
  await f.write(CSV_BOM + csvRow([...DEVICE_LIFECYCLE_HEADER]));
  for (let after = ''; ; ) {
    // The devicePage() condition (evidence/dal.ts) plus "archived or deleted".
    const page = await db.query<Row>(
      `SELECT id, hostname, archived_at, archived_by, archive_reason, deleted_at, deleted_by, delete_reason FROM devices
        WHERE enrolled_at < $1 AND (revoked_at IS NULL OR revoked_at > $2) AND id > $3 AND (archived_at IS NOT NULL OR deleted_at IS NOT NULL)
          AND ($5::text IS NULL OR id IN (SELECT device_id FROM device_group_members WHERE lower(group_name) = lower($5::text) AND since < $1 AND (until IS NULL OR until > $2)))
        ORDER BY id LIMIT $4`,
      [to, from, after, 1000, group],
    );
    if (!page.rows.length) break;
    after = page.rows[page.rows.length - 1].id;
    await f.write(page.rows.map((d) => csvRow([d.id, d.hostname, iso(d.archived_at), d.archived_by, d.archive_reason, iso(d.deleted_at), d.deleted_by, d.delete_reason])).join(''));
  }
  return f.close();
}
