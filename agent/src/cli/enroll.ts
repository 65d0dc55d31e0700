/**
 * `posture-agent enroll --server URL --secret S`: generate the device key pair, compute the
 * salted hardware fingerprint, register with the collector and save the configuration.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { CollectorInfo, EnrollResponse, type EnrollRequest } from '#shared/protocol/messages.js';
import { compile } from '#shared/schema/validate.js';
import { files } from '../state/paths.js';
import { saveConfig, type AgentConfig } from '../state/config.js';
import { generateDeviceKey, saveKey } from '../identity/keys.js';
import { hardwareFingerprint } from '../identity/fingerprint.js';
import { collectInventory } from '../inventory/collect.js';
import { AGENT_VERSION } from '../version.js';
import { Agent as HttpsAgent } from 'node:https';
import { tlsOptions } from '../transport/tls.js';

const infoV = compile(CollectorInfo);
const enrollV = compile(EnrollResponse);

export class EnrollError extends Error {}

export interface EnrollArgs {
  server: string;
  secret: string;
  /** The owner's email, assigned on the collector with source `enrollment`. */
  owner?: string;
  stateDir: string;
  caFile?: string;
  pinSha256?: string[];
}

async function postJson(url: string, body: unknown, tls: Record<string, unknown>): Promise<{ status: number; json: any }> {
  // fetch cannot take a custom CA or pin; use node:https when either is configured.
  if (url.startsWith('https:') && Object.keys(tls).length) {
    const { request } = await import('node:https');
    return new Promise((resolve, reject) => {
      const data = JSON.stringify(body);
      const req = request(url, { method: body === undefined ? 'GET' : 'POST', agent: new HttpsAgent(tls), headers: { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) });
          } catch {
            resolve({ status: res.statusCode ?? 0, json: null });
          }
        });
      });
      req.on('error', reject);
      req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
      if (body !== undefined) req.write(data);
      req.end();
    });
  }
  const res = await fetch(url, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  let json: any = null;
  try {
    json = await res.json();
  } catch {
    /* not JSON */
  }
  return { status: res.status, json };
}

export async function enroll(a: EnrollArgs): Promise<AgentConfig> {
  const base = a.server.replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]/i.test(base)) throw new EnrollError(`--server must be the collector's URL starting with https:// or http:// (got "${a.server}"), e.g. https://posture.example.com`);
  const tls = tlsOptions({ caFile: a.caFile, pinSha256: a.pinSha256 });
  let info;
  try {
    info = await postJson(`${base}/agent/v1/info`, undefined, tls);
  } catch (e) {
    throw new EnrollError(`cannot reach the collector at ${base}: ${(e as Error).message}`);
  }
  const iv = infoV.validate(info.json);
  if (info.status !== 200 || !iv.ok) throw new EnrollError(`${base} does not look like a Posture collector (HTTP ${info.status})`);
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
  const res = await postJson(`${base}/agent/v1/enroll`, body, tls);
  if (res.status !== 200 && res.status !== 201) {
    const msg = res.json?.error?.message ?? `HTTP ${res.status}`;
    throw new EnrollError(`enrollment refused: ${msg}${res.json?.error?.code ? ` (${res.json.error.code})` : ''}`);
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
  rmSync(files(a.stateDir).status, { force: true });
  return cfg;
}

export const isEnrolled = (dir: string) => existsSync(files(dir).config);
