/**
 * The verification pool (server/src/ingest/verify-pool.ts): real worker threads give the same
 * result as verifyReport in the main thread — the parsed payload for a good report, the same
 * code and message for a refused one — and the pool's own outcomes are retries: `verifier_busy`
 * past the queue bound, `verifier_failed` for reports in flight on a worker that died, after
 * which the pool has a worker again. Reports are shaped like the agent's (protected header
 * {alg: EdDSA, kid}; payload as scripts/simulate builds it, as in verify-report.test.ts).
 */
import { createPublicKey, generateKeyPairSync, randomUUID, sign, type JsonWebKey, type KeyObject } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { calculateJwkThumbprint, importJWK, type CryptoKey, type JWK } from 'jose';
import { verifyReport } from '../../server/src/ingest/verify.js';
import { VerifyPool, verifyPoolSize } from '../../server/src/ingest/verify-pool.js';
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

const payloadFor = (deviceId: string, reportId = randomUUID()) => ({ v: 1, reportId, deviceId, seq: 1, collectedAt: new Date().toISOString(), agentVersion: '0.1.0', trigger: 'interval', inventory: inventoryOf(3), checks: checksOf(3, 1), spool: { pending: 0, evicted: 0, quarantined: 0 } });

function signWith(key: KeyObject, header: object, payload: unknown): string {
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;
  return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`;
}

let pool: VerifyPool | null = null;
afterEach(async () => {
  await pool?.close();
  pool = null;
});

describe('report verification in worker threads', () => {
  it('gives the main thread verifier results: payload when good, same code and message when refused', async () => {
    pool = new VerifyPool(2);
    const d = await device();
    const other = await device();
    const p = payloadFor(d.deviceId);
    const good = signWith(d.privateKey, { alg: 'EdDSA', kid: d.kid }, p);
    const [h, body, sig] = good.split('.');
    const flipped = `${h}.${body}.${(sig[0] === 'A' ? 'B' : 'A') + sig.slice(1)}`;
    const cases: [string, string][] = [
      [p.reportId, good],
      [p.reportId, flipped],
      [p.reportId, signWith(other.privateKey, { alg: 'EdDSA', kid: other.kid }, p)],
      [p.reportId, signWith(d.privateKey, { alg: 'EdDSA', kid: d.kid, crit: ['exp'] }, p)],
      [randomUUID(), good],
      [p.reportId, signWith(d.privateKey, { alg: 'EdDSA', kid: d.kid }, { ...p, checks: [...p.checks, p.checks[0]] })],
      [p.reportId, 'not.a.jws!'],
    ];
    const inPool = await Promise.all(cases.map(([id, jws]) => pool!.verify(d.info, id, jws)));
    const inThread = await Promise.all(cases.map(([id, jws]) => verifyReport(d.info, id, jws)));
    expect(inPool[0]).toEqual({ ok: true, report: { payload: p, jws: good, kid: d.kid } });
    expect(inPool).toEqual(inThread);
    expect(inPool.slice(1).map((r) => (r.ok ? 'ok' : r.code))).toEqual(['bad_signature', 'unknown_key', 'bad_header', 'id_mismatch', 'duplicate_check', 'malformed_jws']);
  });

  it('sees a key revoked after an earlier report was verified with it (keys are sent with every request)', async () => {
    pool = new VerifyPool(1);
    const d = await device();
    const p = payloadFor(d.deviceId);
    const jws = signWith(d.privateKey, { alg: 'EdDSA', kid: d.kid }, p);
    expect((await pool.verify(d.info, p.reportId, jws)).ok).toBe(true);
    const k = d.info.keys.get(d.kid)!;
    const revoked: DeviceAuthInfo = { ...d.info, keys: new Map([[d.kid, { ...k, revokedAt: new Date() }]]) };
    const r = await pool.verify(revoked, p.reportId, jws);
    expect(r.ok ? 'ok' : r.code).toBe('key_revoked');
  });

  it('answers retry past its queue bound and for reports on a worker that died, then works again', async () => {
    pool = new VerifyPool(1, { maxQueued: 2 });
    const d = await device();
    const reports = Array.from({ length: 5 }, () => {
      const p = payloadFor(d.deviceId);
      return { id: p.reportId, jws: signWith(d.privateKey, { alg: 'EdDSA', kid: d.kid }, p) };
    });
    const rs = await Promise.all(reports.map((r) => pool!.verify(d.info, r.id, r.jws)));
    expect(rs.map((r) => (r.ok ? 'ok' : r.code))).toEqual(['ok', 'ok', 'verifier_busy', 'verifier_busy', 'verifier_busy']);
    for (const r of rs.slice(2)) expect(r.ok ? 0 : r.retryAfterMs).toBeGreaterThan(0);
    expect(pool.pending).toBe(0);

    // A worker that dies with a report in flight: that report is told to retry, never rejected.
    // (Handed over after the stop began, so the worker never answers it.)
    const slots = (pool as unknown as { slots: { worker: { terminate(): Promise<number> } }[] }).slots;
    const stopped = slots[0].worker.terminate();
    const inFlight = pool.verify(d.info, reports[0].id, reports[0].jws);
    await stopped;
    const lost = await inFlight;
    expect(lost.ok ? 'ok' : [lost.code, lost.retryAfterMs]).toEqual(['verifier_failed', 60_000]);
    expect(pool.pending).toBe(0);
    // While it is being replaced (after 1 s, never in a tight loop) reports are told to retry at once.
    const meanwhile = await pool.verify(d.info, reports[1].id, reports[1].jws);
    expect(meanwhile.ok ? 'ok' : meanwhile.code).toBe('verifier_failed');
    await new Promise((r) => setTimeout(r, 1_500));
    const again = await pool.verify(d.info, reports[1].id, reports[1].jws);
    expect(again.ok).toBe(true);
  });

  it('sizes itself from the setting: auto is cores less one, at least one; 0 is off', () => {
    expect(verifyPoolSize('auto')).toBeGreaterThanOrEqual(1);
    expect(verifyPoolSize(0)).toBe(0);
    expect(verifyPoolSize('3')).toBe(3);
  });
});
