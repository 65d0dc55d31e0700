/**
 * Device public keys, cached in memory and invalidated when a device is revoked or
 * rotates its key (on this collector directly, on others through NOTIFY).
 */
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { importJWK, type CryptoKey, type JWK } from 'jose';
import type { Db } from '../db/types.js';

export interface DeviceKey {
  kid: string;
  key: CryptoKey;
  /**
   * The same public key for node:crypto's one-shot verify (ingest/verify.ts): a report's
   * signature is checked synchronously, without WebCrypto's per-call promise and job.
   */
  keyObject: KeyObject;
  jwk: JWK;
  retiredAt: Date | null;
  /** 'rotated' (by the device itself) or 'replaced' (an administrator approved another install); null for older rows. */
  retiredReason: string | null;
  revokedAt: Date | null;
}

export interface DeviceAuthInfo {
  deviceId: string;
  revokedAt: Date | null;
  keys: Map<string, DeviceKey>;
}

export class DeviceKeyCache {
  private cache = new Map<string, { info: DeviceAuthInfo | null; at: number }>();
  private static readonly TTL_MS = 60_000;

  constructor(private readonly db: Db) {}

  invalidate(deviceId: string): void {
    this.cache.delete(deviceId);
  }

  async get(deviceId: string): Promise<DeviceAuthInfo | null> {
    const hit = this.cache.get(deviceId);
    if (hit && Date.now() - hit.at < DeviceKeyCache.TTL_MS) return hit.info;
    const dev = await this.db.query<{ id: string; revoked_at: Date | null }>('SELECT id, revoked_at FROM devices WHERE id = $1', [deviceId]);
    if (!dev.rows[0]) {
      // Unknown ids are cached briefly too, so a flood of bogus ids costs one query each per minute.
      if (this.cache.size < 100_000) this.cache.set(deviceId, { info: null, at: Date.now() });
      return null;
    }
    const keys = await this.db.query<{ kid: string; public_jwk: JWK; retired_at: Date | null; retired_reason: string | null; revoked_at: Date | null }>(
      'SELECT kid, public_jwk, retired_at, retired_reason, revoked_at FROM device_keys WHERE device_id = $1',
      [deviceId],
    );
    const map = new Map<string, DeviceKey>();
    for (const k of keys.rows) {
      map.set(k.kid, {
        kid: k.kid,
        jwk: k.public_jwk,
        key: (await importJWK(k.public_jwk, 'EdDSA')) as CryptoKey,
        keyObject: createPublicKey({ key: k.public_jwk as JsonWebKey, format: 'jwk' }),
        retiredAt: k.retired_at ? new Date(k.retired_at) : null,
        retiredReason: k.retired_reason,
        revokedAt: k.revoked_at ? new Date(k.revoked_at) : null,
      });
    }
    const info: DeviceAuthInfo = { deviceId, revokedAt: dev.rows[0].revoked_at, keys: map };
    this.cache.set(deviceId, { info, at: Date.now() });
    return info;
  }
}
