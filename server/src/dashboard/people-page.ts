/**
 * People page (help desk): search people; each person with their devices, each device's state
 * and deadline; leavers' devices waiting to be returned or wiped; people with no device;
 * devices with no owner; owner assignment by CSV upload.
 */
import type { Db } from '../db/types.js';
import type { Principal } from '../auth/roles.js';
import { listPeople, offboardedDevices, unownedDevices } from '../people/query.js';
import { PERSON_STATUSES } from '../people/dal.js';
import { html, type SafeHtml } from './html.js';
import { badge } from './layout.js';

const day = (d: Date | null | undefined) => (d ? new Date(d).toISOString().slice(0, 10) : '');

export async function peoplePage(db: Db, query: Record<string, string | undefined>, principal: Principal | null): Promise<SafeHtml> {
  const q = typeof query.q === 'string' && query.q.length <= 200 ? query.q : undefined;
  const status = PERSON_STATUSES.find((s) => s === query.status);
  const canEdit = principal?.role === 'admin' || principal?.role === 'helpdesk';
  const [people, noDevice, unowned, leavers] = await Promise.all([
    listPeople(db, { q, status, limit: 200 }),
    listPeople(db, { noDevice: true, status: 'active', limit: 50 }),
    unownedDevices(db, 50),
    offboardedDevices(db, 100),
  ]);
  return html`<h1>People</h1><p id="action-status" class="muted" role="status"></p>
<form class="filters" method="get" action="/people" id="people-filters">
<input name="q" placeholder="email, name, department" value="${q ?? ''}">
<select name="status"><option value="">any status</option>${PERSON_STATUSES.map((s) => html`<option ${s === status ? 'selected' : ''}>${s}</option>`)}</select>
<button type="submit">Search</button></form>

<section id="leaver-devices"><h2>Leavers' devices to return or wipe (${leavers.length})</h2>
${leavers.length
  ? html`<table><tr><th>Device</th><th>Owner (left)</th><th>Return by</th><th>Still reporting</th><th></th></tr>
${leavers.map((d) => html`<tr data-device="${d.id}"><td><a href="/devices/${d.id}">${d.hostname}</a></td><td>${d.email ?? ''}</td>
<td>${d.offboard_deadline && new Date(d.offboard_deadline).getTime() < Date.now() ? html`<span class="badge s-noncompliant">overdue</span> ` : ''}${day(d.offboard_deadline)}</td>
<td>${d.reported_after_offboard_at ? html`<span class="badge s-failing">yes</span> last ${day(d.reported_after_offboard_at)}` : 'no'}</td>
<td>${canEdit ? html`<form method="post" action="/api/v1/devices/${d.id}/offboarding" data-json class="inline"><select name="outcome"><option>returned</option><option>wiped</option><option>reassigned</option></select><button type="submit">Record</button><span class="form-status"></span></form>` : ''}</td></tr>`)}</table>`
  : html`<p class="muted">None.</p>`}
</section>

<section id="people-list"><h2>People (${people.total})</h2>
<table id="people-table"><tr><th>Person</th><th>Department</th><th>Status</th><th>Devices</th>${canEdit ? html`<th>Change status</th>` : ''}</tr>
${people.items.map(
  (p) => html`<tr data-person="${p.email}"><td>${p.display_name ?? ''} <span class="muted">${p.email}</span></td><td>${p.department ?? ''}</td><td><span class="badge s-${p.status === 'active' ? 'compliant' : p.status === 'offboarded' ? 'noncompliant' : 'stale'}">${p.status}</span></td>
<td>${p.devices.length ? p.devices.map((d) => html`<div><a href="/devices/${d.id}">${d.hostname}</a> ${badge(d.state)}${d.next_deadline ? html` <span class="muted">fix by ${day(d.next_deadline)}</span>` : ''} <span class="muted">(${d.owner_source})</span></div>`) : html`<span class="muted">no device</span>`}</td>
${canEdit ? html`<td><form method="post" action="/api/v1/people/${p.id}/status" data-json class="inline"><select name="status">${PERSON_STATUSES.map((s) => html`<option ${s === p.status ? 'selected' : ''}>${s}</option>`)}</select><button type="submit">Set</button><span class="form-status"></span></form></td>` : ''}</tr>`,
)}</table>
${people.items.length ? '' : html`<p class="muted">No people match. People come from your identity provider (SCIM), from <code>posture-agent enroll --owner</code>, or from owner assignment.</p>`}
</section>

<section id="people-without-device"><h2>Active people with no device (${noDevice.total})</h2>
${noDevice.items.length ? html`<ul>${noDevice.items.map((p) => html`<li>${p.email}</li>`)}</ul>` : html`<p class="muted">None.</p>`}</section>

<section id="unowned-devices"><h2>Devices with no owner (${unowned.total})</h2>
${unowned.items.length
  ? html`<table><tr><th>Device</th><th>State</th><th>Logged-in user (inferred)</th></tr>${unowned.items.map((d) => html`<tr><td><a href="/devices/${d.id}">${d.hostname}</a></td><td>${badge(d.state)}</td><td>${d.inferred_owner ?? ''}</td></tr>`)}</table>`
  : html`<p class="muted">None.</p>`}</section>

${canEdit
  ? html`<section id="owner-csv"><h2>Assign owners from a CSV file</h2>
<p class="muted">One line per device: <code>hostname or device id,owner email</code>; a header line is optional. Assignments made here count as set by the help desk (source <code>admin</code>).</p>
<form method="post" action="/api/v1/devices/owners.csv" data-json><textarea name="csv" rows="5" cols="60" required placeholder="laptop-042,alice@example.com"></textarea><button type="submit">Upload</button><span class="form-status"></span></form></section>`
  : ''}`;
}
