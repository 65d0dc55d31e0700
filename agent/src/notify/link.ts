/**
 * The My-device link: URL/my-device?t=TOKEN, where TOKEN is a short-lived JWT signed by the
 * device key for the audience "<collectorId>:my-device" (never accepted on the socket).
 * Used by `posture-agent open`, notifications and `posture-agent status` (which reads the
 * collector's authoritative deadlines with the same kind of token).
 */
import { MY_DEVICE_AUDIENCE_SUFFIX } from '#shared/protocol/messages.js';
import { deviceToken, loadDeviceKey } from '../identity/keys.js';
import type { AgentConfig } from '../state/config.js';
import { keepVerdicts } from '../state/verdicts.js';
import { plainNetworkError } from '../identity/pending.js';

/** 10 minutes: long enough to click, short enough that a leaked URL is soon useless (collector cap: 15). */
export const LINK_LIFETIME_SEC = 600;

export async function myDeviceToken(stateDir: string, cfg: AgentConfig, lifetimeSec = LINK_LIFETIME_SEC): Promise<string> {
  const key = await loadDeviceKey(stateDir);
  return deviceToken(key, cfg.deviceId, `${cfg.audience}${MY_DEVICE_AUDIENCE_SUFFIX}`, lifetimeSec);
}

export function myDeviceUrl(server: string, token?: string): string {
  const u = new URL('/my-device', server.replace(/\/+$/, '') + '/');
  if (token) u.searchParams.set('t', token);
  return u.toString();
}

export async function myDeviceLink(stateDir: string, cfg: AgentConfig): Promise<string> {
  return myDeviceUrl(cfg.server, await myDeviceToken(stateDir, cfg));
}

/**
 * The collector's view of this device (states, deadlines, remediation after policy
 * overrides). Null when offline or refused: callers fall back to local results.
 */
export async function fetchCollectorState(stateDir: string, cfg: AgentConfig, timeoutMs = 4000): Promise<CollectorDeviceState | null> {
  return (await readCollectorState(stateDir, cfg, timeoutMs)).state;
}

/**
 * fetchCollectorState with the reason when there is no answer, in plain words ("cannot
 * reach the collector at … (connection refused …)", never a raw errno). Each answer is
 * kept in last-verdicts.json (state/verdicts.ts) for the offline `status`.
 */
export async function readCollectorState(stateDir: string, cfg: AgentConfig, timeoutMs = 4000): Promise<{ state: CollectorDeviceState | null; problem: string | null }> {
  let token: string;
  try {
    token = await myDeviceToken(stateDir, cfg, 60);
  } catch (e) {
    return { state: null, problem: `cannot sign with the device key (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` };
  }
  try {
    const res = await fetch(new URL('/my-device/api/state', cfg.server.replace(/\/+$/, '') + '/'), {
      headers: { authorization: `DeviceLink ${token}`, accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) return { state: null, problem: `the collector answered HTTP ${res.status}` };
    const state = (await res.json()) as CollectorDeviceState;
    keepVerdicts(stateDir, cfg.deviceId, state);
    return { state, problem: null };
  } catch (e) {
    return { state: null, problem: plainNetworkError(e as Error, cfg.server) };
  }
}

/** The subset of the collector's /my-device/api/state response the agent reads. */
export interface CollectorDeviceState {
  device: { id: string; state: string; nextDeadline: string | null; lastReportAt: string | null };
  checks: { id: string; title: string; state: string; summary: string; deadline: string | null; collectedAt: string | null; remediation: { steps: string[]; url: string | null } }[];
  serverTime: string;
}
