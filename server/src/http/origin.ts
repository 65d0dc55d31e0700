/**
 * Where requests come from and where we may send a browser: the collector's own origin,
 * whether its cookies must be `Secure`, and same-origin redirect targets.
 */
import type { FastifyRequest } from 'fastify';
import type { CollectorConfig } from '../config/env.js';

/**
 * The origin browsers use for this collector: POSTURE_PUBLIC_URL when set (the only answer an
 * attacker cannot influence), else what this request reached (Host; X-Forwarded-* only from a
 * trusted proxy, see POSTURE_TRUSTED_PROXIES).
 */
export function collectorOrigin(config: Pick<CollectorConfig, 'publicUrl'>, req: FastifyRequest): string {
  if (config.publicUrl) return new URL(config.publicUrl).origin;
  return `${req.protocol}://${req.host}`;
}

/**
 * Cookies get `Secure` when browsers reach us over https: our own TLS, a public URL that is
 * https (a TLS-terminating proxy in front), or a trusted proxy saying X-Forwarded-Proto: https.
 */
export function cookiesSecure(config: Pick<CollectorConfig, 'publicUrl' | 'tlsCert'>, req: FastifyRequest): boolean {
  return !!config.tlsCert || !!config.publicUrl?.startsWith('https:') || req.protocol === 'https';
}

const BASE = 'http://posture.invalid';

/**
 * A post-sign-in target, or "/" when it would leave the site. The candidate is parsed the way a
 * browser does (WHATWG URL: backslashes become slashes, tabs and newlines vanish), so
 * `/\evil.example`, `/\t/evil.example` and `//evil.example` all resolve to another host and are
 * refused. The normalized path is returned, so the browser follows exactly what was checked.
 */
export function sameOriginPath(next: unknown): string {
  if (typeof next !== 'string' || !next.startsWith('/') || next.length >= 500) return '/';
  let u: URL;
  try {
    u = new URL(next, BASE);
  } catch {
    return '/';
  }
  if (u.origin !== BASE) return '/';
  return `${u.pathname}${u.search}${u.hash}`;
}
