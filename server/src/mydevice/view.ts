/** The My-device page: this device only, written for the person at the laptop. */
import { CHECK_IDS, CHECK_TITLES, type Platform } from '#shared/checks/ids.js';
import { CHECK_ITEMS, INVENTORY_ITEMS, NOT_COLLECTED, REPORT_METADATA } from '#shared/transparency.js';
import { html, timeAgo, type SafeHtml } from '../dashboard/html.js';
import { badge, layout } from '../dashboard/layout.js';
import type { MyCheck, MyDeviceState } from './state.js';
import type { CustomCheck } from '#shared/custom-checks/schema.js';
import { describeProbe } from '#shared/custom-checks/describe.js';

const STATE_WORDS: Record<string, string> = {
  compliant: 'All required checks pass. Thank you!',
  failing: 'Something needs fixing before its deadline.',
  noncompliant: 'A deadline has passed: please fix the checks below now.',
  unknown: 'Some checks could not be determined yet.',
  stale: 'This computer has not reported recently.',
  excluded: 'This computer is excluded from the policy.',
};

const CHECK_WORDS: Record<string, string> = { pass: 'passing', failing: 'failing', noncompliant: 'overdue', unknown: 'unknown', not_reported: 'not yet checked', excluded: 'excluded', not_required: 'not required' };

/**
 * A moment as `<time>`: UTC text for readers without scripts; page.js rewrites it in the
 * viewer's own time zone, as `posture-agent status` prints it in the machine's.
 */
export function when(iso: string): SafeHtml {
  const d = new Date(iso);
  return html`<time datetime="${d.toISOString()}" data-local="1">${d.toISOString().slice(0, 16).replace('T', ' ')} UTC</time>`;
}

function deadlineText(c: MyCheck): SafeHtml | string {
  if (c.state === 'failing' && c.deadline) return html`Fix by ${when(c.deadline)} (${timeAgo(c.deadline)}).`;
  if (c.state === 'noncompliant') return html`<b class="err">The deadline${c.deadline ? html` (${when(c.deadline)})` : ''} has passed.</b>`;
  return '';
}

/** The policy's reasons, when they add something to the agent's summary. */
const extraReasons = (c: MyCheck) => (c.state === 'pass' ? [] : c.reasons.filter((r) => !c.summary.toLowerCase().includes(r.toLowerCase())));

/** Steps are plain text; `backticked` parts are commands, shown as code (still escaped). */
export function stepHtml(step: string): SafeHtml {
  return html`${step.split('`').map((part, i) => (i % 2 ? html`<code>${part}</code>` : part))}`;
}

function checkCard(c: MyCheck): SafeHtml {
  const needsFix = c.state === 'failing' || c.state === 'noncompliant' || c.state === 'unknown';
  return html`<div class="check" data-check="${c.id}" data-state="${c.state}">
<div><b>${c.title}</b> ${badge(c.state === 'not_reported' ? 'unknown' : c.state)}${CHECK_WORDS[c.state] && CHECK_WORDS[c.state] !== c.state ? html` <span class="muted">${CHECK_WORDS[c.state]}</span>` : ''}</div>
<div>${c.summary}</div>
${extraReasons(c).length ? html`<div class="muted">${extraReasons(c).join('; ')}</div>` : ''}
<div>${deadlineText(c)}</div>
${needsFix && c.remediation.steps.length ? html`<div>How to fix:</div><ol class="fix">${c.remediation.steps.map((s) => html`<li>${stepHtml(s)}</li>`)}</ol>` : ''}
${needsFix && c.remediation.url ? html`<div><a href="${c.remediation.url}" rel="noopener noreferrer" target="_blank">Company help page for ${c.title}</a></div>` : ''}
${c.collectedAt ? html`<div class="muted">Checked ${timeAgo(c.collectedAt)}</div>` : ''}
</div>`;
}

/** `customChecks`: the policy's custom checks; those with a probe for this platform are listed too. */
export function transparencySection(platform: string, customChecks: readonly CustomCheck[] = []): SafeHtml {
  const p = (['linux', 'darwin', 'win32'] as const).find((x) => x === platform) ?? 'linux';
  const src = (s: Partial<Record<Platform, string[]>>) => (s[p] ?? []).map((x) => html`<li><code>${x}</code></li>`);
  return html`<section id="what-is-collected"><h2>What the agent collects and sends</h2>
<p class="muted">The Posture agent on this computer reads only the items below and sends them to your company's collector. It changes nothing on your computer.</p>
<h3>Device inventory</h3>
<table><tr><th>Field</th><th>What</th><th>Read from</th></tr>
${INVENTORY_ITEMS.map((i) => html`<tr><td><code>${i.field}</code></td><td>${i.what}</td><td><ul>${src(i.sources)}</ul></td></tr>`)}</table>
<h3>Security checks</h3>
<table><tr><th>Check</th><th>Evidence sent</th><th>Read from</th></tr>
${CHECK_IDS.map((id) => html`<tr><td>${CHECK_TITLES[id]}</td><td><ul>${CHECK_ITEMS[id].facts.map((f) => html`<li>${f}</li>`)}</ul></td><td><ul>${src(CHECK_ITEMS[id].sources)}</ul></td></tr>`)}
${customChecks.flatMap((c) => {
  const probe = c.probes[p];
  if (!probe) return [];
  const d = describeProbe(probe);
  return [html`<tr data-custom-check="${c.id}"><td>${c.title} <span class="muted">(your company's check)</span></td><td><ul><li>${d.sends}</li></ul></td><td><ul><li>${d.reads}</li></ul></td></tr>`];
})}</table>
<h3>With every report</h3><ul>${REPORT_METADATA.map((x) => html`<li>${x}</li>`)}</ul>
<h3>Never collected</h3><ul>${NOT_COLLECTED.map((x) => html`<li>${x}</li>`)}</ul>
</section>`;
}

/** Options for the ownership part of the page. */
export interface OwnerView {
  /** The provider's name for the button (its issuer host), or null when SSO is not configured. */
  sso: string | null;
  /** The outcome of a claim just applied (or refused), shown above everything else. */
  notice?: { ok: boolean; text: string };
}

/**
 * Who owns this computer, and the claim prompt: shown while nobody is assigned or the owner came
 * from a less trusted source than a signed-in claim (enrolment, IdP data); an owner set by IT
 * is shown with a note that a claim does not change it.
 */
export function ownerSection(d: MyDeviceState['device'], csrf: string, o: OwnerView): SafeHtml {
  const src = d.owner?.source ?? null;
  const button = o.sso
    ? html`<p><button id="claim" data-csrf="${csrf}">Sign in with company SSO (${o.sso})</button> <span id="claim-status" role="status" aria-live="polite"></span></p>`
    : html`<p class="muted">Single sign-on is not set up for Posture; ask IT to assign this computer to you.</p>`;
  let inner: SafeHtml;
  if (src === 'admin')
    inner = html`<p>IT assigned this computer to <b>${d.owner!.email}</b>. Signing in here does not change an owner set by IT; ask IT if this is wrong.</p>`;
  else if (src === 'employee')
    inner = html`<p>This computer is registered to <b>${d.owner!.email}</b> (claimed by signing in).</p><p class="muted">Not theirs any more? The new owner can sign in to claim it.</p>${button}`;
  else
    inner = html`<p><b>Is this your laptop?</b> Sign in with your company SSO to claim it.</p>${d.owner ? html`<p class="muted">Currently recorded as ${d.owner.email} (from ${src === 'enrollment' ? 'enrolment' : 'the identity provider'}).</p>` : ''}${button}`;
  return html`<section id="owner" data-owner-source="${src ?? 'none'}"><h2>Owner</h2>${inner}</section>`;
}

export function myDevicePage(s: MyDeviceState, csrf: string, policyCustomChecks: readonly CustomCheck[] = [], owner: OwnerView = { sso: null }): string {
  const d = s.device;
  const body = html`<h1>My device: ${d.hostname}</h1>
${owner.notice ? html`<p id="claim-result" class="${owner.notice.ok ? 'ok' : 'err'}" data-ok="${owner.notice.ok ? '1' : '0'}">${owner.notice.text}</p>` : ''}
<p id="overall" data-state="${d.state}">${badge(d.state)} ${STATE_WORDS[d.state] ?? d.state}</p>
<p class="muted">${d.os} · last report ${timeAgo(d.lastReportAt)} · agent ${d.connected ? 'connected' : 'not connected right now'}</p>
<p><button id="recheck" data-csrf="${csrf}" ${d.connected ? '' : 'title="The agent is not connected; the re-check runs when it reconnects."'}>Re-check now</button>
<span id="recheck-status" role="status" aria-live="polite"></span></p>
${ownerSection(d, csrf, owner)}
<div id="checks">${s.checks.map(checkCard)}</div>
${transparencySection(d.platform, policyCustomChecks)}
<script src="/my-device/static/page.js" defer></script>`;
  return layout({ title: 'My device', principal: null, body });
}

/** Shown when the link is missing, expired, already used or the device was revoked. */
export function linkProblemPage(title: string, message: string): string {
  const body = html`<h1>${title}</h1><p>${message}</p>
<p>On your computer, open a terminal and run <code>posture-agent open</code> to get a fresh link (links last 10 minutes).</p>`;
  return layout({ title, principal: null, body });
}
