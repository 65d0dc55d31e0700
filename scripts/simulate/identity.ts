/**
 * Simulated device identities: an Ed25519 key pair per agent (generated with jose, the
 * agent's own library), enrolled with the collector over the real enrollment API, and
 * cached in a JSON-lines file so a rerun against the same collector skips enrolment.
 *
 * Signing uses node:crypto directly on the stored JWK: the bytes are the same EdDSA
 * compact JWS the agent produces, without holding a CryptoKey per agent in memory.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createHash, createPrivateKey, randomUUID, sign } from 'node:crypto';
import { dirname } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { inventoryOf } from './templates.js';

export interface SimIdentity {
  i: number;
  deviceId: string;
  kid: string;
  /** Ed25519 private scalar and public key, base64url (JWK d and x). */
  d: string;
  x: string;
}

export const SIM_AGENT_VERSION = '0.1.0-sim';

/** Identities already enrolled with this collector, by agent index. */
export function loadCache(file: string): Map<number, SimIdentity> {
  const out = new Map<number, SimIdentity>();
  if (!existsSync(file)) return out;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    try {
      const id = JSON.parse(line) as SimIdentity;
      out.set(id.i, id);
    } catch {
      /* a torn last line from an interrupted run: enrol that agent again */
    }
  }
  return out;
}

export function appendCache(file: string, ids: SimIdentity[]): void {
  if (!ids.length) return;
  mkdirSync(dirname(file), { recursive: true });
  // One short O_APPEND write per batch: safe with several worker processes appending.
  appendFileSync(file, ids.map((x) => JSON.stringify(x)).join('\n') + '\n');
}

/** A stable fingerprint per agent index, so a rerun without cache re-enrols the same devices. */
export const fingerprintOf = (salt: string, i: number) => createHash('sha256').update(`posture-sim:${salt}:${i}`).digest('hex');

export async function enrollOne(server: string, secret: string, salt: string, i: number): Promise<SimIdentity> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwk = await exportJWK(privateKey);
  const publicJwk = { kty: 'OKP', crv: 'Ed25519', x: jwk.x! };
  const res = await fetch(`${server}/agent/v1/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ secret, publicJwk, fingerprint: fingerprintOf(salt, i), agentVersion: SIM_AGENT_VERSION, inventory: inventoryOf(i) }),
    signal: AbortSignal.timeout(60_000),
  });
  const body = (await res.json().catch(() => ({}))) as { deviceId?: string; error?: { code?: string } };
  if (!res.ok || !body.deviceId) throw new Error(`enroll-${res.status}${body.error?.code ? `-${body.error.code}` : ''}`);
  return { i, deviceId: body.deviceId, kid: await calculateJwkThumbprint(publicJwk), d: jwk.d!, x: jwk.x! };
}

const b64u = (s: string | Buffer) => Buffer.from(s).toString('base64url');

function keyOf(id: SimIdentity) {
  return createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: id.d, x: id.x }, format: 'jwk' });
}

/** Compact JWS (EdDSA) over a JSON payload; header carries the key thumbprint as kid. */
export function signCompact(id: SimIdentity, header: object, payload: unknown): string {
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;
  return `${input}.${sign(null, Buffer.from(input), keyOf(id)).toString('base64url')}`;
}

/** Socket token: sub = device, aud = collector id, 2-minute lifetime, unique jti. */
export function socketToken(id: SimIdentity, audience: string): string {
  const iat = Math.floor(Date.now() / 1000);
  return signCompact(id, { alg: 'EdDSA', kid: id.kid, typ: 'JWT' }, { sub: id.deviceId, aud: audience, iat, exp: iat + 120, jti: randomUUID() });
}
