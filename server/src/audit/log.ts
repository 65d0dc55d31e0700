import type { Queryable } from '../db/types.js';

export interface AuditEntry {
  actor: string;
  action: string;
  target?: string | null;
  outcome?: 'ok' | 'denied' | 'failed';
  ip?: string | null;
  detail?: unknown;
}

/** Append to the audit log. Pass the transaction's Queryable so the entry commits with the change it records. */
export async function audit(q: Queryable, e: AuditEntry): Promise<void> {
  await q.query('INSERT INTO audit_log (actor, action, target, outcome, ip, detail) VALUES ($1,$2,$3,$4,$5,$6)', [
    e.actor,
    e.action,
    e.target ?? null,
    e.outcome ?? 'ok',
    e.ip ?? null,
    e.detail === undefined ? null : JSON.stringify(e.detail),
  ]);
}
