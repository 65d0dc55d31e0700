/**
 * Deliver outbox alerts to every webhook subscribed to their event (Slack-compatible JSON:
 * {text, ...details}), each delivery signed with that webhook's own secret and logged in
 * webhook_deliveries (status, attempts, last HTTP status and error).
 * At-least-once: the dedupe key (X-Posture-Dedupe-Key) lets a receiver drop repeats.
 * A receiver's 4xx (other than 408/429) is deterministic: refused once, not retried. Network
 * errors, timeouts and 5xx are retried with exponential backoff up to MAX_ATTEMPTS.
 */
import type { Queryable } from '../db/types.js';
import { alertText } from './slack.js';
import { signWebhook } from './signature.js';
import type { DeliveryTarget } from './webhooks.js';

/** Attempts before a delivery is given up (5 s, 10 s, … capped at 1 h between them: about 4.5 h in all). */
export const MAX_ATTEMPTS = 10;
const TIMEOUT_MS = 10_000;

/** The outcome of one HTTP attempt. `permanent`: retrying cannot help (a 4xx other than 408/429). */
export interface SendResult {
  ok: boolean;
  status: number | null;
  error: string | null;
  permanent: boolean;
  ms: number;
}

/** POST one body to one target, signed when the target has a secret (docs/security.md#webhook-signatures). */
export async function sendSigned(target: DeliveryTarget, body: string, dedupeKey: string): Promise<SendResult> {
  const ts = Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-posture-dedupe-key': dedupeKey, 'x-posture-timestamp': String(ts), 'x-posture-webhook-id': target.id };
  if (target.secret) headers['x-posture-signature'] = signWebhook(target.secret, ts, body);
  const t0 = Date.now();
  try {
    const res = await fetch(target.url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT_MS) });
    await res.arrayBuffer().catch(() => {});
    const ms = Date.now() - t0;
    if (res.ok) return { ok: true, status: res.status, error: null, permanent: false, ms };
    const permanent = res.status >= 300 && res.status < 500 && res.status !== 408 && res.status !== 429;
    return { ok: false, status: res.status, error: `HTTP ${res.status}${permanent ? ' (refused by the receiver; not retried)' : ''}`, permanent, ms };
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const why = err.name === 'TimeoutError' ? `no answer within ${TIMEOUT_MS / 1000} s` : (err.cause?.code ?? err.cause?.message ?? err.message);
    return { ok: false, status: null, error: String(why).slice(0, 300), permanent: false, ms: Date.now() - t0 };
  }
}

/**
 * Fan new outbox alerts out: one webhook_deliveries row per subscribed target. An alert no
 * target wants is marked handled with the reason, so it stays visible in the outbox.
 */
export async function fanOut(q: Queryable, targets: DeliveryTarget[], limit = 200): Promise<number> {
  const due = await q.query<{ id: string; kind: string; device_id: string | null }>(
    'SELECT id, kind, device_id FROM alert_outbox WHERE delivered_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED',
    [limit],
  );
  for (const a of due.rows) {
    const to = targets.filter((t) => t.events.includes(a.kind));
    for (const t of to)
      await q.query('INSERT INTO webhook_deliveries (webhook_id, alert_id, kind, device_id) VALUES ($1,$2,$3,$4) ON CONFLICT DO NOTHING', [t.id, a.id, a.kind, a.device_id]);
    await q.query('UPDATE alert_outbox SET delivered_at = now(), last_error = $2 WHERE id = $1', [a.id, to.length ? null : targets.length ? 'no webhook subscribed to this event' : 'no webhook configured']);
  }
  return due.rows.length;
}

/**
 * Attempt every due delivery whose webhook is a current target (a disabled webhook's
 * deliveries wait). The text is rendered at delivery (slack.ts: escaped, linked to the device
 * under `publicUrl`), and the body is signed exactly as sent.
 */
export async function deliverDue(q: Queryable, targets: DeliveryTarget[], publicUrl: string | undefined, limit = 50): Promise<{ delivered: number; failed: number }> {
  if (!targets.length) return { delivered: 0, failed: 0 };
  const byId = new Map(targets.map((t) => [t.id, t]));
  const due = await q.query<{ id: string; webhook_id: string; kind: string; attempts: number; dedupe_key: string; payload: Record<string, unknown> }>(
    `SELECT d.id, d.webhook_id, d.kind, d.attempts, o.dedupe_key, o.payload FROM webhook_deliveries d JOIN alert_outbox o ON o.id = d.alert_id
      WHERE d.delivered_at IS NULL AND d.failed_at IS NULL AND d.next_attempt_at <= now() AND d.webhook_id = ANY($2::text[])
      ORDER BY d.id LIMIT $1 FOR UPDATE OF d SKIP LOCKED`,
    [limit, [...byId.keys()]],
  );
  let delivered = 0, failed = 0;
  for (const d of due.rows) {
    const body = JSON.stringify({ ...d.payload, kind: d.kind, text: alertText(d.payload, d.kind, publicUrl), ...(publicUrl && d.payload.deviceId ? { deviceUrl: `${publicUrl.replace(/\/$/, '')}/devices/${encodeURIComponent(String(d.payload.deviceId))}` } : {}) });
    const r = await sendSigned(byId.get(d.webhook_id)!, body, d.dedupe_key);
    if (r.ok) {
      await q.query('UPDATE webhook_deliveries SET delivered_at = now(), attempts = attempts + 1, last_status = $2, last_error = NULL, last_attempt_at = now() WHERE id = $1', [d.id, r.status]);
      delivered++;
      continue;
    }
    failed++;
    const giveUp = r.permanent || d.attempts + 1 >= MAX_ATTEMPTS;
    const backoffSec = Math.min(3600, 5 * 2 ** d.attempts);
    await q.query(
      `UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = $2, last_error = $3, last_attempt_at = now(),
         failed_at = CASE WHEN $4::boolean THEN now() END, next_attempt_at = now() + make_interval(secs => $5) WHERE id = $1`,
      [d.id, r.status, giveUp && !r.permanent ? `${r.error}; gave up after ${MAX_ATTEMPTS} attempts` : r.error, giveUp, backoffSec],
    );
  }
  return { delivered, failed };
}

/** One job run: fan out new alerts, then attempt what is due. */
export async function deliverAlerts(q: Queryable, targets: DeliveryTarget[], publicUrl?: string): Promise<{ delivered: number; failed: number }> {
  await fanOut(q, targets);
  return deliverDue(q, targets, publicUrl);
}

/**
 * "Send test": one signed test message to one target now, logged as a delivery of kind
 * `test` (not retried: the person clicking sees the outcome at once).
 */
export async function sendTest(q: Queryable, target: DeliveryTarget, by: string, publicUrl?: string): Promise<SendResult & { deliveryId: string }> {
  const at = new Date().toISOString();
  const text = `:test_tube: Test alert from Posture${publicUrl ? ` (${publicUrl})` : ''}, sent by ${by.replace(/[<>&]/g, '')}. If you can read this, alerts reach this channel.`;
  const body = JSON.stringify({ kind: 'test', test: true, text, at, webhookId: target.id });
  const r = await sendSigned(target, body, `test:${target.id}:${at}`);
  const row = await q.query<{ id: string }>(
    `INSERT INTO webhook_deliveries (webhook_id, kind, attempts, last_attempt_at, delivered_at, failed_at, last_status, last_error)
     VALUES ($1, 'test', 1, now(), CASE WHEN $2::boolean THEN now() END, CASE WHEN $2::boolean THEN NULL ELSE now() END, $3, $4) RETURNING id`,
    [target.id, r.ok, r.status, r.error],
  );
  return { ...r, deliveryId: String(row.rows[0].id) };
}

/** A row of the delivery log. `status`: delivered, retrying (with the next attempt), failed or pending. */
export interface DeliveryView {
  id: string;
  webhookId: string;
  kind: string;
  deviceId: string | null;
  hostname: string | null;
  status: 'delivered' | 'retrying' | 'failed' | 'pending';
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
}

/** The newest deliveries, optionally for one webhook. */
export async function listDeliveries(q: Queryable, opts: { webhookId?: string; limit?: number } = {}): Promise<DeliveryView[]> {
  const r = await q.query<{ id: string; webhook_id: string; kind: string; device_id: string | null; hostname: string | null; attempts: number; last_status: number | null; last_error: string | null; created_at: Date; last_attempt_at: Date | null; next_attempt_at: Date; delivered_at: Date | null; failed_at: Date | null }>(
    `SELECT d.id, d.webhook_id, d.kind, d.device_id, dv.hostname, d.attempts, d.last_status, d.last_error, d.created_at, d.last_attempt_at, d.next_attempt_at, d.delivered_at, d.failed_at
       FROM webhook_deliveries d LEFT JOIN devices dv ON dv.id = d.device_id ${opts.webhookId ? 'WHERE d.webhook_id = $2' : ''} ORDER BY d.id DESC LIMIT $1`,
    opts.webhookId ? [opts.limit ?? 100, opts.webhookId] : [opts.limit ?? 100],
  );
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
  return r.rows.map((d) => {
    const status = d.delivered_at ? 'delivered' : d.failed_at ? 'failed' : d.attempts > 0 ? 'retrying' : 'pending';
    return {
      id: String(d.id), webhookId: d.webhook_id, kind: d.kind, deviceId: d.device_id, hostname: d.hostname, status, attempts: d.attempts, lastStatus: d.last_status,
      lastError: d.last_error, createdAt: iso(d.created_at)!, lastAttemptAt: iso(d.last_attempt_at), nextAttemptAt: status === 'retrying' || status === 'pending' ? iso(d.next_attempt_at) : null,
    };
  });
}
