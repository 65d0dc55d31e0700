/**
 * The device's Ed25519 key pair. The private key never leaves the state directory (0600);
 * it signs the short-lived socket token and every report.
 */
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { CompactSign, SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { writeFileAtomic } from '../state/atomic.js';
import { files } from '../state/paths.js';

export interface DeviceKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function generateDeviceKey(): Promise<{ key: DeviceKey; privateJwk: JWK }> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const privateJwk = await exportJWK(privateKey);
  return { key: await fromPrivateJwk(privateJwk), privateJwk };
}

async function fromPrivateJwk(jwk: JWK): Promise<DeviceKey> {
  const publicJwk: JWK = { kty: 'OKP', crv: 'Ed25519', x: jwk.x };
  return { kid: await calculateJwkThumbprint(publicJwk), privateKey: (await importJWK(jwk, 'EdDSA')) as CryptoKey, publicJwk };
}

export function saveKey(path: string, privateJwk: JWK): void {
  writeFileAtomic(path, JSON.stringify(privateJwk), 0o600);
}

export async function loadKey(path: string): Promise<DeviceKey> {
  return fromPrivateJwk(JSON.parse(readFileSync(path, 'utf8')) as JWK);
}

export async function loadDeviceKey(dir: string): Promise<DeviceKey> {
  return loadKey(files(dir).key);
}

/** A rotation in progress left a next key: the caller decides whether it was accepted. */
export async function loadNextKey(dir: string): Promise<DeviceKey | null> {
  const p = files(dir).nextKey;
  return existsSync(p) ? loadKey(p) : null;
}

/** Promote the next key to current (the collector confirmed the rotation). */
export function promoteNextKey(dir: string): void {
  const f = files(dir);
  writeFileAtomic(f.key, readFileSync(f.nextKey), 0o600);
  unlinkSync(f.nextKey);
}

/** Socket token: EdDSA JWT, aud = collector, 2-minute lifetime, unique jti. */
export async function deviceToken(key: DeviceKey, deviceId: string, audience: string, lifetimeSec = 120): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'JWT' })
    .setSubject(deviceId)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(`${lifetimeSec}s`)
    .setJti(randomUUID())
    .sign(key.privateKey);
}

export async function signJson(key: DeviceKey, payload: unknown): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg: 'EdDSA', kid: key.kid }).sign(key.privateKey);
}
