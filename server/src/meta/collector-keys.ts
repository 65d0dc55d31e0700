/**
 * The collector's evidence-signing keys (Ed25519, kid = RFC 7638 thumbprint) and their history
 * (table collector_keys, migration 032). One key is current; rotating makes a new one current
 * from now, closes the old one's validity at the same instant, drops the old private key and
 * records the rotation in the audit log. Bundles carry the whole history (collector-jwks.json)
 * and /.well-known/jwks.json publishes it, so a bundle signed before a rotation still verifies
 * against the live key set.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { Db, Queryable } from '../db/types.js';
import { audit } from '../audit/log.js';

/** Serializes key changes across collectors (audit lock range 7362190+). */
export const COLLECTOR_KEY_LOCK = 7_362_191;
/** NOTIFY channel telling every collector on the database that the current key changed. */
export const COLLECTOR_KEY_CHANNEL = 'posture_collector_key';

/** One key of the history, as published: the public JWK plus its validity (ISO-8601; validTo null = current). */
export interface CollectorKeyRecord {
  kid: string;
  publicJwk: JWK;
  validFrom: string;
  validTo: string | null;
}

export interface SigningKey {
  kid: string;
  key: CryptoKey;
  publicJwk: JWK;
}

async function newKey(): Promise<{ kid: string; pub: JWK; priv: JWK }> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const priv = await exportJWK(privateKey);
  const { d: _d, ...pub } = priv;
  return { kid: await calculateJwkThumbprint(pub), pub, priv };
}

const published = (kid: string, pub: JWK): JWK => ({ kty: pub.kty, crv: pub.crv, x: pub.x, kid, alg: 'EdDSA', use: 'sig' });

/**
 * Make sure a current key exists. A store from before the key history keeps its key (from
 * collector_meta 'signing_key'), valid since the oldest audit entry; a new store gets a new key.
 */
export async function ensureSigningKey(db: Db): Promise<void> {
  await db.tx(async (q) => {
    await q.query('SELECT pg_advisory_xact_lock($1)', [COLLECTOR_KEY_LOCK]);
    if ((await q.query('SELECT 1 FROM collector_keys WHERE valid_to IS NULL')).rows.length) return;
    const legacy = (await q.query<{ value: string }>(`SELECT value FROM collector_meta WHERE key = 'signing_key'`)).rows[0];
    let k: { kid: string; pub: JWK; priv: JWK };
    if (legacy) {
      const priv = JSON.parse(legacy.value) as JWK;
      const { d: _d, ...pub } = priv;
      k = { kid: await calculateJwkThumbprint(pub), pub, priv };
    } else k = await newKey();
    await q.query(
      `INSERT INTO collector_keys (kid, public_jwk, private_jwk, valid_from, created_by)
       VALUES ($1, $2, $3, ${legacy ? `COALESCE((SELECT min(at) FROM audit_log), now())` : 'now()'}, 'system')`,
      [k.kid, JSON.stringify(published(k.kid, k.pub)), JSON.stringify(k.priv)],
    );
    // The private key now lives in collector_keys only.
    if (legacy) await q.query(`DELETE FROM collector_meta WHERE key = 'signing_key'`);
  });
}

/** The current signing key (read from the store each time: another collector may have rotated it). */
export async function currentSigningKey(q: Queryable): Promise<SigningKey> {
  const r = (await q.query<{ kid: string; public_jwk: JWK; private_jwk: string }>('SELECT kid, public_jwk, private_jwk FROM collector_keys WHERE valid_to IS NULL')).rows[0];
  if (!r) throw new Error('the collector has no current evidence-signing key (ensureSigningKey was not run)');
  return { kid: r.kid, key: (await importJWK(JSON.parse(r.private_jwk) as JWK, 'EdDSA')) as CryptoKey, publicJwk: r.public_jwk };
}

/** Every key, oldest first, with validity. */
export async function keyHistory(q: Queryable): Promise<CollectorKeyRecord[]> {
  const r = await q.query<{ kid: string; public_jwk: JWK; valid_from: Date; valid_to: Date | null }>('SELECT kid, public_jwk, valid_from, valid_to FROM collector_keys ORDER BY valid_from, kid');
  return r.rows.map((k) => ({ kid: k.kid, publicJwk: k.public_jwk, validFrom: new Date(k.valid_from).toISOString(), validTo: k.valid_to ? new Date(k.valid_to).toISOString() : null }));
}

/** JWKS members for the history: each public JWK with its validity (extra members, ignored by JWK libraries). */
export const historyJwks = (h: CollectorKeyRecord[]) => ({ keys: h.map((k) => ({ ...k.publicJwk, kid: k.kid, validFrom: k.validFrom, validTo: k.validTo })) });

/**
 * Rotate: a new current key from now; the old one valid until now, its private half dropped.
 * Audit-logged in the same transaction (action collector_key.rotate). Returns both kids.
 */
export async function rotateSigningKey(db: Db, by: { actor: string; ip?: string | null; reason?: string | null }): Promise<{ kid: string; previousKid: string; at: string }> {
  const k = await newKey();
  const out = await db.tx(async (q) => {
    await q.query('SELECT pg_advisory_xact_lock($1)', [COLLECTOR_KEY_LOCK]);
    const old = (await q.query<{ kid: string }>('SELECT kid FROM collector_keys WHERE valid_to IS NULL')).rows[0];
    if (!old) throw new Error('the collector has no current evidence-signing key');
    const at = (await q.query<{ at: Date }>(`SELECT date_trunc('milliseconds', clock_timestamp()) AS at`)).rows[0].at;
    await q.query('UPDATE collector_keys SET valid_to = $2, private_jwk = NULL WHERE kid = $1', [old.kid, at]);
    await q.query('INSERT INTO collector_keys (kid, public_jwk, private_jwk, valid_from, created_by) VALUES ($1, $2, $3, $4, $5)', [k.kid, JSON.stringify(published(k.kid, k.pub)), JSON.stringify(k.priv), at, by.actor]);
    await audit(q, { actor: by.actor, action: 'collector_key.rotate', target: k.kid, ip: by.ip ?? null, detail: { previousKid: old.kid, kid: k.kid, at: new Date(at).toISOString(), reason: by.reason ?? null } });
    return { kid: k.kid, previousKid: old.kid, at: new Date(at).toISOString() };
  });
  await db.notify(COLLECTOR_KEY_CHANNEL, out.kid).catch(() => {});
  return out;
}
