/**
 * Limits for the routes anyone can reach without credentials. Timeouts (set in app.ts) cut
 * off a client that sends headers and never the body; this caps how many such requests one
 * source may hold open at once, so ~900 slow-body connections cannot take /healthz down.
 * Counted per request (not per TCP connection): a whole office behind one NAT address keeps
 * its agents' authenticated sockets, which are not counted.
 */
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../shared/errors.js';

/** Cheap public routes a load balancer polls: never counted, never refused. */
const EXEMPT = new Set(['/healthz', '/favicon.ico']);

export function capPublicRequests(app: FastifyInstance, maxPerSource: number): void {
  const inFlight = new Map<string, number>();
  app.addHook('onRequest', async (req, reply) => {
    const auth = req.routeOptions.config?.auth;
    if (auth !== 'public' && auth !== 'device-link') return;
    if (EXEMPT.has(req.routeOptions.url ?? '')) return;
    const src = req.ip;
    const n = inFlight.get(src) ?? 0;
    if (n >= maxPerSource) {
      reply.header('connection', 'close');
      throw new ApiError(429, 'POSTURE_ERR_RATE_LIMITED', `Too many unauthenticated requests in progress from ${src}; retry shortly.`, { retryAfterSec: 5 });
    }
    inFlight.set(src, n + 1);
    // 'close' fires once however the request ends: answered, timed out or abandoned.
    reply.raw.once('close', () => {
      const left = (inFlight.get(src) ?? 1) - 1;
      if (left <= 0) inFlight.delete(src);
      else inFlight.set(src, left);
    });
  });
}
