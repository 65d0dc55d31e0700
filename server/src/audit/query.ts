/** Audit-log reads shared by the API, the CSV export and the dashboard page. */
import type { Db } from '../db/types.js';
import { csvCell } from '#shared/evidence/csv.js';

export interface AuditQuery {
  actor?: string;
  action?: string;
  target?: string;
  outcome?: string;
  since?: string;
  until?: string;
  limit?: number;
  /** Keyset cursor: entries with id below this. */
  before?: number;
}

export interface AuditRow {
  id: string;
  at: Date;
  actor: string;
  action: string;
  target: string | null;
  outcome: string;
  ip: string | null;
  detail: unknown;
}

export async function queryAudit(db: Db, f: AuditQuery): Promise<{ items: AuditRow[]; nextBefore: number | null }> {
  const where: string[] = [];
  const params: unknown[] = [];
  const p = (v: unknown) => (params.push(v), `$${params.length}`);
  const esc = (s: string) => s.replace(/[%_\\]/g, '\\$&');
  if (f.actor) where.push(`actor LIKE ${p(`%${esc(f.actor)}%`)}`);
  // "device." matches every device action; an exact name matches itself.
  if (f.action) where.push(`action LIKE ${p(`${esc(f.action)}%`)}`);
  if (f.target) where.push(`target = ${p(f.target)}`);
  if (f.outcome) where.push(`outcome = ${p(f.outcome)}`);
  if (f.since) where.push(`at >= ${p(f.since)}`);
  if (f.until) where.push(`at < ${p(f.until)}`);
  if (f.before) where.push(`id < ${p(f.before)}`);
  const limit = Math.min(Math.max(f.limit ?? 100, 1), 10_000);
  const r = await db.query<AuditRow>(
    `SELECT id, at, actor, action, target, outcome, ip, detail FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${limit + 1}`,
    params,
  );
  const items = r.rows.slice(0, limit);
  return { items, nextBefore: r.rows.length > limit ? Number(items[items.length - 1].id) : null };
}

export const presentAudit = (a: AuditRow) => ({
  id: Number(a.id), at: new Date(a.at).toISOString(), actor: a.actor, action: a.action, target: a.target, outcome: a.outcome, ip: a.ip, detail: a.detail,
});

/** RFC 4180 field, formula-safe as every export (csvCell); non-strings as JSON. */
export function csvField(v: unknown): string {
  return csvCell(typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined ? v : JSON.stringify(v));
}
