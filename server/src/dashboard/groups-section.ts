/**
 * The device page's groups block: the device's groups (static ones removable by admin/help
 * desk, a static group to add it to), and "why is this required here?": for each check, each
 * setting in force and the layer that set it (policy, platform override, which group), from
 * the same resolver the evaluator uses (shared/src/policy/effective.ts).
 */
import { checkTitle } from '#shared/checks/catalogue.js';
import { explainPolicy } from '#shared/policy/effective.js';
import type { Policy } from '#shared/policy/schema.js';
import type { Db } from '../db/types.js';
import { groupNamesOf, listGroups } from '../groups/dal.js';
import { deviceEvents } from '../people/query.js';
import { html, type SafeHtml } from './html.js';

const SETTING_WORDS: Record<string, string> = { required: 'required', graceHours: 'grace (hours)' };
const show = (v: unknown) => (typeof v === 'boolean' ? (v ? 'yes' : 'no') : typeof v === 'object' ? JSON.stringify(v) : String(v));

export async function groupsSection(db: Db, d: { id: string; platform: string }, policy: Policy, canEdit: boolean): Promise<SafeHtml> {
  const names = (await groupNamesOf(db, [d.id])).get(d.id) ?? [];
  const history = (await deviceEvents(db, d.id, 100)).filter((x) => x.kind.startsWith('group.')).slice(0, 10);
  const all = await listGroups(db);
  const e = explainPolicy(policy, d.platform, names);
  const mine = names.map((n) => ({ name: n, g: all.find((x) => x.name === n) }));
  const addable = all.filter((g) => g.kind === 'static' && !names.includes(g.name));
  // A row per check: required and grace always (they decide the verdict's timing); any other
  // setting only where a group or platform override set it (the rest is the policy as written).
  const rows = Object.entries(e.checks).map(([id, s]) => {
    const extra = Object.entries(s).filter(([k, v]) => !(k in SETTING_WORDS) && !v.source.startsWith('policy') && v.source !== 'built-in default');
    return html`<tr data-why="${id}"><td>${checkTitle(id, policy)}</td>
<td class="why-required">${show(s.required?.value ?? true)} <span class="muted">— ${s.required?.source ?? 'built-in default'}</span></td>
<td class="why-grace">${show(s.graceHours?.value ?? 0)} <span class="muted">— ${s.graceHours?.source ?? 'built-in default'}</span></td>
<td>${extra.map(([k, v]) => html`${k} = ${show(v.value)} <span class="muted">— ${v.source}</span><br>`)}</td></tr>`;
  });
  return html`<section id="device-groups"><h2>Groups</h2>
${mine.length
  ? html`<ul id="group-list">${mine.map(
      ({ name, g }) => html`<li data-group="${name}"><a href="/devices?group=${encodeURIComponent(name)}">${name}</a> <span class="muted">(${g?.kind === 'rule' ? 'by rule' : 'assigned'}${policy.groups?.some((x) => x.name === name) ? '; has policy overrides' : ''})</span>${
        canEdit && g?.kind === 'static' ? html` <button data-action="api" data-method="DELETE" data-url="/api/v1/groups/${g.id}/members/${d.id}" data-confirm="Remove this device from ${name}?">Remove</button>` : ''
      }</li>`,
    )}</ul>`
  : html`<p class="muted" id="group-list">In no group: the policy applies as written.</p>`}
${canEdit && addable.length
  ? html`<form id="group-add" data-group-add data-device="${d.id}" class="inline"><label>Add to group <select name="group">${addable.map((g) => html`<option value="${g.id}">${g.name}</option>`)}</select></label><button type="submit">Add</button><span class="form-status err"></span></form>`
  : ''}
${history.length
  ? html`<table id="group-history"><tr><th>When</th><th>What</th><th>Who</th></tr>${history.map(
      (x) => html`<tr><td>${new Date(x.at).toISOString().replace('T', ' ').slice(0, 16)} UTC</td><td>${x.kind === 'group.joined' ? 'Joined' : 'Left'} ${String(x.detail?.group ?? '')}${x.detail?.by === 'rule' ? ' (rule)' : ''}</td><td>${x.actor}</td></tr>`,
    )}</table>`
  : ''}
<details id="why-required" ${e.groups.length ? 'open' : ''}><summary>Why is this required here?${e.groups.length ? html` <span class="muted">(overrides from ${e.groups.join(', ')}, applied in policy order; later wins)</span>` : ''}</summary>
<table id="why-table"><tr><th>Check</th><th>Required</th><th>Grace</th><th>Other settings from overrides</th></tr>${rows}
<tr data-why="owner_assigned"><td>Device has an owner</td><td class="why-required">${show(e.device.ownerRequired.value)} <span class="muted">— ${e.device.ownerRequired.source}</span></td><td class="why-grace">${show(e.device.ownerGraceHours.value)} <span class="muted">— ${e.device.ownerGraceHours.source}</span></td><td></td></tr>
</table>
<p class="muted">Report interval ${e.device.intervalSec.value}s (${e.device.intervalSec.source}); stale after ${e.device.staleAfterHours.value} h (${e.device.staleAfterHours.source}).</p></details>
</section>`;
}
