/**
 * Device archive and delete (issue 13, migration 100). Both only mark the device row, so its
 * reports, state events and audit entries stay until retention prunes them, and an evidence
 * bundle over a period in which it existed still carries it (device-lifecycle.csv says what
 * happened to it and when) and still verifies.
 *
 *  - archive (admin, helpdesk; reason required): hidden from the fleet list, counts, stale and
 *    deadline jobs and their alerts. An archived device that reports again is un-archived by
 *    that report, with an audit entry (`device.unarchive`, actor `device:<id>`): a laptop in
 *    use must never be invisible to the help desk or the auditor.
 *  - delete (admin only; reason required): a tombstone (deleted_at, deleted_by, reason). The
 *    device is revoked too (its keys cannot open a socket or sign a report), disappears from
 *    the API and dashboard (404), and cannot be restored: its machine enrolls again as a new
 *    device with a new key. Two audit entries in one transaction: `device.revoke` (so the
 *    bundle's revocation is matched as every revocation is) and `device.delete` (hostname, id,
 *    reason).
 */
import type { Queryable } from '../db/types.js';
import { audit } from '../audit/log.js';
import { Errors } from '../shared/errors.js';

/** SQL condition: a device that exists for operators (not deleted). */
export const LIVE_SQL = 'deleted_at IS NULL';
/** SQL condition: a device shown in the fleet by default (not revoked, not archived, not deleted). */
export const IN_FLEET_SQL = 'revoked_at IS NULL AND archived_at IS NULL';

export interface LifecycleActor {
  actor: string;
  ip?: string;
}

/** Archive a live device; 404 when unknown or deleted, 409 when already archived. */
export async function archiveDevice(q: Queryable, id: string, reason: string, by: LifecycleActor): Promise<{ hostname: string; archivedAt: Date }> {
  const r = await q.query<{ hostname: string; archived_at: Date }>(
    `UPDATE devices SET archived_at = now(), archived_by = $2, archive_reason = $3 WHERE id = $1 AND ${LIVE_SQL} AND archived_at IS NULL RETURNING hostname, archived_at`,
    [id, by.actor, reason],
  );
  if (!r.rows[0]) {
    await requireLive(q, id);
    throw Errors.conflict('This device is already archived.');
  }
  await audit(q, { actor: by.actor, action: 'device.archive', target: id, ip: by.ip, detail: { hostname: r.rows[0].hostname, reason } });
  return { hostname: r.rows[0].hostname, archivedAt: r.rows[0].archived_at };
}

/** Un-archive a live device by an operator; 404 when unknown or deleted, 409 when not archived. */
export async function unarchiveDevice(q: Queryable, id: string, reason: string | null, by: LifecycleActor): Promise<void> {
  const r = await q.query<{ hostname: string; archived_at: Date; archived_by: string }>(
    `WITH old AS (SELECT id, hostname, archived_at, archived_by FROM devices WHERE id = $1 AND ${LIVE_SQL} AND archived_at IS NOT NULL FOR UPDATE)
     UPDATE devices d SET archived_at = NULL, archived_by = NULL, archive_reason = NULL FROM old WHERE d.id = old.id
     RETURNING old.hostname, old.archived_at, old.archived_by`,
    [id],
  );
  if (!r.rows[0]) {
    await requireLive(q, id);
    throw Errors.conflict('This device is not archived.');
  }
  const o = r.rows[0];
  await audit(q, { actor: by.actor, action: 'device.unarchive', target: id, ip: by.ip, detail: { hostname: o.hostname, reason, archivedAt: new Date(o.archived_at).toISOString(), archivedBy: o.archived_by } });
}

/**
 * Delete (tombstone) a device: revoke it and its keys, mark it deleted, audit both. 404 when
 * unknown or already deleted. The caller closes the live socket (hub.deviceChanged 'revoked').
 */
export async function deleteDevice(q: Queryable, id: string, reason: string, by: LifecycleActor): Promise<{ hostname: string; deletedAt: Date }> {
  const cur = await q.query<{ hostname: string; revoked_at: Date | null }>(`SELECT hostname, revoked_at FROM devices WHERE id = $1 AND ${LIVE_SQL} FOR UPDATE`, [id]);
  const d = cur.rows[0];
  if (!d) throw Errors.notFound('Device');
  if (!d.revoked_at) {
    await q.query('UPDATE devices SET revoked_at = now(), revoked_by = $2 WHERE id = $1', [id, by.actor]);
    await audit(q, { actor: by.actor, action: 'device.revoke', target: id, ip: by.ip, detail: { reason, via: 'device.delete' } });
  }
  await q.query('UPDATE device_keys SET revoked_at = now() WHERE device_id = $1 AND revoked_at IS NULL', [id]);
  const r = await q.query<{ deleted_at: Date }>('UPDATE devices SET deleted_at = now(), deleted_by = $2, delete_reason = $3 WHERE id = $1 RETURNING deleted_at', [id, by.actor, reason]);
  await audit(q, { actor: by.actor, action: 'device.delete', target: id, ip: by.ip, detail: { hostname: d.hostname, deviceId: id, reason } });
  return { hostname: d.hostname, deletedAt: r.rows[0].deleted_at };
}

/**
 * Inside the ingest transaction: the archived devices among `ids` that just had a report
 * applied are un-archived, each with an audit entry. Called only when the caller saw an
 * archived device (no query in the common case). Takes the audit chain lock after the device
 * row locks: an exclusion change on the same device at the same instant can deadlock with it,
 * which PostgreSQL breaks by aborting one transaction (the batch is then retried).
 */
export async function unarchiveOnReport(q: Queryable, ids: string[]): Promise<string[]> {
  const r = await q.query<{ id: string; hostname: string; archived_at: Date; archived_by: string }>(
    `WITH old AS (SELECT id, hostname, archived_at, archived_by FROM devices WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb)) AND archived_at IS NOT NULL)
     UPDATE devices d SET archived_at = NULL, archived_by = NULL, archive_reason = NULL FROM old WHERE d.id = old.id
     RETURNING old.id, old.hostname, old.archived_at, old.archived_by`,
    [JSON.stringify(ids)],
  );
  for (const o of [...r.rows].sort((a, b) => a.id.localeCompare(b.id)))
    await audit(q, { actor: `device:${o.id}`, action: 'device.unarchive', target: o.id, detail: { hostname: o.hostname, reason: 'the device reported again', automatic: true, archivedAt: new Date(o.archived_at).toISOString(), archivedBy: o.archived_by } });
  return r.rows.map((o) => o.id);
}

async function requireLive(q: Queryable, id: string): Promise<void> {
  const r = await q.query(`SELECT 1 FROM devices WHERE id = $1 AND ${LIVE_SQL}`, [id]);
  if (!r.rows[0]) throw Errors.notFound('Device');
}
