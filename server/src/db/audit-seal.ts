/**
 * One-time chaining of audit entries written before the hash chain existed (migration 030):
 * in id order, each gets seq, prev_hash and hash as if it had been appended by audit().
 * Runs before 031 makes the table append-only, in bounded pages. Lives with the migrations (it
 * is one) and uses only the shared chain code, so db/ does not depend on the audit domain.
 */
import { auditEntryHash, type AuditChainHead } from '#shared/audit/chain.js';
import type { Queryable } from './types.js';

const PAGE = 2000;

export async function sealAuditBacklog(q: Queryable): Promise<number> {
  let head: AuditChainHead | null = null;
  let sealed = 0;
  for (let after = '0'; ; ) {
    const page = await q.query<{ id: string; at: Date; actor: string; action: string; target: string | null; outcome: string; ip: string | null; detail: unknown }>(
      'SELECT id::text AS id, at, actor, action, target, outcome, ip, detail FROM audit_log WHERE id > $1 ORDER BY audit_log.id LIMIT $2', [after, PAGE]);
    if (!page.rows.length) break;
    const rows: { id: string; seq: number; prev_hash: string | null; hash: string }[] = [];
    for (const r of page.rows) {
      const seq: number = (head?.seq ?? 0) + 1;
      const prevHash: string | null = head?.hash ?? null;
      const hash = auditEntryHash({ seq, at: new Date(r.at).toISOString(), actor: r.actor, action: r.action, target: r.target, outcome: r.outcome, ip: r.ip, detail: r.detail, prevHash });
      rows.push({ id: r.id, seq, prev_hash: prevHash, hash });
      head = { seq, hash };
    }
    await q.query(
      `UPDATE audit_log a SET seq = x.seq, prev_hash = x.prev_hash, hash = x.hash
         FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, seq bigint, prev_hash text, hash text) WHERE a.id = x.id`,
      [JSON.stringify(rows)],
    );
    sealed += rows.length;
    after = page.rows[page.rows.length - 1].id;
  }
  return sealed;
}
