/**
 * Pending enrollments: a second install enrolling a machine that already has a device. The
 * request is kept apart from the device (it can never write into or change it) until an
 * administrator approves it (the offered key becomes the device's only current key; the old
 * ones are retired as 'replaced') or rejects it. Both decisions are audit-logged with who and why.
 */
import type { Db, Queryable } from '../db/types.js';
import { audit } from '../audit/log.js';
import { ApiError, Errors } from '../shared/errors.js';

export interface PendingEnrollment {
  id: string;
  deviceId: string;
  deviceHostname: string | null;
  kid: string;
  hostname: string;
  agentVersion: string | null;
  sourceIp: string | null;
  /** The enrollment secret the request presented (id and label), so the help desk can tell which rollout it came from. */
  secretId: string | null;
  secretLabel: string | null;
  createdAt: string;
  decision: 'approved' | 'rejected' | null;
  decidedAt: string | null;
  decidedBy: string | null;
  reason: string | null;
}

const SELECT = `SELECT p.id, p.device_id, d.hostname AS device_hostname, p.kid, p.hostname, p.agent_version, p.source_ip, p.secret_id, s.label AS secret_label, p.created_at,
  p.decision, p.decided_at, p.decided_by, p.reason FROM pending_enrollments p JOIN devices d ON d.id = p.device_id LEFT JOIN enroll_secrets s ON s.id = p.secret_id`;

type Row = { id: string; device_id: string; device_hostname: string | null; kid: string; hostname: string; agent_version: string | null; source_ip: string | null; secret_id: string | null; secret_label: string | null; created_at: Date; decision: 'approved' | 'rejected' | null; decided_at: Date | null; decided_by: string | null; reason: string | null };
const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
const present = (r: Row): PendingEnrollment => ({
  id: r.id, deviceId: r.device_id, deviceHostname: r.device_hostname, kid: r.kid, hostname: r.hostname, agentVersion: r.agent_version, sourceIp: r.source_ip,
  secretId: r.secret_id, secretLabel: r.secret_label, createdAt: iso(r.created_at)!, decision: r.decision, decidedAt: iso(r.decided_at), decidedBy: r.decided_by, reason: r.reason,
});

/** Undecided requests, newest first; `deviceId` narrows to one device (revoked devices included: the page says so). */
export async function listPending(db: Queryable, deviceId?: string, limit = 200): Promise<PendingEnrollment[]> {
  const r = await db.query<Row>(`${SELECT} WHERE p.decided_at IS NULL ${deviceId ? 'AND p.device_id = $2' : ''} ORDER BY p.created_at DESC LIMIT $1`, deviceId ? [limit, deviceId] : [limit]);
  return r.rows.map(present);
}

/** How many requests are undecided across the fleet (the fleet page's banner). */
export async function countPending(db: Queryable): Promise<number> {
  const r = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM pending_enrollments WHERE decided_at IS NULL');
  return r.rows[0].n;
}

export async function getPending(db: Queryable, id: string): Promise<(PendingEnrollment & { publicJwk: Record<string, string> }) | null> {
  const r = await db.query<Row & { public_jwk: Record<string, string> }>(`${SELECT.replace('p.created_at,', 'p.created_at, p.public_jwk,')} WHERE p.id = $1`, [id]);
  return r.rows[0] ? { ...present(r.rows[0]), publicJwk: r.rows[0].public_jwk } : null;
}

/**
 * Approve: retire every current key of the device as 'replaced', register the offered key, and
 * record the decision, in one transaction. Refused (409) when already decided, when the device
 * is revoked, or when the device has since been re-keyed by its own key (a newer key than the request).
 */
export async function approvePending(db: Db, id: string, actor: string, reason: string, ip?: string): Promise<{ deviceId: string; kid: string; retired: string[] }> {
  return db.tx(async (q) => {
    const r = await q.query<{ device_id: string; kid: string; public_jwk: unknown; decided_at: Date | null; hostname: string; revoked_at: Date | null }>(
      `SELECT p.device_id, p.kid, p.public_jwk, p.decided_at, p.hostname, d.revoked_at FROM pending_enrollments p JOIN devices d ON d.id = p.device_id WHERE p.id = $1 FOR UPDATE OF p, d`,
      [id],
    );
    const p = r.rows[0];
    if (!p) throw Errors.notFound('Pending enrollment');
    if (p.decided_at) throw Errors.conflict('This enrollment request has already been decided.');
    if (p.revoked_at) throw Errors.conflict('The device is revoked; restore it first.');
    const dup = await q.query('SELECT 1 FROM device_keys WHERE kid = $1', [p.kid]);
    if (dup.rows.length) throw new ApiError(409, 'POSTURE_ERR_CONFLICT', 'The offered key is already registered.');
    const retired = await q.query<{ kid: string }>(
      `UPDATE device_keys SET retired_at = now(), retired_reason = 'replaced' WHERE device_id = $1 AND retired_at IS NULL RETURNING kid`,
      [p.device_id],
    );
    await q.query('INSERT INTO device_keys (kid, device_id, public_jwk) VALUES ($1,$2,$3)', [p.kid, p.device_id, JSON.stringify(p.public_jwk)]);
    await q.query(`UPDATE pending_enrollments SET decided_at = now(), decided_by = $2, decision = 'approved', reason = $3 WHERE id = $1`, [id, actor, reason]);
    // Any other request for the same device loses its object: the device now has a chosen key.
    await q.query(`UPDATE pending_enrollments SET decided_at = now(), decided_by = $2, decision = 'rejected', reason = 'another request for this device was approved' WHERE device_id = $1 AND decided_at IS NULL`, [p.device_id, actor]);
    const old = retired.rows.map((x) => x.kid);
    await audit(q, { actor, action: 'device.key_replaced', target: p.device_id, ip, detail: { pendingId: id, reason, newKid: p.kid, retiredKids: old, hostname: p.hostname } });
    return { deviceId: p.device_id, kid: p.kid, retired: old };
  });
}

export async function rejectPending(db: Db, id: string, actor: string, reason: string, ip?: string): Promise<{ deviceId: string }> {
  return db.tx(async (q) => {
    const r = await q.query<{ device_id: string; decided_at: Date | null; kid: string }>('SELECT device_id, decided_at, kid FROM pending_enrollments WHERE id = $1 FOR UPDATE', [id]);
    const p = r.rows[0];
    if (!p) throw Errors.notFound('Pending enrollment');
    if (p.decided_at) throw Errors.conflict('This enrollment request has already been decided.');
    await q.query(`UPDATE pending_enrollments SET decided_at = now(), decided_by = $2, decision = 'rejected', reason = $3 WHERE id = $1`, [id, actor, reason]);
    await audit(q, { actor, action: 'enrollment.rejected', target: p.device_id, ip, detail: { pendingId: id, reason, kid: p.kid } });
    return { deviceId: p.device_id };
  });
}
