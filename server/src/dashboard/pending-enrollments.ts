/**
 * Pending enrollments as the help desk sees them (issue 11 #1): a banner with the count on the
 * fleet page, and on the existing device's page the request itself — who asked (hostname, agent
 * version, enrollment secret), when and from which address — with approve (replace the key) /
 * reject for administrators. The decision goes through the API (enrollment/routes.ts), which
 * audit-logs it; this file only renders.
 */
import type { PendingEnrollment } from '../enrollment/pending.js';
import { html, timeAgo, type SafeHtml } from './html.js';

const iso = (d: string) => d.replace(/\.\d{3}Z$/, 'Z');

/** Fleet banner: how many requests wait, each linked to its device page (first 10). Empty when none. */
export function pendingBanner(total: number, items: PendingEnrollment[]): SafeHtml | '' {
  if (!total) return '';
  return html`<div id="pending-banner" class="check warn" role="status" data-pending-count="${total}">
<b>${total === 1 ? '1 enrollment request waits' : `${total} enrollment requests wait`} for an administrator.</b>
A second install asked to enroll a machine that is already enrolled; until it is approved it cannot change that device.
<ul>${items.slice(0, 10).map((p) => html`<li><a href="/devices/${p.deviceId}#pending-enrollments">${p.deviceHostname ?? p.deviceId}</a>: request from ${p.hostname} · ${p.sourceIp ?? 'unknown address'} · ${timeAgo(p.createdAt)}</li>`)}</ul>
${total > 10 ? html`<p class="muted">and ${total - 10} more; see GET /api/v1/enrollments/pending.</p>` : ''}</div>`;
}

/**
 * The device page's section: one block per undecided request. `canDecide` (admins only, the
 * API's rule) shows the buttons; everyone else is told an administrator decides.
 */
export function pendingDeviceSection(items: PendingEnrollment[], canDecide: boolean, deviceRevoked: boolean): SafeHtml | '' {
  if (!items.length) return '';
  return html`<section id="pending-enrollments" class="check warn"><h2>${items.length === 1 ? 'A second enrollment for this machine is pending' : `${items.length} other enrollments for this machine are pending`}</h2>
<p>Another install presented the enrollment secret for this machine's fingerprint. It has <b>not</b> changed this device. Approving it <b>replaces this device's key</b> (the agent running now is told its key was replaced and stops reporting); do that only when the machine was reinstalled or its key is lost. Otherwise reject it.</p>
<table id="pending-table"><tr><th>Requested</th><th>From</th><th>Source IP</th><th>Enrollment secret</th><th>Key</th><th></th></tr>
${items.map(
  (p) => html`<tr data-pending-id="${p.id}"><td>${iso(p.createdAt)} (${timeAgo(p.createdAt)})</td><td>host <b>${p.hostname}</b>, agent ${p.agentVersion ?? '?'}</td><td>${p.sourceIp ?? 'unknown'}</td>
<td>${p.secretLabel ? html`${p.secretLabel} ` : ''}<code>${p.secretId ?? '?'}</code></td><td><code title="${p.kid}">${p.kid.slice(0, 12)}…</code></td>
<td>${
    canDecide && !deviceRevoked
      ? html`<button type="button" data-action="approve-enrollment" data-pending="${p.id}">Approve (replace key)</button> <button type="button" data-action="reject-enrollment" data-pending="${p.id}">Reject</button>`
      : html`<span class="muted">${deviceRevoked ? 'Restore the device first.' : 'An administrator approves or rejects this.'}</span>`
  }</td></tr>`,
)}</table></section>`;
}
