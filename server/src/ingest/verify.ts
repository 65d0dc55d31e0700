/**
 * Verify one report JWS: signed by a key of the device on this socket, payload valid,
 * bound to this device and report id, not from the future, and not signed by a key that
 * had already been rotated out when the report was collected.
 */
import { verify as verifySignature } from 'node:crypto';
import { decodeProtectedHeader } from 'jose';
import { ReportPayload } from '#shared/protocol/messages.js';
import { LIMITS } from '#shared/protocol/limits.js';
import { parseJsonLimited } from '#shared/protocol/json.js';
import { compile } from '#shared/schema/validate.js';
import type { DeviceKey } from '../gateway/device-keys.js';
import type { VerifiedReport } from './apply.js';

const reportValidator = compile(ReportPayload);
const decoder = new TextDecoder('utf-8', { fatal: true });

export type VerifyResult = { ok: true; report: VerifiedReport } | { ok: false; code: string; message: string; retryAfterMs?: number };

/**
 * What verification needs of a device's keys: the gateway's DeviceAuthInfo is one; the verify
 * worker (verify-worker.ts) rebuilds one from plain values.
 */
export interface VerifyKeyInfo {
  deviceId: string;
  keys: ReadonlyMap<string, Pick<DeviceKey, 'keyObject' | 'revokedAt' | 'retiredAt'>>;
}

const no = (code: string, message: string): VerifyResult => ({ ok: false, code, message });

export async function verifyReport(info: VerifyKeyInfo, messageId: string, jws: string, now = Date.now()): Promise<VerifyResult> {
  // Only canonical base64url: otherwise one signature has several encodings, and the stored
  // "verbatim" evidence could differ from what the device produced.
  const parts = jws.split('.');
  if (parts.length !== 3) return no('malformed_jws', 'report is not a canonical compact JWS');
  const raw = parts.map((p) => Buffer.from(p, 'base64url'));
  if (raw.some((b, i) => b.toString('base64url') !== parts[i])) return no('malformed_jws', 'report is not a canonical compact JWS');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jws);
  } catch {
    return no('malformed_jws', 'report is not a compact JWS');
  }
  const { kid, alg } = header;
  if (alg !== 'EdDSA' || typeof kid !== 'string' || !kid) return no('bad_header', 'report must be EdDSA-signed with a kid');
  // No JWS extension is understood here: a critical one must be refused (RFC 7515 §4.1.11), and
  // b64 (RFC 7797) would change what was signed. The agent sends neither.
  if ('crit' in header || 'b64' in header) return no('bad_header', 'report header carries an unsupported JWS extension (crit/b64)');
  const key = info.keys.get(kid);
  if (!key) return no('unknown_key', 'report is signed by a key this device never registered');
  if (key.revokedAt) return no('key_revoked', 'report is signed by a revoked key');
  // EdDSA (RFC 8037) is Ed25519 or Ed448; with any other key type a null-digest verify would mean something else.
  const type = key.keyObject.asymmetricKeyType;
  if (type !== 'ed25519' && type !== 'ed448') return no('bad_signature', 'report signature does not verify');
  // RFC 7515 §5.2: the signature covers the ASCII of "<protected>.<payload>" as sent (the
  // canonical-encoding check above makes that the only encoding). node:crypto's one-shot
  // Ed25519 verify is synchronous: about 40 µs less CPU per report than WebCrypto through jose
  // (scripts/bench/ingest-cpu.ts), which matters when the collector's cores are the limit.
  let ok = false;
  try {
    ok = verifySignature(null, Buffer.from(`${parts[0]}.${parts[1]}`, 'ascii'), key.keyObject, raw[2]);
  } catch {
    ok = false;
  }
  if (!ok) return no('bad_signature', 'report signature does not verify');
  const bytes = raw[1];
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return no('bad_payload', 'report payload is not UTF-8');
  }
  const parsed = parseJsonLimited(text, LIMITS.maxJsonDepth);
  if (!parsed.ok) return no('bad_payload', parsed.error);
  const v = reportValidator.validate(parsed.value);
  if (!v.ok) return no('schema', `report payload invalid: ${v.errors.join('; ')}`);
  const p = v.value;
  // Two results for one check would make the shown verdict and the stored evidence disagree.
  const seen = new Set<string>();
  for (const [i, c] of p.checks.entries()) {
    if (seen.has(c.id)) return no('duplicate_check', `report payload invalid: /checks/${i}/id: check "${c.id}" appears more than once`);
    seen.add(c.id);
  }
  if (p.deviceId !== info.deviceId) return no('wrong_device', 'report belongs to another device');
  if (p.reportId !== messageId) return no('id_mismatch', 'message id and signed report id differ');
  const at = Date.parse(p.collectedAt);
  if (!Number.isFinite(at)) return no('bad_time', 'collectedAt is not a time');
  if (at > now + LIMITS.maxReportFutureSkewSec * 1000) {
    // Not stored now; a device whose clock runs ahead keeps it and may deliver once real time
    // has caught up (bounded by its spool's age limit), so no evidence is thrown away.
    const wait = at - now - LIMITS.maxReportFutureSkewSec * 1000;
    return { ok: false, code: 'future', message: 'report is dated too far in the future (check the device clock)', retryAfterMs: Math.min(Math.max(wait, 60_000), 3_600_000) };
  }
  if (key.retiredAt && at > key.retiredAt.getTime()) return no('key_rotated_out', 'report was signed after this key was rotated out');
  return { ok: true, report: { payload: p, jws, kid } };
}
