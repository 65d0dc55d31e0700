/**
 * Authenticate an agent socket from the short-lived JWT it presents at upgrade:
 * EdDSA, signed by the device's current key, aud = this collector, exp ≤ 5 min, unique jti.
 * Each failure has its own close code so an agent and an operator can tell them apart.
 */
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import { CLOSE } from '#shared/protocol/messages.js';
import { LIMITS } from '#shared/protocol/limits.js';
import type { Db } from '../db/types.js';
import { isDbUnavailable } from '../db/types.js';
import type { DeviceKeyCache } from './device-keys.js';

export type AuthResult =
  | { ok: true; deviceId: string; kid: string; jti: string }
  | { ok: false; code: number; reason: string };

const fail = (code: number, reason: string): AuthResult => ({ ok: false, code, reason });

export async function authenticateDevice(db: Db, keys: DeviceKeyCache, audience: string, token: string | undefined): Promise<AuthResult> {
  if (!token) return fail(CLOSE.noToken, 'no bearer token');
  if (token.length > 4096) return fail(CLOSE.badToken, 'token too large');
  let sub: string | undefined;
  let kid: string | undefined;
  try {
    kid = decodeProtectedHeader(token).kid;
    sub = decodeJwt(token).sub;
  } catch {
    return fail(CLOSE.badToken, 'malformed token');
  }
  if (!sub || !kid || sub.length > 64 || kid.length > 128) return fail(CLOSE.badToken, 'token lacks sub or kid');
  let info;
  try {
    info = await keys.get(sub);
  } catch (e) {
    if (isDbUnavailable(e)) return fail(CLOSE.retryLater, JSON.stringify({ retryAfterMs: 5000 }));
    throw e;
  }
  if (!info) return fail(CLOSE.unknownDevice, 'unknown device');
  if (info.revokedAt) return fail(CLOSE.revoked, 'device revoked');
  const key = info.keys.get(kid);
  // A retired (rotated-out) or revoked key cannot open a socket. A key an administrator replaced
  // is told apart below, after its signature verifies, so that install can say what happened.
  if (!key || (key.retiredAt && key.retiredReason !== 'replaced') || key.revokedAt) return fail(CLOSE.badSignature, 'key is not the device’s current key');
  let payload;
  try {
    ({ payload } = await jwtVerify(token, key.key, {
      algorithms: ['EdDSA'],
      audience,
      subject: sub,
      clockTolerance: LIMITS.clockSkewSec,
      requiredClaims: ['exp', 'iat', 'jti'],
    }));
  } catch (e) {
    if (e instanceof joseErrors.JWTExpired) return fail(CLOSE.expired, 'token expired');
    if (e instanceof joseErrors.JWSSignatureVerificationFailed) return fail(CLOSE.badSignature, 'bad signature');
    return fail(CLOSE.badToken, `invalid token: ${(e as Error).message.slice(0, 80)}`);
  }
  if (key.retiredAt) return fail(CLOSE.keyReplaced, 'an administrator replaced this device key (another install of this machine was approved)');
  const { exp, iat, jti } = payload as { exp: number; iat: number; jti: string };
  // jose bounds exp and nbf only; a token "issued" in the future would outlive maxTokenLifetimeSec.
  if (typeof iat !== 'number' || iat > Date.now() / 1000 + LIMITS.clockSkewSec) return fail(CLOSE.badToken, `token issued in the future (iat beyond ${LIMITS.clockSkewSec}s of clock skew)`);
  if (exp - iat > LIMITS.maxTokenLifetimeSec) return fail(CLOSE.badToken, `token lifetime exceeds ${LIMITS.maxTokenLifetimeSec}s`);
  if (typeof jti !== 'string' || jti.length < 8 || jti.length > 128) return fail(CLOSE.badToken, 'bad jti');
  try {
    // Shared by all collectors: a jti is accepted once within its lifetime, anywhere.
    const r = await db.query('INSERT INTO token_jtis (jti, expires_at) VALUES ($1, to_timestamp($2)) ON CONFLICT (jti) DO NOTHING', [
      `${sub}:${jti}`,
      exp + LIMITS.clockSkewSec,
    ]);
    if (r.rowCount === 0) return fail(CLOSE.replayed, 'token replayed');
  } catch (e) {
    if (isDbUnavailable(e)) return fail(CLOSE.retryLater, JSON.stringify({ retryAfterMs: 5000 }));
    throw e;
  }
  return { ok: true, deviceId: sub, kid, jti };
}
