/** Audit log page (admin, auditor): filters, keyset paging, CSV export with the same filters. */
import type { Db } from '../db/types.js';
import { queryAudit, type AuditQuery } from '../audit/query.js';
import { html, qs, type SafeHtml } from './html.js';
import { badge } from './layout.js';
import { formatChange, type PolicyChange } from '#shared/policy/diff.js';

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

/** Readable names for the ids on one page of entries: device hostnames, secret and token labels. */
export async function namesFor(db: Db, items: { actor: string; target: string | null }[]): Promise<Map<string, string>> {
  const ids = new Set<string>();
  for (const a of items) for (const v of [a.actor, a.target]) {
    const id = v?.replace(/^(device|enroll-secret):/, '');
    if (id && /^(dev|es|tok)_[A-Za-z0-9_-]{1,60}$/.test(id)) ids.add(id);
  }
  const names = new Map<string, string>();
  if (!ids.size) return names;
  const list = [...ids];
  const [d, s, t] = await Promise.all([
    db.query<{ id: string; name: string }>('SELECT id, hostname AS name FROM devices WHERE id = ANY($1)', [list.filter((i) => i.startsWith('dev_'))]),
    db.query<{ id: string; name: string }>("SELECT id, label AS name FROM enroll_secrets WHERE id = ANY($1) AND label <> ''", [list.filter((i) => i.startsWith('es_'))]),
    db.query<{ id: string; name: string }>("SELECT id, label AS name FROM api_tokens WHERE id = ANY($1) AND label <> ''", [list.filter((i) => i.startsWith('tok_'))]),
  ]);
  for (const r of d.rows) if (r.name) names.set(r.id, r.name);
  for (const r of s.rows) names.set(r.id, `enrollment secret “${r.name}”`);
  for (const r of t.rows) names.set(r.id, `token “${r.name}”`);
  return names;
}

/** An actor or target with its readable name beside the id; devices link to their page. */
export function named(v: string | null, names: Map<string, string>): SafeHtml | string {
  if (!v) return '';
  const id = v.replace(/^(device|enroll-secret):/, '');
  const name = names.get(id);
  if (id.startsWith('dev_')) return html`<a href="/devices/${id}">${name ?? id}</a>${name ? html` <span class="muted">${id}</span>` : ''}`;
  return name ? html`${name} <span class="muted">${id}</span>` : v;
}

/** The detail cell: a policy change reads as one line per changed setting, the JSON stays behind "show". */
function detailCell(detail: unknown): SafeHtml {
  const d = detail as { changes?: PolicyChange[]; changesTruncated?: number; source?: unknown } | null;
  const lines = Array.isArray(d?.changes) ? d!.changes.map(formatChange) : [];
  if (typeof d?.source === 'string') lines.unshift(`source: ${d.source}`);
  return html`${lines.length ? html`<ul class="changes">${lines.map((l) => html`<li><code>${l}</code></li>`)}${d?.changesTruncated ? html`<li>… ${d.changesTruncated} more</li>` : ''}</ul>` : ''}<details><summary>show</summary><pre>${detail ? JSON.stringify(detail, null, 2) : ''}</pre></details>`;
}

export async function auditPage(db: Db, f: ReturnType<typeof parseAuditFilters>): Promise<SafeHtml> {
  const r = await queryAudit(db, f);
  const names = await namesFor(db, r.items);
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
  (a) => html`<tr><td>${new Date(a.at).toISOString()}</td><td>${named(a.actor, names)}</td><td>${a.action}</td><td>${named(a.target, names)}</td><td>${badge(a.outcome)}</td><td>${a.ip ?? ''}</td><td>${detailCell(a.detail)}</td></tr>`,
)}</table>
<div class="pager">${f.before ? html`<a href="/audit${qs(keep)}">← Newest</a>` : ''}${r.nextBefore ? html`<a href="/audit${qs({ ...keep, before: r.nextBefore })}" rel="next">Older →</a>` : ''}</div>`;
}
