/** Fleet overview: counts per state, trend, compliance by check and platform, the operator's work lists. */
import { checkTitle } from '#shared/checks/catalogue.js';
import type { Policy } from '#shared/policy/schema.js';
import { DEVICE_STATES } from '#shared/policy/evaluate.js';
import type { Db } from '../db/types.js';
import type { DeviceSummary } from '../devices/dal.js';
import { searchDevices } from './device-query.js';
import { html, qs, timeAgo, type SafeHtml } from './html.js';
import { badge } from './layout.js';
import { deadlineText, failingTitles } from './device-format.js';
import { platformName } from '#shared/checks/ids.js';
import { countPending, listPending } from '../enrollment/pending.js';
import { pendingBanner } from './pending-enrollments.js';
import { complianceTrend, compliantPct, trendLegend, trendSvg } from './trend.js';

export async function fleetPage(db: Db, policy?: Policy): Promise<SafeHtml> {
  const counts = await db.query<{ state: string; n: string }>('SELECT state, count(*) AS n FROM devices WHERE revoked_at IS NULL AND archived_at IS NULL GROUP BY state');
  // Archived devices are left out of every figure on this page; the link shows how many.
  const archivedCount = Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM devices WHERE archived_at IS NOT NULL AND deleted_at IS NULL')).rows[0].n);
  const byState = Object.fromEntries(counts.rows.map((r) => [r.state, Number(r.n)]));
  const total = Object.values(byState).reduce((a, b) => a + b, 0);
  // Passing means passing now: an excluded or not-required check is out of the denominator
  // (not a pass), and a stale device's last "pass" is not current, so it is counted apart.
  const perCheck = await db.query<{ check_id: string; platform: string; pass: string; failing: string; stale: string; excluded: string; n: string }>(
    `SELECT c.check_id, d.platform,
            count(*) FILTER (WHERE c.state = 'pass' AND d.state NOT IN ('stale', 'excluded')) AS pass,
            count(*) FILTER (WHERE c.state IN ('failing', 'noncompliant') AND d.state NOT IN ('stale', 'excluded')) AS failing,
            count(*) FILTER (WHERE d.state = 'stale' AND c.state NOT IN ('excluded', 'not_required')) AS stale,
            count(*) FILTER (WHERE c.state IN ('excluded', 'not_required') OR d.state = 'excluded') AS excluded,
            count(*) AS n
       FROM check_states c JOIN devices d ON d.id = c.device_id WHERE d.revoked_at IS NULL AND d.archived_at IS NULL GROUP BY c.check_id, d.platform ORDER BY 1, 2`,
  );
  const list = (state: string, sort: 'last_seen' | 'deadline', order: 'asc' | 'desc') =>
    searchDevices(db, { state, sort, order, limit: 20, offset: 0, withStaleNoncompliant: state === 'noncompliant' });
  const [noncompliant, failing, stale] = [await list('noncompliant', 'last_seen', 'desc'), await list('failing', 'deadline', 'asc'), await list('stale', 'last_seen', 'asc')];
  const trend = await complianceTrend(db, 30);
  // Per device group: members by state (each row links to the group's device list).
  const groups = await db.query<{ name: string; kind: string; n: string; noncompliant: string; failing: string }>(
    `SELECT g.name, g.kind, count(d.id) AS n, count(d.id) FILTER (WHERE d.state = 'noncompliant') AS noncompliant, count(d.id) FILTER (WHERE d.state = 'failing') AS failing
       FROM device_groups g LEFT JOIN device_group_members m ON m.group_id = g.id AND m.until IS NULL
       LEFT JOIN devices d ON d.id = m.device_id AND d.revoked_at IS NULL AND d.archived_at IS NULL GROUP BY g.name, g.kind ORDER BY g.name`,
  );
  const today = trend[trend.length - 1];
  const pendingTotal = await countPending(db);
  const pending = pendingTotal ? await listPending(db, undefined, 10) : [];

  const small = (id: string, r: { total: number; items: DeviceSummary[] }, state: string, extra: (d: DeviceSummary) => unknown) =>
    r.items.length
      ? html`<table id="${id}"><tr><th>Device</th><th>Owner</th><th>Failing</th><th></th></tr>${r.items.map(
          (d) => html`<tr><td><a href="/devices/${d.id}">${d.hostname}</a></td><td>${d.owner ?? ''}</td><td>${failingTitles(d.failing_checks, policy)}</td><td>${extra(d)}</td></tr>`,
        )}</table>${r.total > r.items.length ? html`<p><a href="/devices${qs({ state })}">All ${r.total} →</a></p>` : ''}`
      : html`<p class="muted" id="${id}">None.</p>`;

  return html`<h1>Fleet</h1>
${pendingBanner(pendingTotal, pending)}
<div class="cards" id="state-cards"><div class="card"><div class="n">${total}</div>devices</div>
${DEVICE_STATES.map((s) => html`<a class="card" data-state="${s}" href="/devices${qs({ state: s })}"><div class="n">${byState[s] ?? 0}</div>${badge(s)}</a>`)}</div>
<p class="muted"><a id="archived-link" href="/devices?state=archived">${archivedCount} archived device(s)</a>, not counted above.</p>
<h2>Compliance trend, last 30 days <span class="muted">(today ${Math.round(compliantPct(today))}% compliant or excluded)</span></h2>
<div class="trend">${trendSvg(trend)}${trendLegend()}</div>
<div class="grid2"><div>
<h2>Noncompliant</h2>${small('list-noncompliant', noncompliant, 'noncompliant', (d) => (d.state === 'stale' ? html`${badge('stale')} last report ${timeAgo(d.last_report_at ?? d.last_seen_at)}` : html`since ${timeAgo(d.state_since)}`))}
<h2>Failing — nearest deadline first</h2>${small('list-failing', failing, 'failing', (d) => html`deadline ${deadlineText(d)}`)}
<h2>Stale</h2>${small('list-stale', stale, 'stale', (d) => html`last report ${timeAgo(d.last_report_at ?? d.last_seen_at)}`)}
</div><div>
${groups.rows.length
  ? html`<h2>Groups</h2><table id="by-group"><tr><th>Group</th><th class="num">Devices</th><th class="num">Noncompliant</th><th class="num">Failing</th></tr>${groups.rows.map(
      (g) => html`<tr><td><a href="/devices${qs({ group: g.name })}">${g.name}</a> <span class="muted">${g.kind === 'rule' ? 'rule' : 'assigned'}${policy?.groups?.some((x) => x.name === g.name) ? '; overrides' : ''}</span></td><td class="num">${g.n}</td><td class="num"><a href="/devices${qs({ group: g.name, state: 'noncompliant' })}">${g.noncompliant}</a></td><td class="num">${g.failing}</td></tr>`,
    )}</table>`
  : ''}
<h2>Compliance by check and platform</h2>
<table id="by-check"><tr><th>Check</th><th>Platform</th><th class="num">Passing</th><th class="num">Failing</th><th class="num">Stale</th><th class="num">Excluded</th><th class="num">Devices</th><th class="num" title="passing ÷ devices where the check applies (excluded and not-required left out)">% passing</th></tr>
${perCheck.rows.map((r) => {
  const applicable = Number(r.n) - Number(r.excluded);
  return html`<tr><td><a href="/devices${qs({ check: r.check_id, platform: r.platform })}">${checkTitle(r.check_id, policy)}</a></td><td>${platformName(r.platform)}</td><td class="num">${r.pass}</td><td class="num">${r.failing}</td><td class="num">${r.stale}</td><td class="num">${r.excluded}</td><td class="num">${r.n}</td><td class="num">${applicable > 0 ? `${Math.floor((100 * Number(r.pass)) / applicable)}%` : '—'}</td></tr>`;
})}</table></div></div>`;
}
