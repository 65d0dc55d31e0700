/**
 * Report JWS verification on the socket path (server/src/ingest/verify.ts), which checks the
 * Ed25519 signature with node:crypto directly: a report the device signed passes; any change
 * to the signed bytes, another device's key, a non-canonical encoding, or a JWS extension
 * header is refused with its code. Reports are shaped like the agent's (agent/src/identity/
 * keys.ts signJson: protected header {alg: EdDSA, kid}; payload as scripts/simulate builds it).
 */
import { createPublicKey, generateKeyPairSync, randomUUID, sign, type JsonWebKey, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { calculateJwkThumbprint, CompactSign, importJWK, type CryptoKey, type JWK } from 'jose';
import { verifyReport } from '../../server/src/ingest/verify.js';
import type { DeviceAuthInfo } from '../../server/src/gateway/device-keys.js';
import { checksOf, inventoryOf } from '../../scripts/simulate/templates.js';

const b64u = (s: string | Buffer) => Buffer.from(s).toString('base64url');

async function device() {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' }) as JWK;
  const pub: JWK = { kty: 'OKP', crv: 'Ed25519', x: jwk.x };
  const kid = await calculateJwkThumbprint(pub);
  const deviceId = `dev_${randomUUID().slice(0, 12)}`;
  const info: DeviceAuthInfo = {
    deviceId,
    revokedAt: null,
    keys: new Map([[kid, { kid, jwk: pub, key: (await importJWK(pub, 'EdDSA')) as CryptoKey, keyObject: createPublicKey({ key: pub as JsonWebKey, format: 'jwk' }), retiredAt: null, retiredReason: null, revokedAt: null }]]),
  };
  return { privateKey, kid, deviceId, info };
}

function payloadFor(deviceId: string, reportId = randomUUID()) {
  return { v: 1, reportId, deviceId, seq: 1, collectedAt: new Date().toISOString(), agentVersion: '0.1.0', trigger: 'interval', inventory: inventoryOf(3), checks: checksOf(3, 1), spool: { pending: 0, evicted: 0, quarantined: 0 } };
}

function signWith(key: KeyObject, header: object, payload: unknown): string {
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;
  return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`;
}

describe('report signature verification', () => {
  it('accepts a report signed by the device key, as jose (the agent) signs it', async () => {
    const d = await device();
    const p = payloadFor(d.deviceId);
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(p))).setProtectedHeader({ alg: 'EdDSA', kid: d.kid }).sign(d.privateKey);
    const r = await verifyReport(d.info, p.reportId, jws);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.report).toEqual({ payload: p, jws, kid: d.kid });
  });

  it('refuses changed bytes, another key, a non-canonical encoding and extension headers', async () => {
    const d = await device();
    const other = await device();
    const p = payloadFor(d.deviceId);
    const good = signWith(d.privateKey, { alg: 'EdDSA', kid: d.kid }, p);
    const [h, body, sig] = good.split('.');
    const code = async (jws: string) => {
      const r = await verifyReport(d.info, p.reportId, jws);
      return r.ok ? 'ok' : r.code;
    };
    expect(await code(good)).toBe('ok');
    // Same header and signature, payload changed by one field.
    expect(await code(`${h}.${b64u(JSON.stringify({ ...p, seq: 2 }))}.${sig}`)).toBe('bad_signature');
    // Signature bit flipped.
    const flipped = Buffer.from(sig, 'base64url');
    flipped[0] ^= 1;
    expect(await code(`${h}.${body}.${flipped.toString('base64url')}`)).toBe('bad_signature');
    // Signed by another device's key under this device's kid.
    expect(await code(signWith(other.privateKey, { alg: 'EdDSA', kid: d.kid }, p))).toBe('bad_signature');
    // Trailing padding / a non-canonical last character: the same bytes, another encoding.
    expect(await code(`${h}.${body}.${sig}=`)).toBe('malformed_jws');
    expect(await code(`${h}.${body}`)).toBe('malformed_jws');
    // Extensions this verifier does not implement are refused even when correctly signed.
    expect(await code(signWith(d.privateKey, { alg: 'EdDSA', kid: d.kid, crit: ['exp'], exp: 1 }, p))).toBe('bad_header');
    expect(await code(signWith(d.privateKey, { alg: 'EdDSA', kid: d.kid, b64: false, crit: ['b64'] }, p))).toBe('bad_header');
    expect(await code(signWith(d.privateKey, { alg: 'ES256', kid: d.kid }, p))).toBe('bad_header');
    expect(await code(signWith(d.privateKey, { alg: 'EdDSA', kid: other.kid }, p))).toBe('unknown_key');
  });
});
