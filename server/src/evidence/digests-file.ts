/**
 * digests.jsonl for a bundle over a period part of which retention pruned (docs/retention.md):
 * per device, the signed monthly digests of the pruned months inside the period, plus the last
 * digest before the period (the chain edge, like report-edges.jsonl's "before" report). Each line
 * is `{deviceId, month, kid, jws, edge}`; the verifier trusts only the JWS.
 */
import { DIGEST_FORMAT, type MonthlyDigest } from '#shared/evidence/digest.js';
import type { Queryable } from '../db/types.js';

/**
 * Where raw data starts: the month after the newest digested month (digests are written only
 * right before their month is pruned), or null when nothing was ever digested.
 */
export async function prunedBefore(q: Queryable): Promise<Date | null> {
  const r = await q.query<{ m: string | null }>(`SELECT (max(month) + interval '1 month')::date::text AS m FROM monthly_digests`);
  return r.rows[0]?.m ? new Date(`${r.rows[0].m}T00:00:00Z`) : null;
}

export interface DigestLine {
  deviceId: string;
  month: string;
  kid: string;
  jws: string;
  /** The last digest before the period: it proves where the period's chain starts, its figures are not counted. */
  edge: boolean;
}

const payload = (jws: string) => JSON.parse(Buffer.from(jws.split('.')[1] ?? '', 'base64url').toString('utf8')) as MonthlyDigest;

/**
 * The digests of devices `ids` for months in [monthOf(from), rawFrom), plus each device's last
 * digest before monthOf(from). Returns the lines (month order per device) and, per device, the
 * in-period digests' contents for the figures.
 */
export async function digestsFor(q: Queryable, ids: string[], from: Date, rawFrom: Date): Promise<{ lines: DigestLine[]; inPeriod: Map<string, MonthlyDigest[]> }> {
  const idJson = JSON.stringify(ids);
  const r = await q.query<{ device_id: string; month: string; kid: string; jws: string; edge: boolean }>(
    `SELECT device_id, month::text AS month, kid, jws, edge FROM (
       SELECT device_id, month, kid, jws, false AS edge FROM monthly_digests
        WHERE device_id IN (SELECT jsonb_array_elements_text($1::jsonb)) AND month >= date_trunc('month', $2::timestamptz AT TIME ZONE 'UTC')::date AND month < $3::date
       UNION ALL
       -- parenthesized: this ORDER BY picks each device's newest digest before the period, not the union's order
       (SELECT DISTINCT ON (device_id) device_id, month, kid, jws, true AS edge FROM monthly_digests
         WHERE device_id IN (SELECT jsonb_array_elements_text($1::jsonb)) AND month < date_trunc('month', $2::timestamptz AT TIME ZONE 'UTC')::date
           -- the chain's edge: a month with reports (a silent month's digest has no chain fields)
           AND reports > 0
         ORDER BY device_id, month DESC)) x
     ORDER BY device_id, month`,
    [idJson, from, rawFrom.toISOString().slice(0, 10)],
  );
  const inPeriod = new Map<string, MonthlyDigest[]>();
  const lines: DigestLine[] = [];
  for (const row of r.rows) {
    lines.push({ deviceId: row.device_id, month: row.month.slice(0, 7), kid: row.kid, jws: row.jws, edge: row.edge });
    if (row.edge) continue;
    const body = payload(row.jws);
    // The collector counts only what it wrote itself in the current format; the verifier checks the signature.
    if (body.format !== DIGEST_FORMAT) continue;
    const l = inPeriod.get(row.device_id) ?? [];
    l.push(body);
    inPeriod.set(row.device_id, l);
  }
  return { lines, inPeriod };
}
