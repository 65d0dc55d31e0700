/** Policy page: the policy in force as YAML, its history, and an editor for admins (errors shown with line numbers). */
import { stringify } from 'yaml';
import type { PolicyStore } from '../policy/store.js';
import type { Principal } from '../auth/roles.js';
import { html, timeAgo, type SafeHtml } from './html.js';
import { redactPolicy } from '../policy/routes.js';
import { RETENTION_KINDS, RETENTION_LABELS, retentionDays } from '#shared/policy/retention.js';

export async function policyPage(store: PolicyStore, principal: Principal | null): Promise<SafeHtml> {
  const history = await store.history(30);
  const current = history[0];
  const isAdmin = principal?.role === 'admin';
  const yaml = stringify(redactPolicy(store.policy, principal?.role));
  const keep = retentionDays(store.policy);
  return html`<h1>Policy</h1>
<p class="muted">Version ${store.versionId ?? 'built-in'}${current ? html` · by ${current.created_by} ${timeAgo(current.created_at)} (${current.source})` : ''}. A change applies to each device from its next report.</p>
${store.lastFileError ? html`<p class="err">The policy file has errors and was not loaded:</p><ul class="errors">${store.lastFileError.map((e) => html`<li>${e}</li>`)}</ul>` : ''}
${store.managedByFile
  ? html`<p id="policy-file-managed" class="warn"><b>This policy is managed by the file <code>${store.managedByFile}</code></b> (POSTURE_POLICY_FILE). Edit that file to change it: the collector reloads it when it changes. Editing here is turned off, because the next reload would undo an edit made on this page.${isAdmin ? html` <button data-action="api" data-url="/api/v1/policy/reload">Reload the file now</button> <span id="action-status" class="muted"></span>` : ''}</p>
<pre id="policy-yaml">${yaml}</pre>`
  : isAdmin
  ? html`<form id="policy-form" data-policy action="/api/v1/policy">
<textarea name="policy" class="policy" spellcheck="false">${yaml}</textarea>
<p><label>Comment <input name="comment" maxlength="500" size="60" placeholder="why this change"></label> <button type="submit">Save policy</button> <span class="form-status muted"></span></p>
<ul class="errors" id="policy-errors"></ul></form>`
  : html`<pre id="policy-yaml">${yaml}</pre>`}
<h2>Retention</h2>
<p class="muted">How long each kind of data is kept (at least 400 days; set under <code>retention:</code>). Months of reports and state events older than this are pruned daily after a signed monthly digest per device is written, so evidence over them still verifies.</p>
<table id="policy-retention"><tr><th>Data</th><th>Days kept</th></tr>
${RETENTION_KINDS.map((k) => html`<tr data-kind="${k}"><td>${RETENTION_LABELS[k]}</td><td>${keep[k]}</td></tr>`)}</table>
<h2>History</h2>
<table id="policy-history"><tr><th>Version</th><th>When</th><th>Who</th><th>Source</th><th>Comment</th></tr>
${history.map((v) => html`<tr><td>${v.id}</td><td>${new Date(v.created_at).toISOString()}</td><td>${v.created_by}</td><td>${v.source}</td><td>${v.comment ?? ''}</td></tr>`)}</table>`;
}
