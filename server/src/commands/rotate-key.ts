/**
 * Key rotation: the agent proves possession of both keys — the new public key signed by
 * the old (current) key and by the new key itself — and the collector retires the old key
 * in the same transaction that registers the new one. Old reports stay verifiable.
 */
import { calculateJwkThumbprint, compactVerify, importJWK, type CryptoKey, type JWK } from 'jose';
import type { Db } from '../db/types.js';
import { audit } from '../audit/log.js';
import type { DeviceKey } from '../gateway/device-keys.js';

class RotationRefused extends Error {}

export async function completeKeyRotation(
  db: Db,
  deviceId: string,
  commandId: string,
  current: DeviceKey,
  oldKeyProof: string,
  newKeyProof: string,
): Promise<{ ok: true; kid: string } | { ok: false; error: string }> {
  let claimed: { deviceId?: string; commandId?: string; newJwk?: JWK };
  try {
    const { payload } = await compactVerify(oldKeyProof, current.key, { algorithms: ['EdDSA'] });
    claimed = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    return { ok: false, error: 'old-key proof does not verify' };
  }
  if (claimed.deviceId !== deviceId || claimed.commandId !== commandId || !claimed.newJwk) return { ok: false, error: 'proof is for another device or command' };
  const jwk = claimed.newJwk;
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string' || jwk.d) return { ok: false, error: 'new key must be a public Ed25519 JWK' };
  let newKey: CryptoKey;
  try {
    newKey = (await importJWK({ kty: 'OKP', crv: 'Ed25519', x: jwk.x }, 'EdDSA')) as CryptoKey;
    const { payload } = await compactVerify(newKeyProof, newKey, { algorithms: ['EdDSA'] });
    const p = JSON.parse(new TextDecoder().decode(payload));
    if (p.deviceId !== deviceId || p.commandId !== commandId) return { ok: false, error: 'new-key proof mismatch' };
  } catch {
    return { ok: false, error: 'new-key proof does not verify' };
  }
  const pub = { kty: 'OKP', crv: 'Ed25519', x: jwk.x };
  const kid = await calculateJwkThumbprint(pub);
  await db.tx(async (q) => {
    // Only a rotation the collector asked for (an admin's rotate-key command, open, for this
    // device) is honoured: a device must not re-key itself with a command id it made up.
    const cmd = await q.query(`SELECT 1 FROM commands WHERE id = $1 AND device_id = $2 AND command = 'rotate-key' AND completed_at IS NULL FOR UPDATE`, [commandId, deviceId]);
    if (!cmd.rows.length) throw new RotationRefused('no open rotate-key command with this id was issued to this device');
    const dup = await q.query('SELECT 1 FROM device_keys WHERE kid = $1', [kid]);
    if (dup.rows.length) throw new Error('key already registered');
    await q.query(`UPDATE device_keys SET retired_at = now(), retired_reason = 'rotated' WHERE device_id = $1 AND retired_at IS NULL`, [deviceId]);
    await q.query('INSERT INTO device_keys (kid, device_id, public_jwk) VALUES ($1,$2,$3)', [kid, deviceId, JSON.stringify(pub)]);
    await q.query('UPDATE commands SET completed_at = now(), result = $2 WHERE id = $1', [commandId, JSON.stringify({ kid })]);
    await audit(q, { actor: `device:${deviceId}`, action: 'device.key_rotated', target: deviceId, detail: { oldKid: current.kid, newKid: kid } });
  });
  return { ok: true, kid };
}
