/**
 * What an enrolling agent must prove. The enrollment secret is shared by the whole fleet and
 * the fingerprint is readable by every local user (docs/security.md), so neither says WHICH
 * install is asking. A known machine is re-keyed only with a proof signed by its current key;
 * a pending install proves it holds the key it offered before it learns the outcome.
 */
import { compactVerify, decodeProtectedHeader, importJWK, type CryptoKey, type JWK } from 'jose';
import type { Queryable } from '../db/types.js';
import { ApiError } from '../shared/errors.js';

/** Proofs older or further in the future than this are refused (seconds). */
export const PROOF_WINDOW_SEC = 300;

/**
 * The public key an agent offers: an Ed25519 OKP JWK whose x is exactly 32 bytes of
 * base64url, and no private part. Anything else is 400 naming the field, so a junk key can
 * never be stored (it would lock its device out for good).
 * @returns the canonical public JWK {kty, crv, x}
 */
export function validatePublicJwk(jwk: Record<string, unknown>, field = 'publicJwk'): { kty: 'OKP'; crv: 'Ed25519'; x: string } {
  const bad = (sub: string, why: string) => new ApiError(400, 'POSTURE_ERR_VALIDATION', `${field}.${sub}: ${why}`, { field: `${field}.${sub}` });
  if (jwk.kty !== 'OKP') throw bad('kty', 'must be "OKP"');
  if (jwk.crv !== 'Ed25519') throw bad('crv', 'must be "Ed25519"');
  if ('d' in jwk) throw bad('d', 'a private key must never be sent; send the public key only');
  const x = jwk.x;
  if (typeof x !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(x) || Buffer.from(x, 'base64url').length !== 32 || Buffer.from(x, 'base64url').toString('base64url') !== x)
    throw bad('x', 'must be the 32-byte Ed25519 public key in base64url (43 characters, no padding)');
  return { kty: 'OKP', crv: 'Ed25519', x };
}

type ProofResult = { ok: true; kid: string } | { ok: false; reason: string };

async function verifyWith(jws: string, jwk: JWK): Promise<Record<string, unknown> | null> {
  try {
    const key = (await importJWK(jwk, 'EdDSA')) as CryptoKey;
    const { payload } = await compactVerify(jws, key, { algorithms: ['EdDSA'] });
    const v = JSON.parse(new TextDecoder().decode(payload));
    return v && typeof v === 'object' ? v : null;
  } catch {
    return null;
  }
}

const fresh = (iat: unknown, now: number) => typeof iat === 'number' && Math.abs(now / 1000 - iat) <= PROOF_WINDOW_SEC;

/**
 * Verify a re-enrollment proof (ReenrollProofPayload) for `deviceId`: signed by one of the
 * device's keys that has not been retired (rotated or replaced), for this collector, over the
 * new key's x, fresh, and with an unused nonce (recorded in token_jtis).
 * A key revoked with its device still proves continuity once an administrator has restored
 * the device (restore re-admits the machine; the revoked key itself never opens a socket).
 */
export async function verifyReenrollProof(q: Queryable, p: { deviceId: string; audience: string; newX: string; proof: string; now?: number }): Promise<ProofResult> {
  const now = p.now ?? Date.now();
  let kid: string | undefined;
  try {
    kid = decodeProtectedHeader(p.proof).kid;
  } catch {
    return { ok: false, reason: 'proof is not a compact JWS' };
  }
  if (!kid || kid.length > 128) return { ok: false, reason: 'proof has no kid' };
  const r = await q.query<{ public_jwk: JWK; retired_at: Date | null }>('SELECT public_jwk, retired_at FROM device_keys WHERE kid = $1 AND device_id = $2', [kid, p.deviceId]);
  const row = r.rows[0];
  if (!row) return { ok: false, reason: 'proof is not signed by a key of this device' };
  if (row.retired_at) return { ok: false, reason: 'proof is signed by a key that is no longer current' };
  const c = await verifyWith(p.proof, row.public_jwk);
  if (!c) return { ok: false, reason: 'proof signature does not verify' };
  if (c.purpose !== 'posture-reenroll' || c.deviceId !== p.deviceId || c.aud !== p.audience || c.x !== p.newX) return { ok: false, reason: 'proof is for another purpose, device, collector or key' };
  if (!fresh(c.iat, now)) return { ok: false, reason: `proof is older or newer than ${PROOF_WINDOW_SEC}s` };
  if (typeof c.nonce !== 'string' || c.nonce.length < 16 || c.nonce.length > 128) return { ok: false, reason: 'proof nonce missing or malformed' };
  const used = await q.query('INSERT INTO token_jtis (jti, expires_at) VALUES ($1, to_timestamp($2)) ON CONFLICT (jti) DO NOTHING', [
    `reenroll:${p.deviceId}:${c.nonce}`,
    Math.floor(now / 1000) + 2 * PROOF_WINDOW_SEC,
  ]);
  if (used.rowCount === 0) return { ok: false, reason: 'proof already used' };
  return { ok: true, kid };
}

/** The pending install's proof that it holds the key it offered (purpose posture-enrollment-status). */
export async function verifyPendingProof(jwk: JWK, p: { pendingId: string; audience: string; proof: string; now?: number }): Promise<boolean> {
  const c = await verifyWith(p.proof, jwk);
  return !!c && c.purpose === 'posture-enrollment-status' && c.pendingId === p.pendingId && c.aud === p.audience && fresh(c.iat, p.now ?? Date.now());
}
