/**
 * The device page's owner block: who owns it, from which source (trust order admin > employee >
 * enrollment > idp > inferred), the owner history (device events), a leaver's return/wipe
 * deadline, and — for admin/help desk — a form to set or clear the owner.
 */
import type { Db } from '../db/types.js';
import { deviceEvents } from '../people/query.js';
import { html, timeAgo, type SafeHtml } from './html.js';

interface OwnerFields {
  id: string;
  owner: string | null;
  owner_source: string | null;
  owner_person_id: string | null;
  inferred_owner: string | null;
  offboard_since: Date | null;
  offboard_deadline: Date | null;
  offboard_outcome: string | null;
  reported_after_offboard_at: Date | null;
}

const SOURCE_WORDS: Record<string, string> = {
  admin: 'set by the help desk',
  employee: 'claimed by the employee (SSO)',
  enrollment: 'named at enrolment',
  idp: 'from the identity provider',
  inferred: 'inferred from the logged-in user',
};

export async function ownerSection(db: Db, d: OwnerFields, canEdit: boolean): Promise<SafeHtml> {
  // Group membership events are device events too; the groups block shows those.
  const events = (await deviceEvents(db, d.id, 40)).filter((e) => !e.kind.startsWith('group.')).slice(0, 20);
  const who = (e: { detail: Record<string, any> | null }) => (e.detail?.to?.email as string | undefined) ?? 'nobody';
  return html`<section id="device-owner"><h2>Owner</h2>
<p id="owner-line">${d.owner_person_id ? html`<b>${d.owner}</b>` : d.inferred_owner ? html`<b>${d.inferred_owner}</b>` : html`<span class="muted">No owner.</span>`}
${d.owner_source ? html` <span class="muted">(${SOURCE_WORDS[d.owner_source] ?? d.owner_source})</span>` : ''}</p>
${d.offboard_since && !d.offboard_outcome
  ? html`<p class="err" id="owner-offboarded"><span class="badge s-noncompliant">owner offboarded</span> Return or wipe by ${new Date(d.offboard_deadline!).toISOString().slice(0, 10)} (${timeAgo(d.offboard_deadline)}).${d.reported_after_offboard_at ? html` Still reporting after the owner left (last ${timeAgo(d.reported_after_offboard_at)}).` : ''}</p>`
  : d.offboard_outcome ? html`<p class="muted">Owner left; device ${d.offboard_outcome}.</p>` : ''}
${canEdit
  ? html`<form id="owner-form" method="post" data-method="PUT" action="/api/v1/devices/${d.id}/owner" data-json class="inline"><label>Owner email <input name="email" type="email" maxlength="320" required value="${d.owner_person_id ? (d.owner ?? '') : ''}"></label><button type="submit">Set owner</button><span class="form-status"></span></form>`
  : ''}
${events.length
  ? html`<table id="owner-history"><tr><th>When</th><th>What</th><th>Who</th></tr>${events.map(
      (e) => html`<tr><td>${new Date(e.at).toISOString().replace('T', ' ').slice(0, 16)} UTC</td><td>${e.kind === 'owner.changed' ? html`Owner → ${who(e)} (${(e.detail?.to as { source?: string } | undefined)?.source ?? 'cleared'})` : e.kind === 'owner.offboarded' ? 'Owner offboarded' : html`Offboarding closed: ${e.detail?.outcome ?? ''}`}</td><td>${e.actor}</td></tr>`,
    )}</table>`
  : ''}
</section>`;
}
