/** Device list: search, filters, sortable columns, server-side paging (50 a page). */
import { PLATFORMS } from '#shared/checks/ids.js';
import { checkCatalogue, policyCheckIds } from '#shared/checks/catalogue.js';
import type { Policy } from '#shared/policy/schema.js';
import { DEVICE_STATES } from '#shared/policy/evaluate.js';
import type { Db } from '../db/types.js';
import { SEEN_WINDOWS, allDevices, searchDevices, type DashboardDeviceQuery } from './device-query.js';
import { CSV_BOM, csvRow } from '#shared/evidence/csv.js';
import { html, qs, timeAgo, type SafeHtml } from './html.js';
import { badge } from './layout.js';
import { listGroups } from '../groups/dal.js';
import { deadlineText, failingTitles, osText } from './device-format.js';
import { platformName } from '#shared/checks/ids.js';

const PAGE = 50;
const str = (v: unknown, max = 200) => (typeof v === 'string' && v.length <= max && v !== '' ? v : undefined);
const SORT_KEYS = ['hostname', 'last_seen', 'state', 'os', 'owner', 'deadline'] as const;

/** `policy` supplies the custom check ids the check filter accepts (built-ins only without it). */
export function parseDeviceFilters(q: Record<string, string | undefined>, policy?: Policy): DashboardDeviceQuery {
  return {
    state: DEVICE_STATES.includes(q.state as never) || q.state === 'revoked' || q.state === 'archived' ? q.state : undefined,
    failingCheck: (policyCheckIds(policy) as string[]).includes(q.check ?? '') ? q.check : undefined,
    platform: (PLATFORMS as readonly string[]).includes(q.platform ?? '') ? q.platform : undefined,
    osVersion: str(q.os, 64),
    owner: str(q.owner, 100),
    group: q.group && /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(q.group) ? q.group : undefined,
    q: str(q.q),
    seen: q.seen && q.seen in SEEN_WINDOWS ? q.seen : undefined,
    sort: SORT_KEYS.find((s) => s === q.sort),
    order: q.order === 'desc' ? 'desc' : 'asc',
    limit: PAGE,
    offset: Math.max(0, Math.min(10_000_000, parseInt(q.offset ?? '0', 10) || 0)),
  };
}

/**
 * The device list page. `canAct` (admin, help desk) adds a selection column and the bulk
 * actions bar: re-check, set owner, exclude a check — each calls the per-device API, so the
 * same checks and audit entries apply as for one device.
 */
export async function devicesPage(db: Db, f: DashboardDeviceQuery, policy?: Policy, canAct = false): Promise<SafeHtml> {
  const r = await searchDevices(db, f);
  const groups = await listGroups(db);
  const keep = { state: f.state, check: f.failingCheck, platform: f.platform, os: f.osVersion, owner: f.owner, group: f.group, q: f.q, seen: f.seen };
  const sortLink = (key: string, label: string) =>
    html`<a href="/devices${qs({ ...keep, sort: key, order: f.sort === key && f.order === 'asc' ? 'desc' : 'asc' })}">${label}${f.sort === key ? (f.order === 'asc' ? ' ▲' : ' ▼') : ''}</a>`;
  const page = (offset: number) => `/devices${qs({ ...keep, sort: f.sort, order: f.order, offset })}`;
  return html`<h1>Devices</h1>
<form class="filters" method="get" action="/devices" id="device-filters">
<input name="q" placeholder="hostname, serial, owner" value="${f.q ?? ''}">
<select name="state"><option value="">any state</option>${[...DEVICE_STATES, 'revoked', 'archived'].map((s) => html`<option ${s === f.state ? 'selected' : ''}>${s}</option>`)}</select>
<select name="check"><option value="">any failing check</option>${checkCatalogue(policy).map((c) => html`<option value="${c.id}" ${c.id === f.failingCheck ? 'selected' : ''}>${c.title}</option>`)}</select>
<select name="platform"><option value="">any platform</option>${PLATFORMS.map((p) => html`<option value="${p}" ${p === f.platform ? 'selected' : ''}>${platformName(p)}</option>`)}</select>
<input name="os" placeholder="OS (macOS 14, Ubuntu 22.04)" value="${f.osVersion ?? ''}" size="12">
<input name="owner" placeholder="owner / user" value="${f.owner ?? ''}" size="12">
<select name="group"><option value="">any group</option>${groups.map((g) => html`<option ${g.name === f.group ? 'selected' : ''}>${g.name}</option>`)}</select>
<select name="seen"><option value="">any last seen</option>${Object.entries(SEEN_WINDOWS).map(([k, w]) => html`<option value="${k}" ${k === f.seen ? 'selected' : ''}>${w.label}</option>`)}</select>
<button>Filter</button> <a href="/devices">clear</a> <a id="devices-csv" href="/devices.csv${qs(keep)}">Export CSV</a></form>
${f.state === 'archived' ? html`<h2 id="archived-view">Archived</h2><p class="muted">Hidden from the fleet, its counts and alerts; kept in evidence bundles. A device that reports again is un-archived.</p>` : ''}
<p class="muted" id="result-count">${r.total} device(s)</p>
${canAct
  ? html`<form id="bulk-actions" class="filters" data-bulk>
<span id="bulk-count" class="muted">0 selected</span>
<button type="button" data-bulk-action="check-now">Re-check selected</button>
<label>Owner <input name="email" type="email" maxlength="320" placeholder="person@company.com" size="20"></label><button type="button" data-bulk-action="owner">Set owner</button>
<select name="checkId" aria-label="check to exclude">${checkCatalogue(policy).map((c) => html`<option value="${c.id}">${c.title}</option>`)}<option value="*">all checks</option></select>
<input name="rationale" placeholder="why (10+ characters)" maxlength="2000" size="18"><label>for <input name="days" type="number" min="1" max="365" value="30" size="3"> days</label>
<button type="button" data-bulk-action="exclude">Exclude</button>
<span id="bulk-status" class="form-status" role="status"></span></form>`
  : ''}
<table id="device-table"><tr>${canAct ? html`<th><input type="checkbox" id="select-all" aria-label="select all on this page"></th>` : ''}<th>${sortLink('hostname', 'Hostname')}</th><th>${sortLink('state', 'State')}</th><th>Failing checks</th><th>${sortLink('deadline', 'Deadline')}</th><th>${sortLink('os', 'OS')}</th><th>${sortLink('owner', 'Owner')}</th><th>Online</th><th>${sortLink('last_seen', 'Last seen')}</th></tr>
${r.items.map(
  (d) => html`<tr>${canAct ? html`<td><input type="checkbox" name="sel" value="${d.id}" aria-label="select ${d.hostname}"></td>` : ''}<td><a href="/devices/${d.id}">${d.hostname}</a></td><td>${badge(d.state)}</td><td>${failingTitles(d.failing_checks, policy)}</td><td>${deadlineText(d)}</td><td>${osText(d)}</td><td>${d.owner ?? ''}</td><td class="presence">${d.connected ? html`${badge('connected')} ${timeAgo(d.connected_since)}` : html`${badge('offline')} ${d.disconnected_at ? timeAgo(d.disconnected_at) : ''}`}</td><td>${d.connected ? 'now' : timeAgo(d.last_seen_at)}</td></tr>`,
)}
</table>
<div class="pager">${f.offset > 0 ? html`<a href="${page(Math.max(0, f.offset - PAGE))}" rel="prev">← Previous</a>` : ''}
<span class="muted">${r.total ? f.offset + 1 : 0}–${Math.min(f.offset + PAGE, r.total)} of ${r.total}</span>
${f.offset + PAGE < r.total ? html`<a href="${page(f.offset + PAGE)}" rel="next">Next →</a>` : ''}</div>`;
}

/**
 * The device list as CSV (UTF-8 with BOM, RFC 4180, formula-safe): the same filters as the
 * page, every matching device, columns as on the page with ISO 8601 UTC times.
 */
export async function devicesCsv(db: Db, f: DashboardDeviceQuery, policy?: Policy): Promise<string> {
  const rows = await allDevices(db, f);
  let out = CSV_BOM + csvRow(['device_id', 'hostname', 'state', 'failing_checks', 'deadline', 'platform', 'os_name', 'os_version', 'owner', 'connected', 'last_seen', 'last_report']);
  for (const d of rows)
    out += csvRow([
      d.id, d.hostname, d.state, failingTitles(d.failing_checks, policy),
      d.state === 'noncompliant' ? 'overdue' : d.next_deadline ? new Date(d.next_deadline) : null,
      platformName(d.platform), d.os_name, d.os_version, d.owner, !!d.connected,
      d.last_seen_at ? new Date(d.last_seen_at) : null, d.last_report_at ? new Date(d.last_report_at) : null,
    ]);
  return out;
}
