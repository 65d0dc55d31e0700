/**
 * Deliver outbox alerts to the webhook (Slack-compatible JSON: {text, ...details}) with
 * exponential backoff. At-least-once delivery; the dedupe key lets a receiver drop repeats.
 */
import type { Queryable } from '../db/types.js';

export async function deliverAlerts(q: Queryable, webhookUrl: string | undefined, limit = 50): Promise<{ delivered: number; failed: number }> {
  const due = await q.query<{ id: string; dedupe_key: string; payload: Record<string, unknown>; attempts: number }>(
    `SELECT id, dedupe_key, payload, attempts FROM alert_outbox WHERE delivered_at IS NULL AND next_attempt_at <= now() AND attempts < 20
      ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
    [limit],
  );
  let delivered = 0, failed = 0;
  for (const a of due.rows) {
    if (!webhookUrl) {
      // No webhook configured: keep alerts visible in the outbox, mark them as handled.
      await q.query(`UPDATE alert_outbox SET delivered_at = now(), last_error = 'no webhook configured' WHERE id = $1`, [a.id]);
      continue;
    }
    try {
      const res = await fetch(webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-posture-dedupe-key': a.dedupe_key },
        body: JSON.stringify(a.payload),
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      await q.query('UPDATE alert_outbox SET delivered_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = $1', [a.id]);
      delivered++;
    } catch (e) {
      const backoffSec = Math.min(3600, 5 * 2 ** a.attempts);
      await q.query(`UPDATE alert_outbox SET attempts = attempts + 1, last_error = $2, next_attempt_at = now() + make_interval(secs => $3) WHERE id = $1`, [
        a.id, (e as Error).message.slice(0, 300), backoffSec,
      ]);
      failed++;
    }
  }
  return { delivered, failed };
}
