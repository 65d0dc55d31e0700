/**
 * audit.csv in an evidence bundle: the audit chain segment, one entry per row, in seq order.
 * Columns AUDIT_CSV_HEADER. `role` is `link` for the entry just before the segment (its hash is
 * what the first entry links to) and `entry` otherwise; `in_period` says whether the entry's
 * time falls in the bundle's period.
 *
 * Cells must give back the exact hashed values, so text cells use a reversible variant of the
 * spreadsheet-safety prefix: a value that is empty or starts with = + - @ TAB CR or ' gets one
 * leading ' (an empty cell is null; a lone ' is the empty string). `detail` is canonical JSON.
 */
import { csvCell } from '../evidence/csv.js';
import { canonicalJson, type AuditChainEntry } from './chain.js';

export const AUDIT_CSV_FILE = 'audit.csv';
export const AUDIT_CSV_HEADER = ['role', 'seq', 'at', 'actor', 'action', 'target', 'outcome', 'ip', 'detail', 'in_period', 'prev_hash', 'hash'] as const;

const NEEDS_PREFIX = /^[=+\-@\t\r']/;

/** One text cell, reversibly escaped (null → empty cell). */
export function auditText(v: string | null): string {
  if (v === null) return '';
  return csvCell(v === '' || NEEDS_PREFIX.test(v) ? `'${v}` : v);
}

/** The inverse of auditText on a parsed field. */
export function auditTextValue(cell: string): string | null {
  if (cell === '') return null;
  return cell.startsWith("'") ? cell.slice(1) : cell;
}

/** One audit.csv row (CRLF-terminated). */
export function auditCsvRow(role: 'link' | 'entry', e: AuditChainEntry & { hash: string }, inPeriod: boolean): string {
  return [
    role, String(e.seq), new Date(e.at).toISOString(), auditText(e.actor), auditText(e.action), auditText(e.target), auditText(e.outcome), auditText(e.ip),
    auditText(e.detail === null || e.detail === undefined ? null : canonicalJson(e.detail)), inPeriod ? 'true' : 'false', e.prevHash ?? '', e.hash,
  ].join(',') + '\r\n';
}

/** Parse one audit.csv row (fields as parseCsv gives them) back to the hashed entry, or why not. */
export function parseAuditCsvRow(head: readonly string[], r: string[]): { role: string; inPeriod: boolean; entry: AuditChainEntry & { hash: string } } | string {
  const c = (n: (typeof AUDIT_CSV_HEADER)[number]) => r[head.indexOf(n)] ?? '';
  const seq = Number(c('seq'));
  if (!Number.isSafeInteger(seq) || seq < 1) return `seq ${JSON.stringify(c('seq'))} is not a sequence number`;
  let detail: unknown = null;
  const dt = auditTextValue(c('detail'));
  if (dt !== null) {
    try {
      detail = JSON.parse(dt);
    } catch {
      return `seq ${seq}: detail is not JSON`;
    }
  }
  return {
    role: c('role'),
    inPeriod: c('in_period') === 'true',
    entry: {
      seq, at: c('at'), actor: auditTextValue(c('actor')) ?? '', action: auditTextValue(c('action')) ?? '', target: auditTextValue(c('target')),
      outcome: auditTextValue(c('outcome')) ?? '', ip: auditTextValue(c('ip')), detail, prevHash: c('prev_hash') || null, hash: c('hash'),
    },
  };
}
