/**
 * Device ownership and offboarding. Every change is a device event (device_events, shown on
 * the device timeline) and an audit entry, written in the caller's transaction.
 */
import type { Queryable } from '../db/types.js';
import type { Policy } from '#shared/policy/schema.js';
import { DEFAULT_OFFBOARD_DEADLINE_DAYS } from '#shared/policy/people.js';
import { audit } from '../audit/log.js';
import { mayReplaceOwner, type OwnerSource } from './trust.js';
import { findOrCreatePerson, personById, type PersonStatus } from './dal.js';

export async function deviceEvent(q: Queryable, deviceId: string, kind: string, actor: string, detail: Record<string, unknown>): Promise<void> {
  await q.query('INSERT INTO device_events (device_id, kind, actor, detail) VALUES ($1,$2,$3,$4)', [deviceId, kind, actor, JSON.stringify(detail)]);
}

export interface AssignOwner {
  deviceId: string;
  /** null clears the owner (admin only). */
  personId: string | null;
  source: OwnerSource;
  actor: string;
  ip?: string | null;
  /** Recorded with the event, e.g. the ID token's subject for an employee claim. */
  detail?: Record<string, unknown>;
  policy: Policy;
}

export type AssignResult =
  | { ok: true; changed: boolean }
  | { ok: false; reason: 'no_device' | 'no_person' | 'outranked'; current?: OwnerSource | null };

/**
 * Set a device's owner from `source`, unless the current assignment comes from a more trusted
 * source (trust.ts). The device row is locked so two assignments cannot interleave.
 */
export async function assignOwner(q: Queryable, a: AssignOwner): Promise<AssignResult> {
  const d = await q.query<{ owner_person_id: string | null; owner_source: OwnerSource | null; owner: string | null; inferred_owner: string | null; offboard_since: Date | null; offboard_outcome: string | null }>(
    'SELECT owner_person_id, owner_source, owner, inferred_owner, offboard_since, offboard_outcome FROM devices WHERE id = $1 FOR UPDATE',
    [a.deviceId],
  );
  const dev = d.rows[0];
  if (!dev) return { ok: false, reason: 'no_device' };
  // An inferred owner is only a label: any assigned source replaces it.
  const current = dev.owner_person_id ? dev.owner_source : null;
  if (!mayReplaceOwner(current, a.source)) return { ok: false, reason: 'outranked', current };
  const person = a.personId ? await personById(q, a.personId) : null;
  if (a.personId && !person) return { ok: false, reason: 'no_person' };
  if (dev.owner_person_id === (person?.id ?? null) && (person ? dev.owner_source === a.source : true)) return { ok: true, changed: false };
  const from = dev.owner_person_id ? { personId: dev.owner_person_id, email: dev.owner, source: dev.owner_source } : null;
  const label = person ? person.email : dev.inferred_owner;
  await q.query(
    `UPDATE devices SET owner_person_id = $2, owner_source = $3, owner = $4, owner_set_at = now(), owner_set_by = $5 WHERE id = $1`,
    [a.deviceId, person?.id ?? null, person ? a.source : dev.inferred_owner ? 'inferred' : null, label, a.actor],
  );
  const to = person ? { personId: person.id, email: person.email, source: a.source } : null;
  await deviceEvent(q, a.deviceId, 'owner.changed', a.actor, { from, to, ...a.detail });
  await audit(q, { actor: a.actor, action: person ? 'device.owner_set' : 'device.owner_cleared', target: a.deviceId, ip: a.ip, detail: { from, to, ...a.detail } });
  // A leaver's device handed to an active colleague is no longer waiting to be returned.
  if (dev.offboard_since && !dev.offboard_outcome && person && person.status === 'active')
    await closeOffboarding(q, a.deviceId, 'reassigned', a.actor, a.ip);
  else if (person && person.status === 'offboarded' && !dev.offboard_since) await openOffboarding(q, a.deviceId, person.id, a.actor, a.policy);
  return { ok: true, changed: true };
}

export const OFFBOARD_OUTCOMES = ['returned', 'wiped', 'reassigned', 'owner_reactivated'] as const;
export type OffboardOutcome = (typeof OFFBOARD_OUTCOMES)[number];

/** Mark one device as "owner offboarded" with the policy's return/wipe deadline and an alert. */
async function openOffboarding(q: Queryable, deviceId: string, personId: string, actor: string, policy: Policy): Promise<void> {
  const days = policy.people?.offboardDeadlineDays ?? DEFAULT_OFFBOARD_DEADLINE_DAYS;
  const r = await q.query<{ hostname: string; offboard_since: Date; offboard_deadline: Date }>(
    `UPDATE devices SET offboard_since = now(), offboard_deadline = now() + make_interval(days => $2), offboard_outcome = NULL, offboard_outcome_at = NULL,
            reported_after_offboard_at = NULL
      WHERE id = $1 RETURNING hostname, offboard_since, offboard_deadline`,
    [deviceId, days],
  );
  const row = r.rows[0];
  if (!row) return;
  const deadline = new Date(row.offboard_deadline).toISOString();
  await deviceEvent(q, deviceId, 'owner.offboarded', actor, { personId, deadline });
  await q.query(
    `INSERT INTO alert_outbox (dedupe_key, kind, device_id, payload) VALUES ($1, 'owner_offboarded', $2, $3) ON CONFLICT (dedupe_key) DO NOTHING`,
    [
      `${deviceId}:owner_offboarded:${new Date(row.offboard_since).toISOString()}`,
      deviceId,
      JSON.stringify({ text: `:package: ${row.hostname}: its owner has left; return or wipe it by ${deadline.slice(0, 10)}.`, deviceId, hostname: row.hostname, personId, deadline, kind: 'owner_offboarded' }),
    ],
  );
}

/** Record how an offboarded owner's device was dealt with. */
export async function closeOffboarding(q: Queryable, deviceId: string, outcome: OffboardOutcome, actor: string, ip?: string | null): Promise<boolean> {
  const r = await q.query('UPDATE devices SET offboard_outcome = $2, offboard_outcome_at = now() WHERE id = $1 AND offboard_since IS NOT NULL AND offboard_outcome IS NULL', [deviceId, outcome]);
  if (!r.rowCount) return false;
  await deviceEvent(q, deviceId, 'owner.offboarding_closed', actor, { outcome });
  await audit(q, { actor, action: 'device.offboarding_closed', target: deviceId, ip, detail: { outcome } });
  return true;
}

/**
 * Change a person's status. Becoming `offboarded` opens offboarding on each of their devices;
 * becoming active again closes what is still open ("owner reactivated"). `suspended` is a
 * temporary block in the identity provider and changes no device.
 */
export async function setPersonStatus(q: Queryable, personId: string, status: PersonStatus, actor: string, policy: Policy, ip?: string | null): Promise<{ changed: boolean; devices: number }> {
  const cur = await q.query<{ status: PersonStatus }>('SELECT status FROM people WHERE id = $1 FOR UPDATE', [personId]);
  const old = cur.rows[0]?.status;
  if (!old || old === status) return { changed: false, devices: 0 };
  await q.query(
    `UPDATE people SET status = $2, updated_at = now(), version = version + 1,
            offboarded_at = CASE WHEN $2 = 'offboarded' THEN now() WHEN $2 = 'active' THEN NULL ELSE offboarded_at END
      WHERE id = $1`,
    [personId, status],
  );
  await audit(q, { actor, action: 'person.status', target: `person:${personId}`, ip, detail: { from: old, to: status } });
  const devs = await q.query<{ id: string }>('SELECT id FROM devices WHERE owner_person_id = $1 AND revoked_at IS NULL ORDER BY id', [personId]);
  for (const d of devs.rows) {
    if (status === 'offboarded') await openOffboarding(q, d.id, personId, actor, policy);
    else if (status === 'active') await closeOffboarding(q, d.id, 'owner_reactivated', actor, ip);
  }
  return { changed: true, devices: devs.rows.length };
}

/**
 * Ownership at enrolment: the logged-in user becomes the inferred owner, and an owner named
 * with `posture-agent enroll --owner EMAIL` (or an installer property) is assigned with source
 * `enrollment` — unless a more trusted assignment already exists (re-enrolment of a claimed device).
 */
export async function ownerAtEnrollment(q: Queryable, deviceId: string, loggedInUser: string | null, ownerEmail: string | undefined, actor: string, policy: Policy): Promise<AssignResult | null> {
  await q.query(
    `UPDATE devices SET inferred_owner = COALESCE($2, inferred_owner),
            owner_source = CASE WHEN owner_person_id IS NULL THEN (CASE WHEN COALESCE($2, inferred_owner) IS NULL THEN NULL ELSE 'inferred' END) ELSE owner_source END
      WHERE id = $1`,
    [deviceId, loggedInUser],
  );
  if (!ownerEmail) return null;
  const { person } = await findOrCreatePerson(q, ownerEmail, 'enrollment');
  return assignOwner(q, { deviceId, personId: person.id, source: 'enrollment', actor, policy, detail: { via: 'enroll --owner' } });
}
