/**
 * Settings (admin only): enrollment secrets, API tokens and users. The page only reads; every
 * change goes through the existing admin APIs from /static/app.js (CSRF header, audit-logged
 * there). A new secret or token is shown once, in a result box filled from the API response,
 * and never rendered by the server: the lists carry the prefix only.
 */
import type { Db } from '../db/types.js';
import { HUMAN_ROLES, ROLES } from '../auth/roles.js';
import { listEnrollSecrets } from '../enrollment/secrets.js';
import { html, timeAgo, type SafeHtml } from './html.js';
import { badge } from './layout.js';

/** The API's rules (users/routes.ts UserBody), repeated so the browser refuses early. */
export const PASSWORD_MIN = 12;
const USERNAME_PATTERN = '[A-Za-z0-9._@-]+';

interface TokenRow { id: string; prefix: string; role: string; label: string; created_by: string; created_at: Date; expires_at: Date | null; revoked_at: Date | null; last_used_at: Date | null }
interface UserRow { id: string; username: string; display_name: string | null; role: string; source: string; created_at: Date; disabled_at: Date | null }

/** A stored date the driver could not read back (a BC instant stored before the API refused them) shows as such instead of failing the page. */
const when = (d: Date | null | undefined) =>
  !d ? html`<span class="muted">—</span>` : Number.isNaN(new Date(d).getTime()) ? html`<span class="muted">unreadable date</span>` : html`<span title="${new Date(d).toISOString()}">${timeAgo(d)}</span>`;
const day = (d: Date) => new Date(d).toISOString().slice(0, 10);
const isPast = (d: Date | null) => !!d && new Date(d).getTime() <= Date.now();

/** A box the script fills from the API response (data-field) and reveals; empty in the HTML. */
function onceBox(id: string, what: string, extra: SafeHtml | string = ''): SafeHtml {
  return html`<div id="${id}" class="once check" hidden>
<p><b>Copy this ${what} now.</b> It is shown only once; only a hash is stored.</p>
<p><code data-field="${what === 'API token' ? 'token' : 'secret'}" id="${id}-value"></code> <button type="button" data-action="copy" data-copy="${id}-value">Copy</button></p>${extra}</div>`;
}

function secretsSection(rows: Awaited<ReturnType<typeof listEnrollSecrets>>, publicUrl: string): SafeHtml {
  const status = (s: (typeof rows)[number]) => (s.revoked_at ? badge('revoked') : isPast(s.expires_at) ? html`<span class="badge s-stale">expired</span>` : badge('ok'));
  return html`<section id="enroll-secrets"><h2>Enrollment secrets</h2>
<p class="muted">Agents present an enrollment secret once, to register their device key. Revoking or expiring a secret stops new enrollments; devices already enrolled keep reporting.</p>
<table id="secrets-table"><tr><th>Secret</th><th>Label</th><th>Created</th><th>Expires</th><th>Status</th><th class="num">Uses</th><th>Last used</th><th></th></tr>
${rows.map(
  (s) => html`<tr data-secret-id="${s.id}"><td><code>${s.prefix}…</code></td><td>${s.label}</td><td>${s.created_by}<br>${when(s.created_at)}</td>
<td>${s.expires_at ? when(s.expires_at) : html`<span class="muted">never</span>`}</td><td>${status(s)}${s.revoked_at ? html` ${when(s.revoked_at)}` : ''}</td>
<td class="num">${s.uses}</td><td>${when(s.last_used_at)}</td>
<td>${s.revoked_at ? '' : html`<button type="button" data-action="api" data-method="POST" data-url="/api/v1/enroll-secrets/${s.id}/revoke" data-confirm="Revoke this enrollment secret? Agents can no longer enroll with it.">Revoke</button>
${isPast(s.expires_at) ? '' : html`<button type="button" data-action="api" data-method="POST" data-url="/api/v1/enroll-secrets/${s.id}/expire" data-confirm="Expire this enrollment secret now?">Expire now</button>`}`}</td></tr>`,
)}</table>
${rows.length ? '' : html`<p class="muted">No enrollment secrets yet.</p>`}
<h3>Create an enrollment secret</h3>
<form id="secret-form" class="stack" method="post" action="/api/v1/enroll-secrets" data-json data-result="secret-result" data-refresh="secrets-table">
<label>Label <input name="label" maxlength="200" placeholder="e.g. Laptops, Q3 rollout"></label>
<label>Expires (optional, end of that day UTC) <input type="date" name="expiresAt" data-end-of-day></label>
<button type="submit">Create secret</button><span class="form-status"></span></form>
${onceBox('secret-result', 'secret', html`<p>Enroll a device with:</p>
<p><code id="secret-result-command" data-field="secret" data-before="posture-agent enroll --server ${publicUrl} --secret "></code> <button type="button" data-action="copy" data-copy="secret-result-command">Copy command</button></p>`)}
</section>`;
}

function tokensSection(rows: TokenRow[]): SafeHtml {
  return html`<section id="api-tokens"><h2>API tokens</h2>
<p class="muted">Each token acts with one role and always expires. Use it as <code>Authorization: Bearer &lt;token&gt;</code>.</p>
<p class="muted" id="scim-token-help">For provisioning from your identity provider (Okta, Microsoft Entra ID), create a token with the role <code>scim</code>:
it reaches only the SCIM 2.0 endpoint <code>/scim/v2</code> on this collector (base URL <code>&lt;collector URL&gt;/scim/v2</code>) and nothing else.</p>
<table id="tokens-table"><tr><th>Token</th><th>Role</th><th>Label</th><th>Created</th><th>Expires</th><th>Last used</th><th>Revoked</th><th></th></tr>
${rows.map(
  (t) => html`<tr data-token-id="${t.id}"><td><code>${t.prefix}…</code></td><td>${t.role}</td><td>${t.label}</td><td>${t.created_by}<br>${when(t.created_at)}</td>
<td>${t.expires_at ? html`${isPast(t.expires_at) ? html`<span class="badge s-stale">expired</span> ` : ''}${when(t.expires_at)}` : html`<span class="muted">never</span>`}</td>
<td>${when(t.last_used_at)}</td><td>${t.revoked_at ? html`${badge('revoked')} ${when(t.revoked_at)}` : ''}</td>
<td>${t.revoked_at ? '' : html`<button type="button" data-action="api" data-method="DELETE" data-url="/api/v1/tokens/${t.id}" data-confirm="Revoke this API token? Anything using it stops working at once.">Revoke</button>`}</td></tr>`,
)}</table>
${rows.length ? '' : html`<p class="muted">No API tokens yet.</p>`}
<h3>Create an API token</h3>
<form id="token-form" class="stack" method="post" action="/api/v1/tokens" data-json data-result="token-result" data-refresh="tokens-table">
<label>Role <select name="role">${ROLES.map((r) => html`<option ${r === 'auditor' ? 'selected' : ''}>${r}</option>`)}</select></label>
<label>Label <input name="label" required maxlength="100" placeholder="e.g. SIEM export"></label>
<label>Expires in (days) <input type="number" name="expiresInDays" min="1" max="730" value="90" required data-number></label>
<button type="submit">Create token</button><span class="form-status"></span></form>
${onceBox('token-result', 'API token')}
</section>`;
}

function usersSection(rows: UserRow[], selfId: string | undefined): SafeHtml {
  return html`<section id="users"><h2>Users</h2>
<p class="muted">Disabling a user signs them out everywhere at once.</p>
<table id="users-table"><tr><th>Username</th><th>Role</th><th>Source</th><th>Created</th><th>Disabled</th><th></th></tr>
${rows.map(
  (u) => html`<tr data-user="${u.username}"><td>${u.username}${u.display_name ? html` <span class="muted">(${u.display_name})</span>` : ''}</td><td>${u.role}</td><td>${u.source}</td>
<td>${day(u.created_at)}</td><td>${u.disabled_at ? html`${badge('revoked')} ${when(u.disabled_at)}` : ''}</td>
<td>${u.disabled_at || u.id === selfId ? '' : html`<button type="button" data-action="api" data-method="POST" data-url="/api/v1/users/${u.id}/disable" data-confirm="Disable ${u.username}? They are signed out at once.">Disable</button>`}</td></tr>`,
)}</table>
${rows.length ? '' : html`<p class="muted">No users yet.</p>`}
<h3>Create a local user</h3>
<form id="user-form" class="stack" method="post" action="/api/v1/users" data-json>
<label>Username <input name="username" required minlength="2" maxlength="100" pattern="${USERNAME_PATTERN}" autocomplete="off"></label>
<label>Role <select name="role">${HUMAN_ROLES.map((r) => html`<option ${r === 'helpdesk' ? 'selected' : ''}>${r}</option>`)}</select></label>
<label>Password (at least ${PASSWORD_MIN} characters) <input type="password" name="password" required minlength="${PASSWORD_MIN}" maxlength="1000" autocomplete="new-password"></label>
<button type="submit">Create user</button><span class="form-status"></span></form>
</section>`;
}

export async function settingsPage(db: Db, publicUrl: string, selfUserId?: string): Promise<SafeHtml> {
  const [secrets, tokens, users] = await Promise.all([
    listEnrollSecrets(db),
    db.query<TokenRow>('SELECT id, prefix, role, label, created_by, created_at, expires_at, revoked_at, last_used_at FROM api_tokens ORDER BY created_at DESC LIMIT 500'),
    db.query<UserRow>('SELECT id, username, display_name, role, source, created_at, disabled_at FROM users ORDER BY username LIMIT 1000'),
  ]);
  return html`<h1>Settings</h1><p id="action-status" class="muted" role="status"></p>
${secretsSection(secrets, publicUrl)}
${tokensSection(tokens.rows)}
${usersSection(users.rows, selfUserId)}`;
}
