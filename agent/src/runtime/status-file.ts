/** status.json: what `posture-agent status` shows, written by the running agent. */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../state/atomic.js';
import { files } from '../state/paths.js';

export interface AgentStatus {
  deviceId: string;
  server: string;
  connection: string;
  revoked: boolean;
  /** An administrator replaced this install's key (close 4012): it no longer reports. */
  keyReplaced?: boolean;
  lastCycleAt: string | null;
  lastAckAt: string | null;
  lastError: string | null;
  /** Collector time minus local time at the last connection (seconds); large values break evidence. */
  clockSkewSec?: number | null;
  spool: { pending: number; evicted: number; quarantined: number; bytes: number; nextSeq: number };
  checks: { id: string; status: string; summary: string; remediation: string[] }[];
}

export function writeStatus(dir: string, s: AgentStatus): void {
  try {
    writeFileAtomic(files(dir).status, JSON.stringify(s, null, 2), 0o644);
  } catch {
    /* status is informational; never let it stop the agent */
  }
}

export function readStatus(dir: string): AgentStatus | null {
  const p = files(dir).status;
  if (!existsSync(p)) return null;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as AgentStatus;
  } catch {
    return null;
  }
}
