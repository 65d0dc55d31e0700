/**
 * A pending enrollment: this machine already had a device at the collector and this install
 * could not prove it holds that device's current key, so an administrator must approve it.
 * The offered key waits in device-key.pending.jwk and the request in pending-enrollment.json;
 * on approval they become the normal agent.json + device-key.jwk, on rejection they are removed.
 */
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { CompactSign } from 'jose';
import { PendingStatusResponse } from '#shared/protocol/messages.js';
import { compile } from '#shared/schema/validate.js';
import { files } from '../state/paths.js';
import { writeFileAtomic, fsyncDir } from '../state/atomic.js';
import { saveConfig, type AgentConfig } from '../state/config.js';
import { loadKey } from './keys.js';
import { postJson } from '../transport/http.js';
import { tlsOptions } from '../transport/tls.js';

export interface PendingEnrollment {
  server: string;
  pendingId: string;
  audience: string;
  keyId: string;
  requestedAt: string;
  caFile?: string;
  pinSha256?: string[];
  /** Set when the collector answered "rejected" (kept so `status` can say why). */
  rejected?: { reason: string | null; at: string | null };
}

export function savePending(dir: string, p: PendingEnrollment): void {
  writeFileAtomic(files(dir).pending, JSON.stringify(p, null, 2) + '\n', 0o600);
}

export function readPending(dir: string): PendingEnrollment | null {
  const p = files(dir).pending;
  if (!existsSync(p)) return null;
  return JSON.parse(readFileSync(p, 'utf8')) as PendingEnrollment;
}

const validate = compile(PendingStatusResponse);

export type PendingOutcome =
  | { status: 'pending'; pending: PendingEnrollment }
  | { status: 'approved'; config: AgentConfig }
  | { status: 'rejected'; pending: PendingEnrollment; reason: string | null }
  | { status: 'unreachable'; pending: PendingEnrollment; error: string };

/**
 * Ask the collector for the outcome, proving possession of the offered key. On "approved" the
 * pending key and request become this install's enrollment (key first, then config).
 */
export async function resolvePending(dir: string, timeoutMs = 10_000): Promise<PendingOutcome | null> {
  const pending = readPending(dir);
  if (!pending) return null;
  if (pending.rejected) return { status: 'rejected', pending, reason: pending.rejected.reason };
  const f = files(dir);
  const key = await loadKey(f.pendingKey);
  const proof = await new CompactSign(new TextEncoder().encode(JSON.stringify({ purpose: 'posture-enrollment-status', pendingId: pending.pendingId, aud: pending.audience, iat: Math.floor(Date.now() / 1000) })))
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid })
    .sign(key.privateKey);
  let body: unknown;
  try {
    const res = await postJson(`${pending.server}/agent/v1/enrollments/status`, { pendingId: pending.pendingId, proof }, tlsOptions({ caFile: pending.caFile, pinSha256: pending.pinSha256 }), timeoutMs);
    if (res.status === 404) return { status: 'rejected', pending, reason: 'the collector no longer knows this enrollment request' };
    if (res.status !== 200) return { status: 'unreachable', pending, error: `collector answered HTTP ${res.status}` };
    body = res.json;
  } catch (e) {
    return { status: 'unreachable', pending, error: plainNetworkError(e as Error, pending.server) };
  }
  const v = validate.validate(body);
  if (!v.ok) return { status: 'unreachable', pending, error: `unexpected answer: ${v.errors[0]}` };
  const r = v.value;
  if (r.status === 'pending') return { status: 'pending', pending };
  if (r.status === 'rejected') {
    savePending(dir, { ...pending, rejected: { reason: r.reason ?? null, at: r.decidedAt ?? null } });
    return { status: 'rejected', pending, reason: r.reason ?? null };
  }
  if (!r.deviceId || !r.policy) return { status: 'unreachable', pending, error: 'approval without a device id' };
  // Approved: the offered key is now the device's current key.
  renameSync(f.pendingKey, f.key);
  fsyncDir(dir);
  const cfg: AgentConfig = {
    server: pending.server,
    deviceId: r.deviceId,
    audience: r.audience ?? pending.audience,
    keyId: key.kid,
    enrolledAt: new Date().toISOString(),
    policy: r.policy,
    ...(pending.caFile ? { caFile: pending.caFile } : {}),
    ...(pending.pinSha256?.length ? { pinSha256: pending.pinSha256 } : {}),
  };
  saveConfig(dir, cfg);
  rmSync(f.pending, { force: true });
  rmSync(f.status, { force: true });
  return { status: 'approved', config: cfg };
}

/** "the collector at X is not reachable (connection refused)" instead of a raw errno dump. */
export function plainNetworkError(e: Error, server: string): string {
  const code = (e as NodeJS.ErrnoException).code ?? ((e as { cause?: NodeJS.ErrnoException }).cause?.code);
  const what: Record<string, string> = {
    ECONNREFUSED: 'connection refused: the collector is not running or not listening there',
    ENOTFOUND: 'the collector’s host name does not resolve (no network, or a typo)',
    EAI_AGAIN: 'name resolution failed (no network?)',
    ETIMEDOUT: 'the connection timed out',
    ECONNRESET: 'the connection was reset',
    EHOSTUNREACH: 'the collector’s network is unreachable',
    ENETUNREACH: 'no network',
  };
  if (code && what[code]) return `cannot reach the collector at ${server} (${what[code]})`;
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `cannot reach the collector at ${server} (no answer in time)`;
  return `cannot reach the collector at ${server} (${e.message})`;
}
