/**
 * My-device link tokens: an EdDSA JWT signed by the device's current key, aud =
 * "<collectorId>:my-device", sub = device id, lifetime ≤ 15 min, unique jti (used once).
 * The socket accepts only aud = "<collectorId>" (gateway/device-auth.ts), and this module
 * only the suffixed audience, so neither token opens the other door.
 */
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import { MY_DEVICE_AUDIENCE_SUFFIX } from '#shared/protocol/messages.js';
import { LIMITS } from '#shared/protocol/limits.js';
import type { Ctx } from '../context.js';

/** Longest link lifetime accepted (the agent mints 10 min). */
export const MAX_LINK_LIFETIME_SEC = 15 * 60;

export type LinkVerdict =
  | { ok: true; deviceId: string; kid: string; jti: string }
  | { ok: false; reason: 'malformed' | 'unknown_device' | 'revoked' | 'not_current_key' | 'bad_signature' | 'expired' | 'invalid' | 'too_long' | 'replayed'; detail: string };

const no = (reason: Exclude<LinkVerdict, { ok: true }>['reason'], detail: string): LinkVerdict => ({ ok: false, reason, detail });

export const myDeviceAudience = (collectorId: string) => `${collectorId}${MY_DEVICE_AUDIENCE_SUFFIX}`;

/**
 * Verify a link token. `consume` records the jti so the same link cannot be exchanged twice
 * (a URL can linger in browser history or a screenshot).
 */
export async function verifyLinkToken(ctx: Pick<Ctx, 'db' | 'keys' | 'identity'>, token: string, consume = true): Promise<LinkVerdict> {
  if (!token || token.length > 4096) return no('malformed', 'missing or oversized token');
  let sub: string | undefined;
  let kid: string | undefined;
  try {
    kid = decodeProtectedHeader(token).kid;
    sub = decodeJwt(token).sub;
  } catch {
    return no('malformed', 'not a JWT');
  }
  if (!sub || !kid || sub.length > 64 || kid.length > 128) return no('malformed', 'token lacks sub or kid');
  const info = await ctx.keys.get(sub);
  if (!info) return no('unknown_device', 'unknown device');
  if (info.revokedAt) return no('revoked', 'device revoked');
  const key = info.keys.get(kid);
  // A key of another device is simply absent from this device's map; retired keys are refused too.
  if (!key || key.retiredAt || key.revokedAt) return no('not_current_key', 'not the device’s current key');
  let payload;
  try {
    ({ payload } = await jwtVerify(token, key.key, {
      algorithms: ['EdDSA'],
      audience: myDeviceAudience(ctx.identity.collectorId),
      subject: sub,
      clockTolerance: LIMITS.clockSkewSec,
      requiredClaims: ['exp', 'iat', 'jti'],
    }));
  } catch (e) {
    if (e instanceof joseErrors.JWTExpired) return no('expired', 'link expired');
    if (e instanceof joseErrors.JWSSignatureVerificationFailed) return no('bad_signature', 'bad signature');
    return no('invalid', (e as Error).message.slice(0, 120));
  }
  const { exp, iat, jti } = payload as { exp: number; iat: number; jti: unknown };
  if (typeof iat !== 'number' || iat > Date.now() / 1000 + LIMITS.clockSkewSec) return no('invalid', `link issued in the future (iat beyond ${LIMITS.clockSkewSec}s of clock skew)`);
  if (exp - iat > MAX_LINK_LIFETIME_SEC) return no('too_long', `link lifetime exceeds ${MAX_LINK_LIFETIME_SEC}s`);
  if (typeof jti !== 'string' || jti.length < 8 || jti.length > 128) return no('invalid', 'bad jti');
  if (consume) {
    // Same table as socket jtis, distinct prefix: a jti is single-use per purpose.
    const r = await ctx.db.query('INSERT INTO token_jtis (jti, expires_at) VALUES ($1, to_timestamp($2)) ON CONFLICT (jti) DO NOTHING', [
      `my-device:${sub}:${jti}`,
      exp + LIMITS.clockSkewSec,
    ]);
    if (r.rowCount === 0) return no('replayed', 'link already used');
  }
  return { ok: true, deviceId: sub, kid, jti };
}
