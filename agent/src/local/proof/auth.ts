/**
 * The secret-file proof's wire crypto (docs/local-channel.md, "Secret-file proof"), shared
 * by the agent and the CLI. Pure functions of Node's crypto; no I/O.
 *
 * Why not simply send the secret: on Windows the pipe must be writable by Everyone, and
 * GENERIC_WRITE on a named pipe includes FILE_CREATE_PIPE_INSTANCE (it has the same value as
 * FILE_APPEND_DATA: learn.microsoft.com/windows/win32/ipc/named-pipe-security-and-access-rights),
 * so any local user can create another instance of the agent's pipe and receive clients'
 * requests. So the secret never leaves the client: a request carries an HMAC of itself under
 * the secret (fresh nonce and time, replays refused), and the agent's answer is sealed with
 * AES-256-GCM under a key derived from the secret and that nonce, so a stand-in that holds no
 * secret can neither read nor forge it. A relay (a stand-in forwarding to the real agent)
 * sees only sealed bytes.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/** A principal's secret: 32 random bytes, written to its file as base64url (43 chars). */
export const SECRET_BYTES = 32;
/** A request is accepted this long either side of the agent's clock (ms). */
export const MAX_CLOCK_SKEW_MS = 120_000;

/** What a request carries to prove who sent it. `id`: SID (Windows) or uid (POSIX), as in the secret's path. */
export interface ProofAuth {
  id: string;
  /** 16 random bytes, base64url (22 chars): never reused (the agent remembers them for the skew window). */
  nonce: string;
  /** The client's clock, ms since the epoch. */
  at: number;
  /** base64url HMAC-SHA256(secret, proofMessage(...)). */
  mac: string;
}

/** A Windows account SID (S-1-5-21-… local/domain, S-1-12-1-… Entra ID) or a POSIX uid: the shapes allowed in a path. */
export const PRINCIPAL_ID_RE = /^(S-1-\d{1,2}(-\d{1,10}){1,14}|\d{1,10})$/;

/** The bytes a request's MAC covers: the request type, the claimed principal, nonce and time. */
export function proofMessage(type: string, id: string, nonce: string, at: number): Buffer {
  return Buffer.from(`posture-local-v1\n${type}\n${id}\n${nonce}\n${at}`, 'utf8');
}

/** The client side: the auth for one request of `type`, from its own secret. */
export function signRequest(type: string, id: string, secret: Buffer, now = Date.now()): ProofAuth {
  const nonce = randomBytes(16).toString('base64url');
  const mac = createHmac('sha256', secret).update(proofMessage(type, id, nonce, now)).digest('base64url');
  return { id, nonce, at: now, mac };
}

/** Constant-time: does `auth.mac` match the MAC of this request under `secret`? */
export function macMatches(type: string, auth: ProofAuth, secret: Buffer): boolean {
  const want = createHmac('sha256', secret).update(proofMessage(type, auth.id, auth.nonce, auth.at)).digest();
  const got = Buffer.from(auth.mac, 'base64url');
  return got.length === want.length && timingSafeEqual(got, want);
}

/** The answer's key: HKDF-SHA256 of the secret, salted by the request's nonce (one key per request). */
function sealKey(secret: Buffer, nonce: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.from(nonce, 'base64url'), 'posture-local-v1 answer', 32));
}

/** Seal an answer line's JSON for the client that sent `nonce`: base64url(iv ‖ tag ‖ ciphertext). */
export function seal(json: string, secret: Buffer, nonce: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', sealKey(secret, nonce), iv);
  c.setAAD(Buffer.from(nonce, 'utf8'));
  const ct = Buffer.concat([c.update(json, 'utf8'), c.final()]);
  return Buffer.concat([iv, c.getAuthTag(), ct]).toString('base64url');
}

/** Open a sealed answer; null when it was not sealed by a holder of `secret` for this nonce (forged, altered, or another request's). */
export function unseal(sealed: string, secret: Buffer, nonce: string): string | null {
  const b = Buffer.from(sealed, 'base64url');
  if (b.length < 28) return null;
  try {
    const d = createDecipheriv('aes-256-gcm', sealKey(secret, nonce), b.subarray(0, 12));
    d.setAAD(Buffer.from(nonce, 'utf8'));
    d.setAuthTag(b.subarray(12, 28));
    return Buffer.concat([d.update(b.subarray(28)), d.final()]).toString('utf8');
  } catch {
    return null;
  }
}

/** Parse a secret file's text (base64url of SECRET_BYTES, optional trailing newline); null when it is not one. */
export function parseSecret(text: string): Buffer | null {
  const t = text.trim();
  if (!/^[A-Za-z0-9_-]{43}$/.test(t)) return null;
  const b = Buffer.from(t, 'base64url');
  return b.length === SECRET_BYTES ? b : null;
}
