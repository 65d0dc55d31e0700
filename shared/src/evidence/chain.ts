/**
 * The per-device report hash chain. Every report a device signs carries its sequence number
 * (`seq`, 1, 2, 3, … per device, never reused: the agent persists the counter before use) and
 * `prevHash`, the SHA-256 (hex) of the previous report's compact JWS exactly as signed. Deleting
 * a report from the store therefore leaves a hole the device's own signatures expose: either a
 * missing sequence number, or a link whose hash matches no report.
 *
 * A gap is explained only by something the device signed: its spool's eviction counter
 * (`spool.evicted`, cumulative) grew by at least the number of missing reports. Anything else is
 * reported. Pure; shared by the agent (to build the link) and the verifier (to check it).
 */
import { createHash } from 'node:crypto';

/** SHA-256 hex of a compact JWS string (its ASCII bytes). */
export function reportHash(jws: string): string {
  return createHash('sha256').update(jws, 'utf8').digest('hex');
}

/** What the chain check needs from one signed report (taken from the verified payload). */
export interface ChainLink {
  reportId: string;
  seq: number;
  /** Absent on reports from agents older than the chain (then only `seq` is checked). */
  prevHash?: string;
  /** reportHash(jws) of this report. */
  hash: string;
  /** The device's signed cumulative count of reports evicted from its spool. */
  evicted: number;
}

export interface ChainProblem {
  deviceId: string;
  message: string;
}

/**
 * Streaming chain checker for one device: feed links in sequence order; each call returns the
 * problem this link reveals, if any. Memory: one link per device.
 */
export class DeviceChain {
  private last: ChainLink | null = null;
  constructor(readonly deviceId: string, start: ChainLink | null = null) {
    this.last = start;
  }

  get head(): ChainLink | null {
    return this.last;
  }

  /** Check `next` against the previous link; `what` names where `next` comes from (e.g. "first report after the period"). */
  push(next: ChainLink, what = 'report'): string | null {
    const prev = this.last;
    this.last = next;
    if (!prev) return null;
    return linkProblem(prev, next, what);
  }
}

/** Why `next` cannot follow `prev` directly in a device's chain, or null when it can. */
export function linkProblem(prev: ChainLink, next: ChainLink, what = 'report'): string | null {
  if (next.seq <= prev.seq) return `${what} ${next.reportId} has seq ${next.seq}, not after seq ${prev.seq} (report ${prev.reportId}): duplicate or out of order`;
  const missing = next.seq - prev.seq - 1;
  if (missing === 0) {
    if (next.prevHash !== undefined && next.prevHash !== prev.hash) return `${what} ${next.reportId} (seq ${next.seq}) does not link to seq ${prev.seq} (report ${prev.reportId}): signed prevHash ${next.prevHash.slice(0, 16)}… differs from that report's hash ${prev.hash.slice(0, 16)}…`;
    return null;
  }
  const evictedBetween = next.evicted - prev.evicted;
  if (evictedBetween >= missing) return null;
  const range = missing === 1 ? `seq ${prev.seq + 1}` : `seq ${prev.seq + 1}–${next.seq - 1}`;
  return `${missing} report(s) missing between seq ${prev.seq} (report ${prev.reportId}) and seq ${next.seq} (report ${next.reportId}): ${range}; the device's signed spool eviction count grew by ${Math.max(0, evictedBetween)}`;
}
