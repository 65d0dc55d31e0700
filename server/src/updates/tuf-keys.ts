/**
 * Ed25519 keys for the update repository (The Update Framework, spec v1.0): PKCS#8 PEM files
 * on disk, published in metadata as {keytype: ed25519, scheme: ed25519, keyval: {public: hex}}
 * with keyid = SHA-256 of the key's canonical JSON (TUF spec §4.2 "KEYID").
 *
 * Which key lives where (docs/deploy.md "Signed updates"):
 *   root, targets, snapshot  offline: files the release operator keeps (`npm run release`)
 *   timestamp                online: on the collector, which re-signs timestamp.json
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Key, Signature } from '@tufjs/models';

export const ROLES = ['root', 'targets', 'snapshot', 'timestamp'] as const;
export type RoleName = (typeof ROLES)[number];

export interface SigningKey {
  key: Key;
  private: KeyObject;
  /** Signs canonical-JSON bytes for Metadata.sign(). */
  signer: (data: Buffer) => Signature;
}

function publicHex(pub: KeyObject): string {
  // SPKI of Ed25519 = 12-byte prefix + 32-byte raw key.
  return pub.export({ type: 'spki', format: 'der' }).subarray(12).toString('hex');
}

export function tufKey(pub: KeyObject): Key {
  const body = { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: publicHex(pub) } };
  // Canonical JSON of this fixed shape: keys sorted, no whitespace (hex needs no escaping).
  const canonical = `{"keytype":"ed25519","keyval":{"public":"${body.keyval.public}"},"scheme":"ed25519"}`;
  const keyID = createHash('sha256').update(canonical).digest('hex');
  return new Key({ keyID, keyType: body.keytype, scheme: body.scheme, keyVal: body.keyval });
}

export function signingKey(priv: KeyObject): SigningKey {
  if (priv.asymmetricKeyType !== 'ed25519') throw new Error(`update signing keys must be Ed25519, got ${priv.asymmetricKeyType}`);
  const key = tufKey(createPublicKey(priv));
  return { key, private: priv, signer: (data) => new Signature({ keyID: key.keyID, sig: sign(null, data, priv).toString('hex') }) };
}

/** Load a PKCS#8 PEM Ed25519 key; a clear error names the file. */
export function loadSigningKey(file: string): SigningKey {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`update signing key ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return signingKey(createPrivateKey(pem));
  } catch (e) {
    throw new Error(`update signing key ${file}: not an Ed25519 PKCS#8 PEM key (${(e as Error).message})`);
  }
}

/** Load the key at `file`, or create it (mode 0600) when absent. */
export function loadOrCreateSigningKey(file: string): { key: SigningKey; created: boolean } {
  if (existsSync(file)) return { key: loadSigningKey(file), created: false };
  const { privateKey } = generateKeyPairSync('ed25519');
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  return { key: signingKey(privateKey), created: true };
}
