/**
 * Enrollment throttles (issue 11 #8): per source address through @fastify/rate-limit, and per
 * enrollment secret here (a leaked secret used from many addresses). Every refused or
 * throttled attempt is counted into one audit row per source per minute (audit/aggregate.ts).
 */
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Ctx } from '../context.js';
import { ApiError } from '../shared/errors.js';

/**
 * Enrollments per source address per minute: POSTURE_ENROLL_RATE_PER_MIN (default 60; a fleet
 * rollout behind one NAT retries on 429 with Retry-After). Per secret, from all sources
 * together: ten times that.
 */
export const ENROLL_RATE_LIMIT = (ctx: Ctx) => ({
  max: ctx.config.enrollRatePerMin,
  timeWindow: 60_000,
  keyGenerator: (req: FastifyRequest) => req.ip,
  onExceeded: (req: FastifyRequest) => ctx.refusals.record({ action: 'device.enroll', source: req.ip, reason: 'throttled' }),
});

export class SecretThrottle {
  private windows = new Map<string, { start: number; n: number }>();

  /** Count one attempt with this secret; throws 429 beyond the per-secret budget. */
  check(ctx: Ctx, source: string, secret: string, now = Date.now()): void {
    const key = createHash('sha256').update(secret).digest('base64url').slice(0, 22); // never keep the secret itself
    let w = this.windows.get(key);
    if (!w || now - w.start >= 60_000) {
      if (this.windows.size > 10_000) this.windows.clear();
      this.windows.set(key, (w = { start: now, n: 0 }));
    }
    if (++w.n > 10 * ctx.config.enrollRatePerMin) {
      ctx.refusals.record({ action: 'device.enroll', source, reason: 'throttled_secret' });
      const after = Math.ceil((w.start + 60_000 - now) / 1000);
      throw new ApiError(429, 'POSTURE_ERR_RATE_LIMITED', `Too many enrollments with this secret; retry in ${after} s.`, { retryAfterSec: after });
    }
  }
}
