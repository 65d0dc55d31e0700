/**
 * Alerts (admin only, issue 18 #6): the webhooks alerts go to — URL, events, signing — with a
 * Send test button and an Edit form each, a form to add one (its signing secret is shown once), and the
 * delivery log (status, attempts, last HTTP status and error, next retry). The environment's
 * webhook (POSTURE_WEBHOOK_URL or the policy) is listed read-only. The page only reads; every
 * change goes through /api/v1/webhooks from /static/app.js (CSRF header, audit-logged there).
 */
import type { Db } from '../db/types.js';
import type { WebhookRegistry } from '../alerts/registry.js';
import { ALERT_EVENTS, envView, listStoredWebhooks, type WebhookView } from '../alerts/webhooks.js';
import { listDeliveries, MAX_ATTEMPTS, type DeliveryView } from '../alerts/worker.js';
import { html, timeAgo, type SafeHtml } from './html.js';
import { badge } from './layout.js';

const EVENT_HELP: Record<(typeof ALERT_EVENTS)[number], string> = {
  noncompliant: 'a device becomes noncompliant (a check failing past its grace; checks still within grace are not named)',
  stale: 'a device stops reporting (the alert says when it was last seen)',
  recovered: 'a noncompliant or stale device is compliant (or excluded) again',
};

/** A webhook URL's path is often a credential (Slack): the page shows the origin only. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    return u.pathname.length > 1 || u.search ? `${u.origin}/…` : u.origin;
  } catch {
    return '(invalid URL)';
  }
}

const when = (d: string | null) => (d ? html`<span title="${d}">${timeAgo(d)}</span>` : html`<span class="muted">—</span>`);

/**
 * The Edit form of a stored webhook: label, URL (empty keeps the current one, which is not
 * shown), events, enabled. Saved with PATCH /api/v1/webhooks/:id (audited with a diff); a field
 * the API refuses gets the message beside it. The signing secret is not here: Rotate secret.
 */
function editForm(w: WebhookView): SafeHtml {
  return html`<details class="webhook-edit"><summary>Edit</summary>
<form class="stack" method="post" action="/api/v1/webhooks/${w.id}" data-webhook-edit novalidate>
<label>Label <input name="label" maxlength="100" value="${w.label}"></label><span class="field-error err" data-error-for="label" role="alert"></span>
<label>New URL <input name="url" type="url" maxlength="1000" autocomplete="off" placeholder="unchanged: ${maskUrl(w.url)}"></label><span class="field-error err" data-error-for="url" role="alert"></span>
<small class="muted">Leave empty to keep the current URL (not shown here: its path can be a credential).</small>
<fieldset><legend>Events</legend>${ALERT_EVENTS.map((e) => html`<label class="ev"><input type="checkbox" name="events" value="${e}" ${w.events.includes(e) ? 'checked' : ''}><span><b>${e}</b></span></label>`)}</fieldset><span class="field-error err" data-error-for="events" role="alert"></span>
<label><input type="checkbox" name="enabled" ${w.enabled ? 'checked' : ''}> Enabled (a disabled webhook gets no alerts)</label>
<p class="muted">The signing secret stays as it is; change it with Rotate secret.</p>
<button type="submit">Save changes</button> <span class="form-status"></span></form></details>`;
}

function webhookRow(w: WebhookView): SafeHtml {
  const actions = w.readOnly
    ? html`<span class="muted">read-only: set by ${w.source}</span>`
    : html`${w.enabled
        ? html`<button type="button" data-action="api" data-method="POST" data-url="/api/v1/webhooks/${w.id}/disable" data-confirm="Disable this webhook? It gets no alerts until it is enabled again.">Disable</button>`
        : html`<button type="button" data-action="api" data-method="POST" data-url="/api/v1/webhooks/${w.id}/enable">Enable</button>`}
<button type="button" data-action="api" data-method="DELETE" data-url="/api/v1/webhooks/${w.id}" data-confirm="Delete this webhook? Alerts waiting for it are dropped.">Delete</button>
${editForm(w)}
<form class="inline rotate-secret" method="post" action="/api/v1/webhooks/${w.id}/rotate-secret" data-json data-result="webhook-result" data-refresh="webhooks-table" data-confirm="Rotate this webhook's signing secret? The receiver must be given the new one: deliveries signed with it fail to verify until then."><button type="submit">Rotate secret</button></form>`;
  return html`<tr data-webhook-id="${w.id}"><td>${w.label || html`<span class="muted">—</span>`}</td><td><code title="full URL: see GET /api/v1/webhooks">${maskUrl(w.url)}</code></td>
<td>${w.events.length ? w.events.join(', ') : html`<span class="muted">none (policy alerts.on is empty)</span>`}</td>
<td>${w.signed ? html`${badge('ok')} HMAC-SHA256` : html`<span class="badge s-failing">unsigned</span> set POSTURE_WEBHOOK_SECRET`}</td>
<td>${w.enabled ? badge('ok') : html`<span class="badge s-stale">disabled</span>`}</td><td>${w.createdBy ?? ''}${w.createdAt ? html`<br>${when(w.createdAt)}` : ''}</td>
<td><button type="button" data-action="webhook-test" data-webhook="${w.id}">Send test</button> ${actions}</td></tr>`;
}

const STATUS_BADGE: Record<DeliveryView['status'], SafeHtml> = {
  delivered: html`<span class="badge s-ok">delivered</span>`,
  retrying: html`<span class="badge s-failing">retrying</span>`,
  pending: html`<span class="badge s-stale">pending</span>`,
  failed: html`<span class="badge s-failed">failed</span>`,
};

function deliveryRow(d: DeliveryView, names: Map<string, string>): SafeHtml {
  return html`<tr data-delivery-id="${d.id}" data-status="${d.status}" data-kind="${d.kind}" data-webhook="${d.webhookId}"><td>${when(d.createdAt)}</td><td>${names.get(d.webhookId) ?? d.webhookId}</td><td>${d.kind}</td>
<td>${d.deviceId ? html`<a href="/devices/${d.deviceId}">${d.hostname ?? d.deviceId}</a>` : html`<span class="muted">—</span>`}</td>
<td>${STATUS_BADGE[d.status]}</td><td class="num">${d.attempts}</td><td>${d.lastStatus ?? html`<span class="muted">—</span>`}</td>
<td>${d.lastError ?? ''}</td><td>${d.nextAttemptAt ? when(d.nextAttemptAt) : ''}</td></tr>`;
}

export async function alertsPage(db: Db, webhooks: WebhookRegistry): Promise<SafeHtml> {
  const env = webhooks.envTarget();
  const list = [...(env ? [envView(env)] : []), ...(await listStoredWebhooks(db))];
  const names = new Map(list.map((w) => [w.id, w.label || w.id]));
  const deliveries = await listDeliveries(db, { limit: 100 });
  return html`<h1>Alerts</h1><p id="action-status" class="muted" role="status"></p>
<section id="webhooks"><h2>Webhooks</h2>
<p class="muted">Alerts go as Slack-compatible JSON (<code>{"text": …}</code> plus details) to every webhook that wants the event. Each delivery is signed with the webhook's own secret:
<code>X-Posture-Timestamp</code> and <code>X-Posture-Signature: v1=&lt;hex HMAC-SHA256(secret, "timestamp.body")&gt;</code> (see docs/alerts.md). A receiver's 4xx is not retried; errors and 5xx are retried with backoff, ${MAX_ATTEMPTS} attempts at most.</p>
<table id="webhooks-table"><tr><th>Label</th><th>URL</th><th>Events</th><th>Signing</th><th>Status</th><th>Created</th><th></th></tr>
${list.map(webhookRow)}${list.length ? '' : html`<tr id="no-webhooks"><td colspan="7" class="muted">No webhook yet: alerts are kept in the outbox only.</td></tr>`}</table>
<h3>Add a webhook</h3>
<form id="webhook-form" class="stack" method="post" action="/api/v1/webhooks" data-json data-arrays="events" data-result="webhook-result" data-refresh="webhooks-table">
<label>Label <input name="label" maxlength="100" placeholder="e.g. #it-alerts in Slack"></label>
<label>URL <input name="url" type="url" required maxlength="1000" placeholder="https://hooks.slack.com/services/…"></label>
<fieldset><legend>Events</legend>${ALERT_EVENTS.map(
  (e) => html`<label class="ev"><input type="checkbox" name="events" value="${e}" ${e !== 'recovered' ? 'checked' : ''}><span><b>${e}</b> — ${EVENT_HELP[e]}</span></label>`,
)}</fieldset>
<label>Signing secret (optional, at least 16 characters; leave empty to have one generated) <input name="secret" type="password" minlength="16" maxlength="200" autocomplete="off"></label>
<button type="submit">Add webhook</button><span class="form-status"></span></form>
<div id="webhook-result" class="once check" hidden><p><b>Copy this signing secret now.</b> It is shown only once; your receiver needs it to verify signatures.</p>
<p><code data-field="secret" id="webhook-result-value"></code> <button type="button" data-action="copy" data-copy="webhook-result-value">Copy</button></p></div>
</section>
<section id="deliveries"><h2>Delivery log</h2>
<p class="muted">The newest 100 deliveries (alerts and tests). Full list: <code>GET /api/v1/webhooks/deliveries</code>.</p>
${deliveries.length
  ? html`<table id="deliveries-table"><tr><th>When</th><th>Webhook</th><th>Event</th><th>Device</th><th>Status</th><th class="num">Attempts</th><th>Last HTTP</th><th>Last error</th><th>Next attempt</th></tr>
${deliveries.map((d) => deliveryRow(d, names))}</table>`
  : html`<p class="muted" id="deliveries-table">No deliveries yet.</p>`}
</section>`;
}
