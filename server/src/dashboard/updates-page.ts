/**
 * Agent updates: the fleet's agent versions, the rollout in force (with the help desk's pause
 * and resume), each device's update state, and the failures and rollbacks. Data from
 * server/src/updates/fleet.ts (the same as GET /api/v1/updates).
 */
import type { FleetUpdates, UpdateResult } from '../updates/fleet.js';
import { UPDATE_RESULTS } from '../updates/fleet.js';
import type { Principal } from '../auth/roles.js';
import { OPERATORS } from '../auth/roles.js';
import { html, qs, timeAgo, type SafeHtml } from './html.js';

const RESULT_WORDS: Record<UpdateResult, string> = {
  failed: 'failed',
  'rolled-back': 'rolled back',
  held: 'held (paused)',
  pending: 'pending',
  staged: 'not in the staged %',
  updated: 'updated',
  'up-to-date': 'up to date',
  unknown: 'unknown',
};
// Reuses the state badge colours: red for failures, yellow for waiting, green for current.
const RESULT_CLASS: Record<UpdateResult, string> = { failed: 'fail', 'rolled-back': 'fail', held: 'failing', pending: 'failing', staged: 'unknown', updated: 'pass', 'up-to-date': 'pass', unknown: 'unknown' };
const resultBadge = (r: UpdateResult) => html`<span class="badge s-${RESULT_CLASS[r]}" data-result="${r}">${RESULT_WORDS[r]}</span>`;
const when = (iso: string) => html`<time datetime="${iso}" title="${iso}">${timeAgo(iso)}</time>`;

/** The rollout table, pause/resume, and "update now" for the pending or failed devices (operators). */
function rolloutSection(u: FleetUpdates, principal: Principal | null): SafeHtml {
  const r = u.rollout;
  const hold = r.hold;
  const canSteer = !!principal && OPERATORS.includes(principal.role);
  const held = !!hold?.paused;
  const form = held
    ? html`<form id="resume-form" class="stack" method="post" action="/api/v1/updates/resume" data-json data-confirm="Resume the rollout? Agents take their target release at their next check."><label>Reason (audit log) <input name="reason" required minlength="3" maxlength="500"></label><button type="submit">Resume rollout</button><span class="form-status"></span></form>`
    : html`<form id="pause-form" class="stack" method="post" action="/api/v1/updates/pause" data-json data-confirm="Pause the rollout? No agent takes a new release until it is resumed."><label>Reason (audit log) <input name="reason" required minlength="3" maxlength="500"></label><button type="submit">Pause rollout</button><span class="form-status"></span></form>`;
  return html`<h2>Rollout in force</h2>
<table id="rollout"><tr><th>Channel</th><td>${r.channel ?? 'stable'}</td></tr>
<tr><th>Pinned version</th><td>${r.pinnedVersion ?? html`<span class="muted">none (newest in the channel)</span>`}</td></tr>
<tr><th>Staged</th><td>${r.percentage ?? 100} % of devices</td></tr>
<tr><th>Checks</th><td>every ${r.checkIntervalHours ?? 6} h (and on update-now)</td></tr>
<tr><th>State</th><td id="rollout-state">${held ? html`<span class="badge s-noncompliant">paused</span> by ${hold!.changedBy} ${when(hold!.changedAt)}: “${hold!.reason}”` : r.paused ? html`<span class="badge s-noncompliant">paused by the policy</span> (updates.paused)` : html`<span class="badge s-pass">running</span>${hold ? html` <span class="muted">(resumed by ${hold.changedBy} ${when(hold.changedAt)}: “${hold.reason}”)</span>` : ''}`}</td></tr></table>
${canSteer ? form : ''}
${canSteer && (u.counts.pending > 0 || u.counts.failed > 0) ? html`<form id="push-form" class="stack" method="post" action="/api/v1/updates/update-now" data-json data-confirm="Ask these devices to check for their update now? Offline ones are asked when they connect (within 24 h).">
<label>Devices <select name="result">${u.counts.pending > 0 ? html`<option value="pending">pending (${u.counts.pending})</option>` : ''}${u.counts.failed > 0 ? html`<option value="failed">failed (${u.counts.failed})</option>` : ''}</select></label>
<label>Reason (audit log) <input name="reason" required minlength="3" maxlength="500"></label><button type="submit">Update now</button><span class="form-status"></span></form>` : ''}`;
}

export function updatesPage(u: FleetUpdates, principal: Principal | null, filter?: UpdateResult): SafeHtml {
  return html`<h1>Agent updates</h1>
<div class="cards" id="update-cards"><a class="card" href="/updates"><div class="n">${u.total}</div>devices</a>
${UPDATE_RESULTS.filter((k) => u.counts[k] > 0).map((k) => html`<a class="card" data-card="${k}" href="/updates${qs({ result: k })}"><div class="n">${u.counts[k]}</div>${resultBadge(k)}</a>`)}</div>
<div class="grid2"><div>
${rolloutSection(u, principal)}
<p class="muted">Pausing tells every agent “hold”: none takes a new release; the signed repository stays as it is.</p>
</div><div>
<h2>Versions in the fleet</h2>
<table id="versions"><tr><th>Agent version</th><th class="num">Devices</th></tr>${u.versions.map((v) => html`<tr><td>${v.version ?? html`<span class="muted">not reported</span>`}</td><td class="num">${v.devices}</td></tr>`)}</table>
<h2>Signed releases</h2>
${u.releases.length ? html`<table id="releases"><tr><th>Version</th><th>Channel</th><th>Targets</th></tr>${u.releases.map((x) => html`<tr><td>${x.version}</td><td>${x.channel}</td><td>${x.targets.join(', ')}</td></tr>`)}</table>` : html`<p class="muted" id="releases">No release in this collector's update repository (npm run release).</p>`}
</div></div>
<h2>Failures and rollbacks</h2>
${u.failures.length
  ? html`<table id="failures"><tr><th>When</th><th>Device</th><th>Result</th><th>From → to</th><th>Reason</th></tr>${u.failures.map(
      (f) => html`<tr><td>${when(f.at)}</td><td><a href="/devices/${f.deviceId}">${f.hostname}</a></td><td>${resultBadge(f.state === 'refused' ? 'failed' : 'rolled-back')}</td><td>${f.from ?? '?'} → ${f.to ?? '?'}</td><td>${f.reason ?? ''}</td></tr>`,
    )}</table>`
  : html`<p class="muted" id="failures">None.</p>`}
<h2>Devices${filter ? html` — ${RESULT_WORDS[filter]} <a href="/updates">(all)</a>` : ''}</h2>
<table id="update-devices"><tr><th>Device</th><th>Target</th><th>Current</th><th>Target version</th><th>Result</th><th>Last attempt</th><th>Detail</th></tr>
${u.devices.map(
  (d) => html`<tr data-device-id="${d.deviceId}"><td><a href="/devices/${d.deviceId}">${d.hostname}</a></td><td>${d.target ?? d.platform}</td><td>${d.currentVersion ?? '?'}</td><td>${d.targetVersion ?? '—'}</td><td>${resultBadge(d.result)}</td>
<td>${d.lastAttempt ? html`${d.lastAttempt.state} ${when(d.lastAttempt.at)}` : html`<span class="muted">none reported</span>`}</td><td>${d.detail ?? ''}</td></tr>`,
)}</table>
${u.devices.length < (filter ? u.counts[filter] : u.total) ? html`<p class="muted">First ${u.devices.length} shown, problems first; all through GET /api/v1/updates?offset=…</p>` : ''}`;
}
