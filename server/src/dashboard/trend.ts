/**
 * Compliance trend from the recorded device-level events (state_events, check '*').
 * Start from today's counts and walk back one UTC day at a time, undoing each day's
 * transitions (to → from) and enrollments; this reads one aggregate per day and state pair
 * instead of replaying every device, so it stays cheap at fleet scale.
 */
import type { Db } from '../db/types.js';
import { DEVICE_STATES } from '#shared/policy/evaluate.js';
import { html, raw, type SafeHtml } from './html.js';

export interface TrendPoint {
  day: string;
  counts: Record<string, number>;
  total: number;
}

const dayKey = (d: Date) => d.toISOString().slice(0, 10);

export async function complianceTrend(db: Db, days = 30, now = new Date()): Promise<TrendPoint[]> {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - (days - 1)));
  const cur = await db.query<{ state: string; n: string }>('SELECT state, count(*) AS n FROM devices WHERE revoked_at IS NULL AND archived_at IS NULL GROUP BY state');
  const ev = await db.query<{ day: string; from_state: string | null; to_state: string; n: string }>(
    `SELECT to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, e.from_state, e.to_state, count(*) AS n
       FROM state_events e JOIN devices d ON d.id = e.device_id
      WHERE e.check_id = '*' AND e.at >= $1 AND d.revoked_at IS NULL AND d.archived_at IS NULL GROUP BY 1, 2, 3`,
    [start],
  );
  const enr = await db.query<{ day: string; n: string }>(
    `SELECT to_char(enrolled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, count(*) AS n FROM devices
      WHERE revoked_at IS NULL AND archived_at IS NULL AND enrolled_at >= $1 GROUP BY 1`,
    [start],
  );
  const counts: Record<string, number> = Object.fromEntries(DEVICE_STATES.map((s) => [s, 0]));
  for (const r of cur.rows) counts[r.state] = (counts[r.state] ?? 0) + Number(r.n);
  const byDay = new Map<string, { from: string | null; to: string; n: number }[]>();
  for (const r of ev.rows) byDay.set(r.day, [...(byDay.get(r.day) ?? []), { from: r.from_state, to: r.to_state, n: Number(r.n) }]);
  const enrolled = new Map(enr.rows.map((r) => [r.day, Number(r.n)]));

  const points: TrendPoint[] = [];
  for (let i = 0; i < days; i++) {
    const day = dayKey(new Date(now.getTime() - i * 86_400_000));
    // `counts` is the state at the end of `day`.
    points.push({ day, counts: { ...counts }, total: Object.values(counts).reduce((a, b) => a + b, 0) });
    for (const t of byDay.get(day) ?? []) {
      counts[t.to] = Math.max(0, (counts[t.to] ?? 0) - t.n);
      if (t.from) counts[t.from] = (counts[t.from] ?? 0) + t.n;
    }
    // New devices start as unknown; before their enrollment day they did not exist.
    counts.unknown = Math.max(0, counts.unknown - (enrolled.get(day) ?? 0));
  }
  return points.reverse();
}

/** Percentage of counted devices in a good state (compliant or excluded). */
export const compliantPct = (p: TrendPoint) => (p.total ? ((p.counts.compliant ?? 0) + (p.counts.excluded ?? 0)) / p.total : 0) * 100;

const ORDER = ['compliant', 'excluded', 'failing', 'noncompliant', 'unknown', 'stale'];

/** Stacked bars per day (device counts by state) with the compliant % as a line; inline SVG, no script. */
export function trendSvg(points: TrendPoint[]): SafeHtml {
  const W = 760, H = 220, L = 40, R = 40, T = 10, B = 28;
  const max = Math.max(1, ...points.map((p) => p.total));
  const bw = (W - L - R) / Math.max(1, points.length);
  const y = (v: number) => T + (H - T - B) * (1 - v / max);
  const bars = points.map((p, i) => {
    let acc = 0;
    return ORDER.map((s) => {
      const n = p.counts[s] ?? 0;
      if (!n) return '';
      const y0 = y(acc + n), h = y(acc) - y0;
      acc += n;
      return html`<rect class="f-${s}" x="${(L + i * bw + 1).toFixed(1)}" y="${y0.toFixed(1)}" width="${Math.max(1, bw - 2).toFixed(1)}" height="${h.toFixed(1)}"><title>${p.day}: ${n} ${s}</title></rect>`;
    });
  });
  // Days before any device existed have no percentage: the line starts at the first counted day.
  const line = points
    .map((p, i) => (p.total ? `${(L + i * bw + bw / 2).toFixed(1)},${(T + (H - T - B) * (1 - compliantPct(p) / 100)).toFixed(1)}` : ''))
    .filter(Boolean)
    .join(' ');
  const last = points.length - 1;
  const labels = points.map((p, i) => ((i % 7 === 0 && last - i >= 4) || i === last ? html`<text x="${(L + i * bw + bw / 2).toFixed(1)}" y="${H - 10}" font-size="10" text-anchor="middle" fill="#57606a">${p.day.slice(5)}</text>` : ''));
  return html`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="Devices by state per day, with the compliant percentage">
<line x1="${L}" y1="${y(0)}" x2="${W - R}" y2="${y(0)}" stroke="#d0d7de"/>
<text x="${L - 6}" y="${y(max) + 4}" font-size="10" text-anchor="end" fill="#57606a">${max}</text>
<text x="${L - 6}" y="${y(0)}" font-size="10" text-anchor="end" fill="#57606a">0</text>
<text x="${W - R + 6}" y="${T + 4}" font-size="10" fill="#0969da">100%</text>
<text x="${W - R + 6}" y="${H - B}" font-size="10" fill="#0969da">0%</text>
${bars}${labels}
<polyline id="trend-pct" points="${line}" fill="none" stroke="#0969da" stroke-width="2"/>
</svg>`;
}

export const trendLegend = () =>
  html`<div class="legend muted">${ORDER.map((s) => html`<span><i class="f-${s}"></i>${s}</span>`)}<span>${raw('&mdash;')} compliant %</span></div>`;
