/**
 * Deliver outbox alerts to the webhook (Slack-compatible JSON: {text, ...details}) with
 * exponential backoff. At-least-once delivery; the dedupe key lets a receiver drop repeats.
 */
import type { Queryable } from '../db/types.js';
import { alertText } from './slack.js';
import { signWebhook } from './signature.js';

/** Where and how alerts are delivered. */
export interface WebhookTarget {
  url: string;
  /** HMAC-SHA256 key for X-Posture-Signature (POSTURE_WEBHOOK_SECRET); unsigned when absent. */
  secret?: string;
  /** Collector public URL, for the link to the device page. */
  publicUrl?: string;
}

export async function deliverAlerts(q: Queryable, target: WebhookTarget | string | undefined, limit = 50): Promise<{ delivered: number; failed: number }> {
  const t = typeof target === 'string' ? { url: target } : target;
  const webhookUrl = t?.url;
  const due = await q.query<{ id: string; dedupe_key: string; kind: string; payload: Record<string, unknown>; attempts: number }>(
    `SELECT id, dedupe_key, kind, payload, attempts FROM alert_outbox WHERE delivered_at IS NULL AND next_attempt_at <= now() AND attempts < 20
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
      // The text is rendered at delivery, escaped for Slack (slack.ts); the body is signed as sent.
      const body = JSON.stringify({ ...a.payload, text: alertText(a.payload, a.kind, t?.publicUrl) });
      const ts = Math.floor(Date.now() / 1000);
      const headers: Record<string, string> = { 'content-type': 'application/json', 'x-posture-dedupe-key': a.dedupe_key, 'x-posture-timestamp': String(ts) };
      if (t?.secret) headers['x-posture-signature'] = signWebhook(t.secret, ts, body);
      const res = await fetch(webhookUrl, {
        method: 'POST',
        headers,
        body,
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
