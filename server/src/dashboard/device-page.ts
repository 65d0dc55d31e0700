/** One device: state, actions, checks with evidence and remediation, exclusions, inventory, timeline, who did what. */
import { checkTitle, policyCheckIds } from '#shared/checks/catalogue.js';
import type { Db } from '../db/types.js';
import type { Principal } from '../auth/roles.js';
import { deviceEvents, deviceReports, getDevice } from '../devices/dal.js';
import { ownerSection } from './owner-section.js';
import { groupsSection } from './groups-section.js';
import { listPending } from '../enrollment/pending.js';
import { pendingDeviceSection } from './pending-enrollments.js';
import { queryAudit } from '../audit/query.js';
import { html, timeAgo, type SafeHtml } from './html.js';
import { badge } from './layout.js';
import type { Policy } from '#shared/policy/schema.js';
import type { CheckId } from '#shared/checks/ids.js';
import { presentRemediation } from '../mydevice/remediation.js';
import { stepHtml } from '../mydevice/view.js';
import { CHECK_NOW_QUEUE_HOURS } from '../devices/check-now.js';
import { namesFor, named } from './audit-page.js';
import { actionPhrase, detailWords } from './audit-words.js';
import { deadlineText, osText } from './device-format.js';
import { lastUpdateStatus } from '../updates/status.js';

/** A moment as `<time>`: ISO 8601 UTC in the HTML; the page script shows it in the viewer's time zone. */
const iso = (d: Date | string): SafeHtml => {
  const t = new Date(d).toISOString().replace('.000Z', 'Z');
  return html`<time datetime="${t}" data-local="1" title="${t}">${t}</time>`;
};

/** Connected/offline and since when; "last seen" is the last contact, not the last report. */
export function presenceLine(d: { connected: boolean; connected_since: Date | null; disconnected_at: Date | null; last_seen_at: Date | null }): SafeHtml {
  return d.connected
    ? html`<p id="presence" data-presence="connected">${badge('connected')} since ${d.connected_since ? html`${iso(d.connected_since)} (${timeAgo(d.connected_since)})` : 'now'} · last seen now</p>`
    : html`<p id="presence" data-presence="offline">${badge('offline')} ${d.disconnected_at ? html`since ${iso(d.disconnected_at)} (${timeAgo(d.disconnected_at)})` : 'never connected'} · last seen ${timeAgo(d.last_seen_at)}</p>`;
}

/** A re-check that has not produced its result yet: the page keeps polling it (app-js.ts). */
function pendingLine(d: { connected: boolean; pendingCheckNow: { id: string; created_at: Date } | null }): SafeHtml | '' {
  const p = d.pendingCheckNow;
  if (!p) return '';
  const until = new Date(new Date(p.created_at).getTime() + CHECK_NOW_QUEUE_HOURS * 3600_000);
  return html`<p id="recheck-status" data-command="${p.id}" data-device-pending="${d.connected ? 'sent' : 'queued'}">Re-check requested ${timeAgo(p.created_at)}: ${
    d.connected ? 'waiting for the result…' : html`queued: it runs when the device reconnects (until ${iso(until)}, ${timeAgo(until)}).`
  }</p>`;
}

/** Reasons that add to the summary (one line per check: a reason equal to the summary is not repeated). */
function reasonsBeyond(summary: string, reasons: string[], state: string): SafeHtml | '' {
  const extra = reasons.filter((r) => r.trim() && r.trim() !== String(summary ?? '').trim());
  return extra.length && state !== 'pass' ? html`<div class="muted">${extra.join('; ')}</div>` : '';
}

/** The agent's last update attempt, in one line linking to the Updates page (docs/updates.md). */
function updateLine(u: Awaited<ReturnType<typeof lastUpdateStatus>>) {
  if (!u) return '';
  const what = u.state === 'committed' ? `updated ${u.from ?? '?'} → ${u.to ?? '?'}` : u.state === 'rolled-back' ? `rolled back (${u.from ?? '?'} kept, ${u.to ?? '?'} failed)` : u.state === 'refused' ? `update refused${u.to ? ` (${u.to})` : ''}` : u.state === 'swapped' ? `installed ${u.to ?? '?'}, restarting` : 'up to date';
  return html`<p id="device-update" class="muted">Agent update: <span class="${u.state === 'refused' || u.state === 'rolled-back' ? 'err' : ''}">${what}</span> ${timeAgo(u.at)}${u.reason && u.state !== 'up-to-date' && u.state !== 'committed' ? html` — ${u.reason}` : ''} · <a href="/updates">Updates</a></p>`;
}

export async function devicePage(db: Db, id: string, principal: Principal | null, policy: Policy): Promise<{ title: string; body: SafeHtml } | null> {
  const title = (cid: string) => checkTitle(cid, policy);
  const d = await getDevice(db, id);
  if (!d) return null;
  // Show the fix steps the employee sees: the policy's company steps/link override the agent's.
  for (const c of d.checks as Record<string, unknown>[]) c.remediation = presentRemediation(policy, d.platform, c.id as CheckId, c.remediation);
  const [events, reports, who] = [await deviceEvents(db, d.id, 100), await deviceReports(db, d.id, 30), await queryAudit(db, { target: d.id, limit: 50 })];
  // Second installs waiting for a decision: shown to the help desk, decided by admins only.
  const pending = principal && principal.role !== 'auditor' ? await listPending(db, d.id, 20) : [];
  const inv = d.inventory as Record<string, any>;
  const names = await namesFor(db, who.items);
  const software = (Array.isArray(inv.software) ? inv.software : []) as { name: string; version?: string }[];
  const operator = !!principal && principal.role !== 'auditor';
  const canAct = operator && !d.revoked_at;
  const revokeReason = d.revoked_at
    ? (await db.query<{ detail: { reason?: string | null } | null }>("SELECT detail FROM audit_log WHERE action = 'device.revoke' AND target = $1 ORDER BY id DESC LIMIT 1", [d.id])).rows[0]?.detail?.reason ?? null
    : null;
  const maxDate = new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10);
  const minDate = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);

  // Timeline: state changes and reports, newest first.
  const timeline = [
    ...events.map((e: any) => ({
      at: new Date(e.at),
      row: html`<td>State change: ${e.check_id === '*' ? html`<b>device</b>` : title(e.check_id)}</td><td>${e.from_state ?? '—'} → ${badge(e.to_state)}</td>`,
    })),
    ...reports.items.map((r) => ({
      at: new Date(r.collected_at),
      row: html`<td>Report${r.trigger ? ` (${r.trigger})` : ''} <code class="muted">${r.report_id}</code></td><td>${Object.entries(((r.summary as any)?.checks ?? {}) as Record<string, string>).map(([k, v]) => html`<span class="tl-check">${title(k)} ${badge(v)}</span> `)}</td>`,
    })),
  ].sort((a, b) => b.at.getTime() - a.at.getTime());

  const body = html`<h1><span id="device-hostname">${d.hostname}</span> ${badge(d.revoked_at ? 'revoked' : d.state)}</h1>
<p class="muted">${osText(d)} · ${d.model ?? ''} · serial ${d.serial ?? '?'} · owner ${d.owner ?? 'none'} · agent ${d.agent_version ?? '?'} · last report ${timeAgo(d.last_report_at)}${d.state === 'noncompliant' || d.next_deadline ? html` · deadline ${deadlineText(d)}` : ''}</p>
${presenceLine(d)}
${updateLine(await lastUpdateStatus(db, d.id))}
${d.revoked_at ? html`<p id="device-revoked" class="err">Revoked ${iso(d.revoked_at)} by ${d.revoked_by ?? '?'}${revokeReason ? html` — reason: ${revokeReason}` : ''}.${principal?.role === 'admin' ? html` <button data-action="restore" data-device="${d.id}">Restore device</button> <span id="action-status" class="muted"></span>` : ''}</p>` : ''}
${d.archived_at ? html`<p id="device-archived" class="muted">Archived ${iso(d.archived_at)} by ${d.archived_by ?? '?'}${d.archive_reason ? html` — reason: ${d.archive_reason}` : ''}. Hidden from the fleet, its counts and alerts; kept in evidence. A new report from it un-archives it.${operator ? html` <button data-action="unarchive" data-device="${d.id}">Unarchive</button>` : ''}</p>` : ''}
${canAct ? html`<p id="device-actions"><button data-action="check-now" data-device="${d.id}" data-connected="${d.connected ? 'yes' : 'no'}">Re-check now</button> <button data-action="revoke" data-device="${d.id}">Revoke device</button>${d.archived_at ? '' : html` <button data-action="archive" data-device="${d.id}">Archive</button>`} <span id="action-status" class="muted"></span></p>` : ''}
${principal?.role === 'admin' ? html`<p id="device-delete"><button data-action="delete-device" data-device="${d.id}" data-hostname="${d.hostname}">Delete device…</button> <span class="muted">Removes it from the fleet for good and revokes its key; its evidence stays until retention. Cannot be undone.</span>${canAct || d.revoked_at ? '' : html` <span id="action-status" class="muted"></span>`}</p>` : ''}
${pendingLine(d)}
${pendingDeviceSection(pending, principal?.role === 'admin', !!d.revoked_at)}
${await ownerSection(db, d, !!principal && principal.role !== 'auditor')}
${await groupsSection(db, d, policy, canAct)}
<h2>Checks</h2>
${d.checks.length ? '' : html`<p class="muted">No report yet.</p>`}
${d.checks.map(
  (c: any) => html`<div class="check" data-check="${c.id}"><b>${title(c.id)}</b> ${badge(c.state)} <span class="muted">agent: ${c.agent_status} · since ${timeAgo(c.since)}</span>
${c.deadline && c.state === 'failing' ? html`<span class="muted"> · deadline ${iso(c.deadline)} (${timeAgo(c.deadline)})</span>` : ''}
<div class="summary">${c.summary}</div>${reasonsBeyond(c.summary, c.reasons as string[], c.state)}
${c.state !== 'pass' && c.remediation?.steps?.length ? html`<div>How to fix:</div><ol class="fix">${c.remediation.steps.map((s: string) => html`<li>${stepHtml(s)}</li>`)}</ol>` : ''}
${c.remediation?.url ? html`<div><a href="${/^https?:\/\//.test(c.remediation.url) ? c.remediation.url : '#'}" rel="noopener noreferrer">More help</a></div>` : ''}
<details><summary>Evidence (report ${c.report_id}, ${iso(c.collected_at)})</summary><pre>${JSON.stringify(c.evidence, null, 2)}</pre></details></div>`,
)}
<h2>Exclusions</h2>
${d.exclusions.length
  ? html`<table id="exclusions"><tr><th>Check</th><th>Rationale</th><th>Approved by</th><th>Expires</th><th></th></tr>${d.exclusions.map(
      (e: any) => html`<tr><td>${title(e.check_id)}</td><td>${e.rationale}</td><td>${e.approved_by}</td><td>${iso(e.expires_at)} (${timeAgo(e.expires_at)})</td><td>${canAct ? html`<button data-action="revoke-exclusion" data-device="${d.id}" data-exclusion="${e.id}">Revoke</button>` : ''}</td></tr>`,
    )}</table>`
  : html`<p class="muted">None active.</p>`}
${canAct
  ? html`<details id="exclude-details"><summary>Add an exclusion</summary>
<form class="stack" id="exclude-form" data-json action="/api/v1/devices/${d.id}/exclusions">
<label>Check <select name="checkId">${policyCheckIds(policy).map((c) => html`<option value="${c}">${title(c)}</option>`)}<option value="*">Whole device</option></select></label>
<label>Rationale (why, at least 10 characters) <input name="rationale" required minlength="10" maxlength="2000"></label>
<label>Expires on <input name="expiresAt" type="date" required min="${minDate}" max="${maxDate}" data-end-of-day></label>
<button type="submit">Add exclusion</button><span class="form-status err"></span></form></details>`
  : ''}
<h2>Inventory</h2>
<table id="inventory"><tr><th>CPU</th><td>${inv.cpu?.brand ?? ''} (${inv.cpu?.cores ?? '?'} cores)</td></tr>
<tr><th>Memory</th><td>${inv.memoryBytes ? `${(inv.memoryBytes / 2 ** 30).toFixed(1)} GiB` : ''}</td></tr>
<tr><th>Hardware</th><td>${inv.hardware?.vendor ?? ''} ${inv.hardware?.model ?? ''}</td></tr>
<tr><th>Disks</th><td>${(inv.disks ?? []).map((x: any) => html`${x.name} ${x.type ?? ''} ${x.sizeBytes ? `${Math.round(x.sizeBytes / 1e9)} GB` : ''}<br>`)}</td></tr>
<tr><th>Network</th><td>${(inv.network ?? []).map((x: any) => html`${x.iface} ${x.mac ?? ''} ${x.ip4 ?? ''}<br>`)}</td></tr>
<tr><th>Users</th><td>${(inv.users ?? []).join(', ')}</td></tr></table>
<h3>Software <span class="muted">(${software.length})</span></h3>
${software.length
  ? html`<p><input type="search" id="software-filter" placeholder="search software" aria-label="search software" data-filter-table="software"> <span id="software-count" class="muted"></span></p>
<details id="software-details"${software.length <= 20 ? ' open' : ''}><summary>Show all ${software.length}</summary>
<table id="software"><tr><th>Name</th><th>Version</th></tr>${[...software].sort((a, b) => a.name.localeCompare(b.name)).map((p) => html`<tr><td>${p.name}</td><td>${p.version ?? ''}</td></tr>`)}</table></details>`
  : inv.softwareHash && !Array.isArray(inv.software)
    ? html`<p class="muted" id="software-pending">The device's software list changed and the new list has not arrived yet; the agent sends it with its next change or within a day.</p>`
    : html`<p class="muted">The agent reported no software list.</p>`}
<div class="grid2"><div>
<h2>Timeline</h2>
<table id="timeline"><tr><th>When</th><th>What</th><th></th></tr>${timeline.map((t) => html`<tr><td>${iso(t.at)}</td>${t.row}</tr>`)}</table>
</div><div>
<h2>Who did what</h2>
${who.items.length
  ? html`<table id="device-audit"><tr><th>When</th><th>Who</th><th>Action</th><th>Detail</th></tr>${who.items.map(
      (a) => html`<tr><td>${iso(a.at)}</td><td>${named(a.actor, names)}</td><td>${actionPhrase(a.action)} <span class="muted">(${a.action})</span> ${a.outcome !== 'ok' ? badge(a.outcome) : ''}</td><td>${detailWords(a.detail, title)}</td></tr>`,
    )}</table>`
  : html`<p class="muted">No actions recorded.</p>`}
</div></div>`;
  return { title: d.hostname, body };
}
