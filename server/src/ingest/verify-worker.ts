/**
 * A worker thread of the verification pool (verify-pool.ts): runs verifyReport — Ed25519
 * signature, payload UTF-8 + JSON parse, schema and storable checks — off the collector's
 * event loop. It holds no state but public keys imported from the JWKs it is sent (keyed by
 * their content, so a rotated or replaced key can never be served stale).
 */
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { verifyReport, type VerifyKeyInfo } from './verify.js';
import type { VerifyReply, VerifyRequest } from './verify-pool.js';

const keyObjects = new Map<string, KeyObject>();
function keyObjectOf(jwk: JsonWebKey): KeyObject {
  const id = `${jwk.kty}:${jwk.crv}:${jwk.x}`;
  let k = keyObjects.get(id);
  if (!k) {
    // Bounded: a collector of 20,000 devices keeps 20,000 keys; past the bound start again.
    if (keyObjects.size >= 100_000) keyObjects.clear();
    keyObjects.set(id, (k = createPublicKey({ key: jwk, format: 'jwk' })));
  }
  return k;
}

parentPort!.on('message', (req: VerifyRequest) => {
  void (async (): Promise<VerifyReply> => {
    try {
      const info: VerifyKeyInfo = {
        deviceId: req.deviceId,
        keys: new Map(req.keys.map((k) => [k.kid, { keyObject: keyObjectOf(k.jwk), revokedAt: k.revokedAt === null ? null : new Date(k.revokedAt), retiredAt: k.retiredAt === null ? null : new Date(k.retiredAt) }])),
      };
      const r = await verifyReport(info, req.messageId, req.jws, req.now);
      // The JWS stays in the main thread: only the parsed payload is sent back.
      return { n: req.n, result: r.ok ? { ok: true, payload: r.report.payload, kid: r.report.kid } : r };
    } catch (e) {
      return { n: req.n, error: (e as Error).message };
    }
  })().then((reply) => parentPort!.postMessage(reply));
});
