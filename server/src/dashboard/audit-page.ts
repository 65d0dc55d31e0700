/** Audit log page (admin, auditor): filters, keyset paging, CSV export with the same filters. */
import type { Db } from '../db/types.js';
import { queryAudit, type AuditQuery } from '../audit/query.js';
import { html, qs, type SafeHtml } from './html.js';
import { badge } from './layout.js';

const str = (v: unknown, max = 200) => (typeof v === 'string' && v !== '' && v.length <= max ? v : undefined);
const day = (v: unknown) => (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : undefined);

export function parseAuditFilters(q: Record<string, string | undefined>): AuditQuery & { sinceDay?: string; untilDay?: string } {
  const sinceDay = day(q.since), untilDay = day(q.until);
  return {
    actor: str(q.actor),
    action: str(q.action, 100),
    target: str(q.target),
    outcome: ['ok', 'denied', 'failed'].includes(q.outcome ?? '') ? q.outcome : undefined,
    since: sinceDay ? `${sinceDay}T00:00:00Z` : undefined,
    until: untilDay ? new Date(Date.parse(`${untilDay}T00:00:00Z`) + 86_400_000).toISOString() : undefined,
    sinceDay,
    untilDay,
    before: Math.max(0, parseInt(q.before ?? '', 10) || 0) || undefined,
    limit: 100,
  };
}

export async function auditPage(db: Db, f: ReturnType<typeof parseAuditFilters>): Promise<SafeHtml> {
  const r = await queryAudit(db, f);
  const keep = { actor: f.actor, action: f.action, target: f.target, outcome: f.outcome, since: f.sinceDay, until: f.untilDay };
  const csv = qs({ actor: f.actor, action: f.action, target: f.target, outcome: f.outcome, since: f.since, until: f.until });
  return html`<h1>Audit log</h1>
<form class="filters" method="get" action="/audit" id="audit-filters">
<input name="actor" placeholder="who (user:alice, token:…)" value="${f.actor ?? ''}">
<input name="action" placeholder="action (device., policy.update…)" value="${f.action ?? ''}">
<input name="target" placeholder="target (device id…)" value="${f.target ?? ''}">
<select name="outcome"><option value="">any outcome</option>${['ok', 'denied', 'failed'].map((o) => html`<option ${o === f.outcome ? 'selected' : ''}>${o}</option>`)}</select>
<label>from <input type="date" name="since" value="${f.sinceDay ?? ''}"></label><label>to <input type="date" name="until" value="${f.untilDay ?? ''}"></label>
<button>Filter</button> <a href="/audit">clear</a> <a id="audit-csv" href="/api/v1/audit.csv${csv}">Export CSV</a></form>
<table id="audit-table"><tr><th>When</th><th>Who</th><th>Action</th><th>Target</th><th>Outcome</th><th>IP</th><th>Detail</th></tr>
${r.items.map(
  (a) => html`<tr><td>${new Date(a.at).toISOString()}</td><td>${a.actor}</td><td>${a.action}</td><td>${a.target && /^dev_/.test(a.target) ? html`<a href="/devices/${a.target}">${a.target}</a>` : (a.target ?? '')}</td><td>${badge(a.outcome)}</td><td>${a.ip ?? ''}</td><td><details><summary>show</summary><pre>${a.detail ? JSON.stringify(a.detail, null, 2) : ''}</pre></details></td></tr>`,
)}</table>
<div class="pager">${f.before ? html`<a href="/audit${qs(keep)}">← Newest</a>` : ''}${r.nextBefore ? html`<a href="/audit${qs({ ...keep, before: r.nextBefore })}" rel="next">Older →</a>` : ''}</div>`;
}
