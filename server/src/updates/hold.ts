/**
 * The help desk's pause of the agent rollout. A pause is not a policy edit (the policy may be
 * owned by a file): it is one row in update_rollout_hold, laid over the policy by
 * PolicyStore.setUpdatesHeld, so every agent is sent `updates.paused = true` in its welcome
 * and at once by a policy-update push. The TUF repository is left as it is and stays valid;
 * an agent that is held simply chooses no new target (shared/src/policy/release-choice.ts).
 * Other collectors on the same database learn of a change through NOTIFY.
 */
import type { Db, Queryable } from '../db/types.js';
import type { PolicyStore } from '../policy/store.js';
import { audit } from '../audit/log.js';
import { Errors } from '../shared/errors.js';

export const HOLD_CHANNEL = 'posture_update_hold';

/** The hold row: `paused` with who changed it, when and why (also the last resume). */
export interface RolloutHold {
  paused: boolean;
  reason: string;
  changedBy: string;
  changedAt: string;
}

export async function readHold(q: Queryable): Promise<RolloutHold | null> {
  const r = await q.query<{ paused: boolean; reason: string; changed_by: string; changed_at: Date }>('SELECT paused, reason, changed_by, changed_at FROM update_rollout_hold');
  const x = r.rows[0];
  return x ? { paused: x.paused, reason: x.reason, changedBy: x.changed_by, changedAt: new Date(x.changed_at).toISOString() } : null;
}

/**
 * Pause or resume, audit-logged (`updates.pause` / `updates.resume`, detail.reason) in the same
 * transaction. Pausing a paused rollout (or resuming a running one) is refused with 409
 * POSTURE_ERR_UPDATES_ALREADY_PAUSED / POSTURE_ERR_UPDATES_NOT_PAUSED, so two help-desk people
 * acting at once do not both believe they changed it.
 */
export async function setHold(db: Db, policy: PolicyStore, o: { paused: boolean; reason: string; actor: string; ip?: string }): Promise<RolloutHold> {
  const hold = await db.tx(async (q) => {
    await q.query('LOCK TABLE update_rollout_hold IN EXCLUSIVE MODE');
    const cur = await readHold(q);
    const paused = cur?.paused ?? false;
    if (o.paused && paused) throw Errors.conflict(`The rollout is already paused (by ${cur!.changedBy} at ${cur!.changedAt}: ${cur!.reason}).`, 'POSTURE_ERR_UPDATES_ALREADY_PAUSED');
    if (!o.paused && !paused) throw Errors.conflict('The rollout is not paused.', 'POSTURE_ERR_UPDATES_NOT_PAUSED');
    await q.query(
      `INSERT INTO update_rollout_hold (id, paused, reason, changed_by, changed_at) VALUES (true, $1, $2, $3, now())
       ON CONFLICT (id) DO UPDATE SET paused = EXCLUDED.paused, reason = EXCLUDED.reason, changed_by = EXCLUDED.changed_by, changed_at = EXCLUDED.changed_at`,
      [o.paused, o.reason, o.actor],
    );
    await audit(q, { actor: o.actor, action: o.paused ? 'updates.pause' : 'updates.resume', target: 'updates:rollout', ip: o.ip ?? null, detail: { reason: o.reason } });
    return (await readHold(q))!;
  });
  policy.setUpdatesHeld(hold.paused);
  await db.notify(HOLD_CHANNEL, hold.paused ? 'paused' : 'resumed').catch(() => {});
  return hold;
}

/** Load the hold into the policy store now and on every change from any collector. */
export async function watchHold(db: Db, policy: PolicyStore, log: { warn: (o: object, m: string) => void }): Promise<() => Promise<void>> {
  const load = async () => policy.setUpdatesHeld((await readHold(db))?.paused ?? false);
  await load();
  return db.listen(HOLD_CHANNEL, () => void load().catch((e) => log.warn({ err: (e as Error).message }, 'rollout hold reload failed')));
}
