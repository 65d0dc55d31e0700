/**
 * `posture-agent enroll --server URL --secret S`: generate the device key pair, compute the
 * salted hardware fingerprint, register with the collector and save the configuration.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { CollectorInfo, EnrollPendingResponse, EnrollResponse, type EnrollRequest, type ReenrollProofPayload } from '#shared/protocol/messages.js';
import { compile } from '#shared/schema/validate.js';
import { files } from '../state/paths.js';
import { loadConfig, saveConfig, type AgentConfig } from '../state/config.js';
import { generateDeviceKey, loadDeviceKey, saveKey, signJson, type DeviceKey } from '../identity/keys.js';
import { savePending } from '../identity/pending.js';
import { writeFileAtomic } from '../state/atomic.js';
import { hardwareFingerprint } from '../identity/fingerprint.js';
import { collectInventory } from '../inventory/collect.js';
import { AGENT_VERSION } from '../version.js';
import { tlsOptions } from '../transport/tls.js';
import { postJson } from '../transport/http.js';

const infoV = compile(CollectorInfo);
const enrollV = compile(EnrollResponse);
const pendingV = compile(EnrollPendingResponse);

/** `retryable`: the collector could not be reached or failed (5xx); a refusal (4xx) is final. */
export class EnrollError extends Error {
  constructor(message: string, readonly retryable = false) {
    super(message);
  }
}
/** The machine already has a device; this install's request waits for an administrator. */
export class EnrollPending extends Error {
  constructor(readonly pendingId: string, message: string) {
    super(message);
  }
}

/** This directory's enrollment with the same collector, when its key is readable (else none). */
async function currentEnrollment(dir: string, server: string): Promise<{ cfg: AgentConfig; key: DeviceKey } | null> {
  try {
    const cfg = loadConfig(dir);
    if (cfg.server.replace(/\/+$/, '') !== server) return null;
    return { cfg, key: await loadDeviceKey(dir) };
  } catch {
    return null;
  }
}

/** ReenrollProofPayload signed by the current key (shared/src/protocol/messages.ts). */
async function reenrollProof(key: DeviceKey, deviceId: string, audience: string, x: string): Promise<string> {
  const payload: ReenrollProofPayload = { purpose: 'posture-reenroll', deviceId, aud: audience, x, nonce: randomUUID(), iat: Math.floor(Date.now() / 1000) };
  return signJson(key, payload);
}

export interface EnrollArgs {
  server: string;
  secret: string;
  /** The owner's email, assigned on the collector with source `enrollment`. */
  owner?: string;
  stateDir: string;
  caFile?: string;
  pinSha256?: string[];
}

export async function enroll(a: EnrollArgs): Promise<AgentConfig> {
  const base = a.server.replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]/i.test(base)) throw new EnrollError(`--server must be the collector's URL starting with https:// or http:// (got "${a.server}"), e.g. https://posture.example.com`);
  const tls = tlsOptions({ caFile: a.caFile, pinSha256: a.pinSha256 });
  let info;
  try {
    info = await postJson(`${base}/agent/v1/info`, undefined, tls);
  } catch (e) {
    throw new EnrollError(`cannot reach the collector at ${base}: ${(e as Error).message}`, true);
  }
  const iv = infoV.validate(info.json);
  if (info.status !== 200 || !iv.ok) throw new EnrollError(`${base} does not look like a Posture collector (HTTP ${info.status})`, info.status >= 500);
  mkdirSync(a.stateDir, { recursive: true, mode: 0o700 });
  const { key, privateJwk } = await generateDeviceKey();
  const body: EnrollRequest = {
    secret: a.secret,
    publicJwk: key.publicJwk as EnrollRequest['publicJwk'],
    fingerprint: await hardwareFingerprint(iv.value.fingerprintSalt),
    agentVersion: AGENT_VERSION,
    inventory: await collectInventory(),
    ...(a.owner ? { owner: a.owner } : {}),
  };
  // Re-enrolling the install that holds this device's key (lost or reset config): prove it,
  // so the collector re-keys the device instead of queuing the request for an administrator.
  const prev = await currentEnrollment(a.stateDir, base);
  if (prev) body.proof = await reenrollProof(prev.key, prev.cfg.deviceId, iv.value.collectorId, String(key.publicJwk.x));
  const res = await postJson(`${base}/agent/v1/enroll`, body, tls);
  if (res.status === 202) {
    const pv = pendingV.validate(res.json);
    if (!pv.ok) throw new EnrollError(`unexpected enrollment response: ${pv.errors[0]}`);
    // Nothing of an existing enrollment in this directory is touched: the request waits apart.
    writeFileAtomic(files(a.stateDir).pendingKey, JSON.stringify(privateJwk), 0o600);
    savePending(a.stateDir, {
      server: base, pendingId: pv.value.pendingId, audience: iv.value.collectorId, keyId: key.kid, requestedAt: new Date().toISOString(),
      ...(a.caFile ? { caFile: a.caFile } : {}), ...(a.pinSha256?.length ? { pinSha256: a.pinSha256 } : {}),
    });
    throw new EnrollPending(pv.value.pendingId, pv.value.message);
  }
  if (res.status !== 200 && res.status !== 201) {
    const msg = res.json?.error?.message ?? `HTTP ${res.status}`;
    throw new EnrollError(`enrollment refused: ${msg}${res.json?.error?.code ? ` (${res.json.error.code})` : ''}`, res.status >= 500 || res.status === 429);
  }
  const ev = enrollV.validate(res.json);
  if (!ev.ok) throw new EnrollError(`unexpected enrollment response: ${ev.errors[0]}`);
  // Key first, then config: a config never points at a key that is not on disk.
  saveKey(files(a.stateDir).key, privateJwk);
  const cfg: AgentConfig = {
    server: base,
    deviceId: ev.value.deviceId,
    audience: ev.value.audience,
    keyId: ev.value.keyId,
    enrolledAt: new Date().toISOString(),
    policy: ev.value.policy,
    ...(a.caFile ? { caFile: a.caFile } : {}),
    ...(a.pinSha256?.length ? { pinSha256: a.pinSha256 } : {}),
  };
  saveConfig(a.stateDir, cfg);
  // The previous enrollment's status (e.g. "revoked") no longer describes this one.
  for (const f of [files(a.stateDir).status, files(a.stateDir).pending, files(a.stateDir).pendingKey, files(a.stateDir).verdicts]) rmSync(f, { force: true });
  return cfg;
}

export const isEnrolled = (dir: string) => existsSync(files(dir).config);
