/**
 * The local channel's wire format (docs/local-channel.md): one JSON object per line
 * (newline-delimited), UTF-8, each at most MAX_LINE_BYTES. The client sends requests, the
 * agent answers each with exactly one response line, in order.
 */
import { Type, type Static } from '@sinclair/typebox';
import { compile } from '#shared/schema/validate.js';

/** A request or response line longer than this is refused and the connection closed. */
export const MAX_LINE_BYTES = 4096;
/** A response line may carry a whole status view. */
export const MAX_RESPONSE_BYTES = 1_000_000;
/**
 * The agent closes a connection that has not completed a request within this long of being
 * accepted or of its last answer (bytes that do not finish a line do not count: a client
 * trickling one byte at a time must not hold a connection slot).
 */
export const IDLE_TIMEOUT_MS = 10_000;
/** Per connection: at most this many requests, then it is closed (clients need one or two). */
export const MAX_REQUESTS_PER_CONNECTION = 8;
/** At most this many connections at once; more are closed at accept. */
export const MAX_CONNECTIONS = 16;
/** At most this many identified connections of one local user at once (one user cannot take every slot). */
export const MAX_CONNECTIONS_PER_UID = 4;

/**
 * `status`: what `status --json` prints. `open`: a fresh My-device link for this device,
 * signed by the agent (the key never leaves it). `check-now`: run the checks soon.
 */
export const LocalRequest = Type.Object(
  {
    v: Type.Literal(1),
    type: Type.Union([Type.Literal('status'), Type.Literal('open'), Type.Literal('check-now')]),
    /**
     * The secret-file proof (proof/auth.ts), where the agent cannot see the peer (Windows):
     * who claims to ask, a fresh nonce and time, and the MAC under that user's secret.
     * Ignored where the kernel says who the peer is (Linux, macOS).
     */
    auth: Type.Optional(
      Type.Object(
        {
          id: Type.String({ pattern: '^(S-1-\\d{1,2}(-\\d{1,10}){1,14}|\\d{1,10})$', maxLength: 200 }),
          nonce: Type.String({ pattern: '^[A-Za-z0-9_-]{22}$' }),
          at: Type.Integer({ minimum: 0, maximum: 1e14 }),
          mac: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type LocalRequest = Static<typeof LocalRequest>;
export const validateRequest = compile(LocalRequest);

/** Machine-readable refusal reasons; `error` says the same in words for the user. */
export type LocalErrorCode = 'bad_request' | 'forbidden' | 'rate_limited' | 'not_enrolled' | 'revoked' | 'failed';

export type LocalResponse =
  | { v: 1; ok: true; type: 'status'; status: unknown }
  | { v: 1; ok: true; type: 'open'; url: string; expiresAt: string }
  | { v: 1; ok: true; type: 'check-now'; queued: boolean; detail: string }
  | { v: 1; ok: false; code: LocalErrorCode; error: string };

/**
 * An answer to a request that carried `auth`: the LocalResponse JSON sealed for that request
 * (proof/auth.ts seal). Refusals before the requester is established are sent unsealed.
 */
export interface SealedResponse {
  v: 1;
  sealed: string;
}

/** Is this line a sealed answer? */
export function isSealedResponse(x: unknown): x is SealedResponse {
  const r = x as { v?: unknown; sealed?: unknown };
  return !!r && typeof r === 'object' && r.v === 1 && typeof r.sealed === 'string' && r.sealed.length < 2 * MAX_RESPONSE_BYTES;
}

/** Minimal shape check of a response (the client trusts the agent, not arbitrary bytes). */
export function isLocalResponse(x: unknown): x is LocalResponse {
  const r = x as { v?: unknown; ok?: unknown; error?: unknown };
  return !!r && typeof r === 'object' && r.v === 1 && typeof r.ok === 'boolean' && (r.ok || typeof r.error === 'string');
}
