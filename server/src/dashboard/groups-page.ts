/**
 * Device groups page: each group with its kind, rule, members (link to the filtered device
 * list), state counts and whether the policy overrides anything for it; admins create a
 * static group or a group by rule here (membership and the rest: /api/v1/groups, docs/groups.md).
 */
import type { Policy } from '#shared/policy/schema.js';
import type { Principal } from '../auth/roles.js';
import type { Db } from '../db/types.js';
import { listGroups } from '../groups/dal.js';
import { html, qs, type SafeHtml } from './html.js';
import { PLATFORMS, platformName } from '#shared/checks/ids.js';

const ruleText = (r: Record<string, unknown> | null) =>
  r ? Object.entries(r).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(' | ') : String(v)}`).join('; ') : '';

export async function groupsPage(db: Db, policy: Policy, principal: Principal | null): Promise<SafeHtml> {
  const groups = await listGroups(db);
  const inPolicy = new Map((policy.groups ?? []).map((g, i) => [g.name, i + 1]));
  const missing = (policy.groups ?? []).filter((g) => !groups.some((x) => x.name === g.name)).map((g) => g.name);
  return html`<h1>Device groups</h1>
<p class="muted">A device's policy is the policy plus the overrides of its groups, applied in the order of <code>groups:</code> in the policy (later wins). See docs/groups.md.</p>
<table id="groups-table"><tr><th>Group</th><th>Kind</th><th>Rule</th><th class="num">Members</th><th>Policy overrides</th><th>Description</th></tr>
${groups.map(
  (g) => html`<tr data-group="${g.name}"><td><a href="/devices${qs({ group: g.name })}">${g.name}</a></td><td>${g.kind === 'rule' ? 'by rule' : 'assigned'}</td><td><code>${ruleText(g.rule as Record<string, unknown> | null)}</code></td><td class="num">${g.members ?? 0}</td><td>${inPolicy.has(g.name) ? `yes (#${inPolicy.get(g.name)} in order)` : 'none'}</td><td>${g.description ?? ''}</td></tr>`,
)}</table>
${groups.length ? '' : html`<p class="muted">No groups yet.</p>`}
${missing.length ? html`<p class="err" id="groups-missing">The policy has overrides for groups that do not exist here (no members): ${missing.join(', ')}.</p>` : ''}
${principal?.role === 'admin'
  ? html`<h2>New static group</h2><form id="group-create" data-json action="/api/v1/groups" class="inline"><input type="hidden" name="kind" value="static">
<label>Name <input name="name" required maxlength="64" pattern="[a-z0-9][a-z0-9._\\-]{0,63}"></label> <label>Description <input name="description" maxlength="500"></label> <button type="submit">Create</button><span class="form-status err"></span></form>
<h2>New group by rule</h2>
<p class="muted">Every condition filled in must hold; a comma-separated list matches any of its values. Members follow the rule and are re-evaluated at once.</p>
<form id="group-rule-create" data-group-rule action="/api/v1/groups" class="stack">
<label>Name <input name="name" required maxlength="64" pattern="[a-z0-9][a-z0-9._\\-]{0,63}"></label>
<label>Description <input name="description" maxlength="500"></label>
<fieldset><legend>Platform</legend>${PLATFORMS.map((p) => html`<label><input type="checkbox" name="platform" value="${p}"> ${platformName(p)}</label> `)}</fieldset>
<label>Hostname pattern (RE2, whole name) <input name="hostname" maxlength="200" placeholder="srv-.*"></label>
<label>Enrolment tags <input name="tag" maxlength="1000" placeholder="kiosk, lab"></label>
<label>Owner's department <input name="department" maxlength="1000" placeholder="Finance"></label>
<label>Owner's identity-provider group <input name="idpGroup" maxlength="1000" placeholder="Engineering"></label>
<button type="submit">Create</button><span class="form-status err"></span><ul class="errors" id="group-rule-errors"></ul></form>`
  : ''}`;
}
