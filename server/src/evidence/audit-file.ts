/**
 * audit.csv for a bundle (format: shared/src/audit/csv.ts): the audit chain from the period's
 * start — or from the oldest entry recording something the bundle shows (an exclusion, a policy
 * version, a revocation, a group membership window), if older — up to the chain head at export time, plus the entry just
 * before (the link). The head is signed in the manifest, so the verifier can check every link
 * from the start to a head the collector vouched for, and match what the bundle shows against
 * the entries. Streams in pages by seq.
 */
import type { AuditChainHead } from '#shared/audit/chain.js';
import { AUDIT_CSV_FILE, AUDIT_CSV_HEADER, auditCsvRow } from '#shared/audit/csv.js';
import { CSV_BOM } from '#shared/evidence/csv.js';
import type { ManifestAudit, ManifestFile } from '#shared/evidence/manifest.js';
import type { Queryable } from '../db/types.js';
import { HashedFile } from './files.js';

const PAGE = 2000;

/** What the bundle shows that an audit entry must record (collected while the bundle is written). */
export interface AuditRefs {
  exclusionIds: Set<string>;
  policyVersionIds: Set<string>;
  revokedDeviceIds: Set<string>;
  /** group-memberships.csv window ids (their group.member.add / .remove entries). */
  membershipWindowIds?: Set<string>;
}

interface Row {
  seq: string;
  at: Date;
  actor: string;
  action: string;
  target: string | null;
  outcome: string;
  ip: string | null;
  detail: unknown;
  prev_hash: string | null;
  hash: string;
}

const COLS = 'seq::text AS seq, at, actor, action, target, outcome, ip, detail, prev_hash, hash';

async function oldestReferenced(q: Queryable, refs: AuditRefs, head: number): Promise<number | null> {
  let min: number | null = null;
  const take = (v: string | null | undefined) => {
    if (v !== null && v !== undefined && (min === null || Number(v) < min)) min = Number(v);
  };
  const batches = (s: Set<string>) => {
    const all = [...s];
    const out: string[][] = [];
    for (let i = 0; i < all.length; i += 1000) out.push(all.slice(i, i + 1000));
    return out;
  };
  for (const ids of batches(refs.exclusionIds))
    take((await q.query<{ m: string | null }>(`SELECT min(seq)::text AS m FROM audit_log WHERE seq <= $2 AND action IN ('exclusion.create', 'exclusion.revoke') AND detail->>'exclusionId' IN (SELECT jsonb_array_elements_text($1::jsonb))`, [JSON.stringify(ids), head])).rows[0]?.m);
  for (const ids of batches(refs.policyVersionIds))
    take((await q.query<{ m: string | null }>(`SELECT min(seq)::text AS m FROM audit_log WHERE seq <= $2 AND action = 'policy.update' AND target IN (SELECT 'policy:' || jsonb_array_elements_text($1::jsonb))`, [JSON.stringify(ids), head])).rows[0]?.m);
  for (const ids of batches(refs.revokedDeviceIds))
    take((await q.query<{ m: string | null }>(`SELECT min(seq)::text AS m FROM audit_log WHERE seq <= $2 AND action = 'device.revoke' AND target IN (SELECT jsonb_array_elements_text($1::jsonb))`, [JSON.stringify(ids), head])).rows[0]?.m);
  for (const ids of batches(refs.membershipWindowIds ?? new Set()))
    take((await q.query<{ m: string | null }>(`SELECT min(seq)::text AS m FROM audit_log WHERE seq <= $2 AND action IN ('group.member.add', 'group.member.remove') AND detail->>'windowId' IN (SELECT jsonb_array_elements_text($1::jsonb))`, [JSON.stringify(ids), head])).rows[0]?.m);
  return min;
}

const entry = (r: Row) => ({
  seq: Number(r.seq), at: new Date(r.at).toISOString(), actor: r.actor, action: r.action, target: r.target, outcome: r.outcome, ip: r.ip, detail: r.detail, prevHash: r.prev_hash, hash: r.hash,
});

/** Write audit.csv; returns its manifest entry and the chain positions the manifest signs. */
export async function writeAuditCsv(q: Queryable, dir: string, from: Date, to: Date, refs: AuditRefs): Promise<{ file: ManifestFile; audit: ManifestAudit }> {
  const headRow = (await q.query<{ seq: string; hash: string }>('SELECT seq::text AS seq, hash FROM audit_log ORDER BY audit_log.seq DESC LIMIT 1')).rows[0];
  const head: AuditChainHead | null = headRow ? { seq: Number(headRow.seq), hash: headRow.hash } : null;
  const headSeq = head?.seq ?? 0;
  const firstInPeriod = (await q.query<{ m: string | null }>('SELECT min(seq)::text AS m FROM audit_log WHERE at >= $1 AND seq <= $2', [from, headSeq])).rows[0]?.m;
  const candidates = [firstInPeriod ? Number(firstInPeriod) : null, await oldestReferenced(q, refs, headSeq)].filter((x): x is number => x !== null);
  const start = candidates.length ? Math.min(...candidates) : headSeq + 1;
  const f = new HashedFile(dir, AUDIT_CSV_FILE);
  await f.write(CSV_BOM + AUDIT_CSV_HEADER.join(',') + '\r\n');
  let link: AuditChainHead | null = null;
  if (start > 1) {
    const l = (await q.query<Row>(`SELECT ${COLS} FROM audit_log WHERE seq = $1`, [start - 1])).rows[0];
    if (l) {
      link = { seq: Number(l.seq), hash: l.hash };
      await f.write(auditCsvRow('link', entry(l), l.at >= from && l.at < to));
    } else {
      // Pruned by retention: the anchor is the hash the audit.prune entry (in the segment) recorded.
      const p = (await q.query<{ anchor: string }>(`SELECT detail->>'anchorHash' AS anchor FROM audit_log WHERE action = 'audit.prune' AND detail->>'throughSeq' = $1 ORDER BY audit_log.seq LIMIT 1`, [String(start - 1)])).rows[0];
      if (p?.anchor) link = { seq: start - 1, hash: p.anchor };
    }
  }
  let entries = 0;
  let inPeriod = 0;
  for (let next = start; next <= headSeq; next += PAGE) {
    // Pages by seq range, not LIMIT: a missing seq (a deleted entry) must stay visible as a gap.
    const page = await q.query<Row>(`SELECT ${COLS} FROM audit_log WHERE seq >= $1 AND seq < $2 ORDER BY audit_log.seq`, [next, Math.min(next + PAGE, headSeq + 1)]);
    let chunk = '';
    for (const r of page.rows) {
      const p = new Date(r.at) >= from && new Date(r.at) < to;
      if (p) inPeriod++;
      chunk += auditCsvRow('entry', entry(r), p);
    }
    entries += page.rows.length;
    await f.write(chunk);
  }
  return { file: await f.close(), audit: { file: AUDIT_CSV_FILE, first: start <= headSeq ? start : null, link, head, entries, inPeriod } };
}
