/**
 * What agents report about their update attempts (protocol `update-status`,
 * shared/src/protocol/messages.ts): the last one per device, and a history of the attempts
 * that changed something, so failures and rollbacks can be listed after later attempts.
 */
import type { AgentUpdateStatus } from '#shared/protocol/messages.js';
import type { Db } from '../db/types.js';

/** States kept in update_attempts ('up-to-date' and 'idle' would add one row per check). */
export const HISTORY_STATES: readonly string[] = ['refused', 'rolled-back', 'swapped', 'committed'];

/**
 * History rows kept per device (newest by attempted_at). The socket's rate limit allows a
 * device 20 messages a second, and each `refused` with a new `at` was one more row for ever:
 * one device key could grow the table without bound and push every other device's rollbacks
 * off the fleet's failure list (attack pass S4-A2). A real agent makes a few attempts a day.
 */
export const HISTORY_PER_DEVICE = 20;

/** First key of the per-device two-key advisory lock taken while a status is stored. */
const UPDATE_STATUS_LOCK = 7_362_300;

/** An agent clock ahead of ours by more than this is not believed: the attempt is dated on receipt. */
const MAX_AHEAD_MS = 5 * 60_000;

/**
 * Store one status. An older status than the one stored (a resend after a newer attempt) does
 * not replace it; a resend of the same attempt adds no history row.
 */
export async function recordUpdateStatus(db: Db, deviceId: string, s: AgentUpdateStatus, now = Date.now()): Promise<void> {
  const t = Date.parse(s.at);
  const at = new Date(Number.isFinite(t) && t <= now + MAX_AHEAD_MS ? t : now);
  const row = [deviceId, s.state, s.from ?? null, s.to ?? null, s.reason ?? null, at];
  await db.tx(async (q) => {
    // One device's statuses one at a time (the socket handles messages concurrently): two
    // trims of its history in parallel could deadlock and lose an attempt. Two-key advisory
    // locks are a namespace apart from the one-key locks used elsewhere.
    await q.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [UPDATE_STATUS_LOCK, deviceId]);
    await q.query(
      `INSERT INTO device_update_status (device_id, state, from_version, to_version, reason, attempted_at, received_at) VALUES ($1,$2,$3,$4,$5,$6, now())
       ON CONFLICT (device_id) DO UPDATE SET state = EXCLUDED.state, from_version = EXCLUDED.from_version, to_version = EXCLUDED.to_version,
         reason = EXCLUDED.reason, attempted_at = EXCLUDED.attempted_at, received_at = EXCLUDED.received_at
       WHERE device_update_status.attempted_at <= EXCLUDED.attempted_at`,
      row,
    );
    if (HISTORY_STATES.includes(s.state)) {
      const ins = await q.query('INSERT INTO update_attempts (device_id, state, from_version, to_version, reason, attempted_at) VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT DO NOTHING', row);
      if (ins.rowCount)
        await q.query(
          `DELETE FROM update_attempts a WHERE a.device_id = $1 AND (a.attempted_at, a.state) < (
             SELECT b.attempted_at, b.state FROM update_attempts b WHERE b.device_id = $1 ORDER BY b.attempted_at DESC, b.state DESC OFFSET $2 - 1 LIMIT 1)`,
          [deviceId, HISTORY_PER_DEVICE],
        );
    }
  });
}

/** A device's last reported update attempt, or null (no report yet, or an agent older than update-status). */
export async function lastUpdateStatus(db: Db, deviceId: string): Promise<{ state: string; from: string | null; to: string | null; reason: string | null; at: Date } | null> {
  const r = await db.query<{ state: string; from_version: string | null; to_version: string | null; reason: string | null; attempted_at: Date }>(
    'SELECT state, from_version, to_version, reason, attempted_at FROM device_update_status WHERE device_id = $1',
    [deviceId],
  );
  const x = r.rows[0];
  return x ? { state: x.state, from: x.from_version, to: x.to_version, reason: x.reason, at: new Date(x.attempted_at) } : null;
}
