/**
 * Write the signed monthly digests of one UTC month (shared/src/evidence/digest.ts): per device
 * enrolled before the month ended and not revoked before it began (with or without reports), the report count, first/last seq, chain head and the seconds
 * per state of each check, computed by the same history code and inputs the bundle uses
 * (evidence/dal.ts historyInputs + shared deviceHistory), signed with the current collector
 * evidence key. Idempotent: a device-month that has a digest is skipped (digests are
 * append-only, migration 091). Devices are read in pages of 500, so memory stays flat.
 */
import { CompactSign } from 'jose';
import { canonicalJson } from '#shared/audit/chain.js';
import { checkIdsAcross } from '#shared/checks/catalogue.js';
import { reportHash } from '#shared/evidence/chain.js';
import { DIGEST_FORMAT, DIGEST_JWS_TYP, digestFigures, monthBounds, monthKey, type MonthlyDigest } from '#shared/evidence/digest.js';
import { deviceHistory } from '#shared/evidence/history.js';
import type { Policy } from '#shared/policy/schema.js';
import type { Db } from '../db/types.js';
import { historyInputs, policyVersionsUntil, PAGE } from '../evidence/dal.js';
import { versionsInForce } from '../evidence/bundle.js';
import { currentSigningKey } from '../meta/collector-keys.js';
import { decodePayload } from '../projector/read-log.js';

interface MonthRow {
  id: string;
  enrolled_at: Date;
  revoked_at: Date | null;
  n: string;
  first_jws: string | null;
  first_id: string | null;
  last_jws: string | null;
  last_id: string | null;
}

/**
 * Digest every device-month of `month` (any instant in it) that has reports and no digest yet.
 * `fallbackPolicy`: the policy in force now, used when no version was recorded before the
 * month ended (as the bundle does). Returns how many digests were written.
 */
export async function writeMonthDigests(db: Db, month: Date, fallbackPolicy: Policy, now = new Date()): Promise<number> {
  const { from, to } = monthBounds(month);
  const versions = await policyVersionsUntil(db, to);
  const policy = versions.length ? versions[versions.length - 1].policy : fallbackPolicy;
  const checkIds = checkIdsAcross(versions.length ? versionsInForce(versions, from).map((v) => v.policy) : [policy]);
  const stale = policy.staleAfterHours;
  const key = await currentSigningKey(db);
  let written = 0;
  for (let after = ''; ; ) {
    // Per device: its first and last report of the month and their count (index
    // reports_device_time_idx, one month partition), skipping device-months already digested.
    const page = await db.query<MonthRow>(
      `SELECT d.id, d.enrolled_at, d.revoked_at, c.n::text AS n, f.jws AS first_jws, f.report_id AS first_id, l.jws AS last_jws, l.report_id AS last_id
         FROM (SELECT id, enrolled_at, revoked_at FROM devices WHERE id > $3 AND enrolled_at < $2 ORDER BY id LIMIT $4) d0
         CROSS JOIN LATERAL (SELECT d0.* WHERE NOT EXISTS (SELECT 1 FROM monthly_digests g WHERE g.device_id = d0.id AND g.month = $1::date)
             AND (d0.revoked_at IS NULL OR d0.revoked_at > $1)) d
         CROSS JOIN LATERAL (SELECT count(*) AS n FROM reports r WHERE r.device_id = d.id AND r.collected_at >= $1 AND r.collected_at < $2) c
         LEFT JOIN LATERAL (SELECT jws, report_id FROM reports r WHERE r.device_id = d.id AND r.collected_at >= $1 AND r.collected_at < $2 ORDER BY collected_at, report_id LIMIT 1) f ON true
         LEFT JOIN LATERAL (SELECT jws, report_id FROM reports r WHERE r.device_id = d.id AND r.collected_at >= $1 AND r.collected_at < $2 ORDER BY collected_at DESC, report_id DESC LIMIT 1) l ON true
        ORDER BY d.id`,
      [from, to, after, PAGE],
    );
    const ids = (await db.query<{ id: string }>('SELECT id FROM devices WHERE id > $1 AND enrolled_at < $2 ORDER BY id LIMIT $3', [after, to, PAGE])).rows;
    if (!ids.length) break;
    after = ids[ids.length - 1].id;
    if (!page.rows.length) continue;
    const inputs = await historyInputs(db, page.rows.map((d) => d.id), from, to, stale);
    const rows: { device_id: string; month: string; reports: number; first_seq: number | null; last_seq: number | null; head_hash: string | null; kid: string; jws: string }[] = [];
    for (const d of page.rows) {
      // A month without reports (a silent device) is digested too, with no chain fields: its
      // stale time must still count once the month is pruned (attack pass S4-A4).
      const first = d.first_jws ? decodePayload(d.first_jws) : null;
      const last = d.last_jws ? decodePayload(d.last_jws) : null;
      const h = deviceHistory({
        from, to, now, enrolledAt: new Date(d.enrolled_at), revokedAt: d.revoked_at ? new Date(d.revoked_at) : null, staleAfterHours: stale,
        checkIds, events: inputs.events.get(d.id) ?? [], reportRuns: inputs.runs.get(d.id) ?? [], exclusions: inputs.exclusions.get(d.id) ?? [],
      });
      const body: MonthlyDigest = {
        format: DIGEST_FORMAT, deviceId: d.id, month: monthKey(from), from: from.toISOString(), to: to.toISOString(),
        reports: Number(d.n), firstSeq: first?.seq ?? null, lastSeq: last?.seq ?? null, firstReportId: d.first_id, lastReportId: d.last_id,
        firstPrevHash: first?.prevHash ?? null, head: d.last_jws ? reportHash(d.last_jws) : null,
        evictedAtStart: (first?.spool?.evicted ?? 0) + (first?.spool?.quarantined ?? 0), evictedAtEnd: (last?.spool?.evicted ?? 0) + (last?.spool?.quarantined ?? 0),
        staleAfterHours: stale, ...digestFigures(h), createdAt: now.toISOString(),
      };
      const jws = await new CompactSign(new TextEncoder().encode(canonicalJson(body)))
        .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: DIGEST_JWS_TYP })
        .sign(key.key);
      rows.push({ device_id: d.id, month: from.toISOString().slice(0, 10), reports: body.reports, first_seq: body.firstSeq, last_seq: body.lastSeq, head_hash: body.head, kid: key.kid, jws });
    }
    const ins = await db.query(
      `INSERT INTO monthly_digests (device_id, month, reports, first_seq, last_seq, head_hash, kid, jws)
       SELECT device_id, month, reports, first_seq, last_seq, head_hash, kid, jws FROM jsonb_to_recordset($1::jsonb)
           AS x(device_id text, month date, reports bigint, first_seq bigint, last_seq bigint, head_hash text, kid text, jws text)
       ON CONFLICT (device_id, month) DO NOTHING`,
      [JSON.stringify(rows)],
    );
    written += ins.rowCount;
  }
  return written;
}
