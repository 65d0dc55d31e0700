/**
 * The collector's identity, shared by every collector process on one database:
 * an id (the JWT audience agents sign for), the salt for hardware fingerprints,
 * and the Ed25519 key that signs evidence manifests (published at /.well-known/jwks.json,
 * rotatable: see collector-keys.ts). The signing fields are refreshed when any collector on
 * the database rotates the key (refreshSigningKey, on COLLECTOR_KEY_CHANNEL).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { JWK, CryptoKey } from 'jose';
import type { Db } from '../db/types.js';
import { currentSigningKey, ensureSigningKey } from './collector-keys.js';

export interface CollectorIdentity {
  collectorId: string;
  fingerprintSalt: string;
  /** The current signing key (kid = RFC 7638 thumbprint); updated in place on rotation. */
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
  await ensureSigningKey(db);
  const k = await currentSigningKey(db);
  return { collectorId, fingerprintSalt, signingKid: k.kid, signingKey: k.key, publicJwk: k.publicJwk };
}

/** Re-read the current signing key into `identity` (after a rotation). */
export async function refreshSigningKey(db: Db, identity: CollectorIdentity): Promise<void> {
  const k = await currentSigningKey(db);
  Object.assign(identity, { signingKid: k.kid, signingKey: k.key, publicJwk: k.publicJwk });
}
