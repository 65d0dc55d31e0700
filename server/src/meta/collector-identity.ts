/**
 * The collector's identity, shared by every collector process on one database:
 * an id (the JWT audience agents sign for), the salt for hardware fingerprints,
 * and the Ed25519 key that signs evidence manifests (published at /.well-known/jwks.json).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, calculateJwkThumbprint, type JWK, type CryptoKey } from 'jose';
import type { Db } from '../db/types.js';

export interface CollectorIdentity {
  collectorId: string;
  fingerprintSalt: string;
  signingKid: string;
  signingKey: CryptoKey;
  publicJwk: JWK;
}

async function getOrSet(db: Db, key: string, make: () => Promise<string> | string): Promise<string> {
  const existing = await db.query<{ value: string }>('SELECT value FROM collector_meta WHERE key = $1', [key]);
  if (existing.rows[0]) return existing.rows[0].value;
  const value = await make();
  // Two collectors starting at once: the first insert wins and both read it back.
  await db.query('INSERT INTO collector_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [key, value]);
  return (await db.query<{ value: string }>('SELECT value FROM collector_meta WHERE key = $1', [key])).rows[0].value;
}

export async function loadIdentity(db: Db): Promise<CollectorIdentity> {
  const collectorId = await getOrSet(db, 'collector_id', () => `posture-collector:${randomUUID()}`);
  const fingerprintSalt = await getOrSet(db, 'fingerprint_salt', () => randomBytes(32).toString('base64url'));
  const privJson = await getOrSet(db, 'signing_key', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    return JSON.stringify(await exportJWK(privateKey));
  });
  const priv = JSON.parse(privJson) as JWK;
  const { d: _d, ...pub } = priv;
  const signingKid = await calculateJwkThumbprint(pub);
  const signingKey = (await importJWK(priv, 'EdDSA')) as CryptoKey;
  return { collectorId, fingerprintSalt, signingKid, signingKey, publicJwk: { ...pub, kid: signingKid, alg: 'EdDSA', use: 'sig' } };
}
