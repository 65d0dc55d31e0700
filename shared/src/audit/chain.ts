/**
 * The audit log's hash chain, shared by the collector (which writes it) and the offline
 * verifier (which checks the copy inside an evidence bundle), so both hash the same bytes.
 *
 * Entry hash: SHA-256 (hex) of the canonical JSON (keys sorted at every level, no
 * whitespace, `undefined` members dropped — JSON.stringify's rules otherwise) of
 *   { seq, at, actor, action, target, outcome, ip, detail, prevHash }
 * where `at` is the ISO-8601 UTC instant with milliseconds (`2026-01-02T03:04:05.678Z`),
 * `detail` the JSON value as stored (null when absent), and `prevHash` the previous entry's
 * hash (null for seq 1). `seq` is 1, 2, 3, … with no gaps, so a deleted entry leaves a hole
 * and an edited one breaks its own hash and the next link.
 */
import { createHash } from 'node:crypto';

/** PostgreSQL advisory lock key that serializes appends to the chain across collectors (7362190+ is the audit range). */
export const AUDIT_CHAIN_LOCK = 7_362_190;

/**
 * The audit log keeps every entry at least this many days (the policy's retention.auditLogDays
 * cannot go lower): the pruner refuses a younger cutoff and the verifier refuses a pruning that
 * removed younger entries, so a forged audit.prune entry cannot excuse recent changes.
 */
export const AUDIT_MIN_RETENTION_DAYS = 400;

/** One entry's hashed fields. */
export interface AuditChainEntry {
  seq: number;
  /** ISO-8601 UTC with milliseconds. */
  at: string;
  actor: string;
  action: string;
  target: string | null;
  outcome: string;
  ip: string | null;
  detail: unknown;
  /** Hash of entry seq-1; null for the first entry. */
  prevHash: string | null;
}

/** Canonical JSON: sorted keys, no whitespace. Dates become ISO strings as JSON.stringify does. */
export function canonicalJson(v: unknown): string {
  const norm = v === undefined ? null : JSON.parse(JSON.stringify(v));
  const walk = (x: unknown): string => {
    if (x === null || typeof x !== 'object') return JSON.stringify(x);
    if (Array.isArray(x)) return `[${x.map(walk).join(',')}]`;
    const o = x as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${walk(o[k])}`).join(',')}}`;
  };
  return walk(norm);
}

/** SHA-256 hex of one entry (see the file comment for exactly what is hashed). */
export function auditEntryHash(e: AuditChainEntry): string {
  const fields = {
    seq: e.seq, at: new Date(e.at).toISOString(), actor: e.actor, action: e.action, target: e.target ?? null,
    outcome: e.outcome, ip: e.ip ?? null, detail: e.detail ?? null, prevHash: e.prevHash ?? null,
  };
  return createHash('sha256').update(canonicalJson(fields), 'utf8').digest('hex');
}

/** A chain position: what the next entry links to, and what a manifest signs. */
export interface AuditChainHead {
  seq: number;
  hash: string;
}

/**
 * Walks entries in seq order and says what is wrong with each link (null when it holds).
 * Start from `link` (the entry just before the first one checked) or from genesis.
 */
export class AuditChainCheck {
  head: AuditChainHead | null;
  constructor(link: AuditChainHead | null) {
    this.head = link;
  }

  /** Check one entry (with its stored hash) against the previous; it becomes the head either way. */
  push(e: AuditChainEntry & { hash: string }): string | null {
    const problems: string[] = [];
    const want = auditEntryHash(e);
    if (want !== e.hash) problems.push(`entry seq ${e.seq} (${e.action}) does not match its hash: it was edited (stored ${e.hash.slice(0, 16)}…, recomputed ${want.slice(0, 16)}…)`);
    if (this.head) {
      if (e.seq !== this.head.seq + 1) {
        problems.push(e.seq > this.head.seq + 1
          ? `${e.seq - this.head.seq - 1} entr${e.seq - this.head.seq - 1 === 1 ? 'y' : 'ies'} missing between seq ${this.head.seq} and seq ${e.seq} (deleted)`
          : `seq ${e.seq} follows seq ${this.head.seq}: out of order or duplicated`);
      } else if (e.prevHash !== this.head.hash) problems.push(`entry seq ${e.seq} does not link to seq ${this.head.seq} (prev_hash ${String(e.prevHash).slice(0, 16)}…, previous entry's hash ${this.head.hash.slice(0, 16)}…)`);
    } else if (e.seq === 1 && e.prevHash !== null) problems.push('entry seq 1 has a prev_hash: the chain starts before it');
    this.head = { seq: e.seq, hash: e.hash };
    return problems.length ? problems.join('; ') : null;
  }
}
