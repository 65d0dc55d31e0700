/**
 * Webhook signatures (documented in docs/security.md#webhook-signatures): each delivery carries
 *   X-Posture-Timestamp: <unix seconds>
 *   X-Posture-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
 * A receiver recomputes the HMAC over the exact bytes it received, compares in constant time,
 * and refuses timestamps more than 5 minutes old (replay).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export function signWebhook(secret: string, timestampSec: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestampSec}.${body}`).digest('hex')}`;
}

/** Receiver side (used by our tests; a reference for receivers): true when signature and age are valid. */
export function verifyWebhook(secret: string, timestamp: string, body: string, signature: string, nowSec = Math.floor(Date.now() / 1000), toleranceSec = 300): boolean {
  const t = Number(timestamp);
  if (!Number.isInteger(t) || Math.abs(nowSec - t) > toleranceSec) return false;
  const want = Buffer.from(signWebhook(secret, t, body));
  const got = Buffer.from(signature);
  return want.length === got.length && timingSafeEqual(want, got);
}
