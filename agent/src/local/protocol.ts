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

/** Minimal shape check of a response (the client trusts the agent, not arbitrary bytes). */
export function isLocalResponse(x: unknown): x is LocalResponse {
  const r = x as { v?: unknown; ok?: unknown; error?: unknown };
  return !!r && typeof r === 'object' && r.v === 1 && typeof r.ok === 'boolean' && (r.ok || typeof r.error === 'string');
}
