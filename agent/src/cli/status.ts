/**
 * `posture-agent status [--json] [--what-is-collected]`: the employee's view of this
 * computer. The collector's verdict (policy thresholds, grace deadlines, the company's own
 * fix steps) is shown when it is reachable and current; otherwise the agent's own last
 * results (status.json) with the collector's last kept exclusions and deadlines, marked as
 * such. Asked of the running agent first (local channel), so no sudo is needed. Exit codes
 * let scripts act on the state.
 */
import { checkTitle } from '#shared/checks/catalogue.js';
import type { CustomCheck } from '#shared/custom-checks/schema.js';
import { readStatus, type AgentStatus } from '../runtime/status-file.js';
import { runLockHeld } from '../state/lock.js';
import { loadConfig, StatePermissionError, type AgentConfig } from '../state/config.js';
import { readPending, resolvePending } from '../identity/pending.js';
import { existsSync } from 'node:fs';
import { files, localChannelPath } from '../state/paths.js';
import { askAgent } from '../local/client.js';
import { defaultRunner } from '../exec/runner.js';
import { clientKeyFor } from '../local/proof/client-key.js';
import { readCollectorState, type CollectorDeviceState } from '../notify/link.js';
import { readKeptVerdicts, type KeptVerdicts } from '../state/verdicts.js';
import { formatDeadline, relative } from '../notify/text.js';
import { renderTransparency, transparencyFor } from '../transparency/render.js';

/** Documented in the CLI help and README; scripts depend on these numbers. */
export const STATUS_EXIT = { compliant: 0, error: 1, notEnrolled: 3, revoked: 4, failing: 5, noncompliant: 6, unknown: 7, pending: 8, keyReplaced: 9, permission: 10 } as const;

export const STATUS_EXIT_HELP = `Exit codes of \`posture-agent status\`:
  0  compliant: every required check passes
  1  error (unreadable state, bad configuration)
  3  not enrolled
  4  revoked by an administrator
  5  failing: a check fails but is still within its grace period
  6  noncompliant: a check's deadline has passed
  7  unknown: not yet checked, or a check could not be determined
  8  enrollment pending: this computer was already enrolled; IT must approve this installation
  9  key replaced: IT approved another installation of this computer; this one no longer reports
  10 permission: the agent's state is not readable by this user and no running agent answered
     on the local channel (start the agent service, or use sudo)`;

export type RowState = 'pass' | 'failing' | 'noncompliant' | 'unknown' | 'not_required' | 'excluded';

export interface StatusRow {
  id: string;
  title: string;
  state: RowState;
  summary: string;
  deadline: string | null;
  remediation: { steps: string[]; url: string | null };
}

export interface StatusView {
  deviceId: string;
  server: string;
  state: 'compliant' | 'failing' | 'noncompliant' | 'unknown' | 'revoked' | 'replaced';
  exitCode: number;
  source: 'collector' | 'local' | 'none';
  connection: string | null;
  lastCycleAt: string | null;
  lastAckAt: string | null;
  queuedReports: number;
  /** Why the agent is not delivering (connection refused, key not accepted, ...), when it is not. */
  lastError: string | null;
  clockSkewSec: number | null;
  /** Reports the collector refused or that were unreadable, kept aside in spool-quarantine/. */
  quarantinedReports: number;
  /**
   * When the collector could not be asked: since when it has not been reached (the last
   * answer or delivered report, ISO; null if never) and why, in plain words.
   */
  collectorUnreachable: { since: string | null; problem: string } | null;
  /** ISO time of the collector verdicts shown when they are kept ones (offline), else null. */
  verdictsFrom: string | null;
  checks: StatusRow[];
}

const FROM_COLLECTOR: Record<string, RowState> = { pass: 'pass', failing: 'failing', noncompliant: 'noncompliant', unknown: 'unknown', not_reported: 'unknown', not_required: 'not_required', excluded: 'excluded' };

/** Where the collector's verdicts came from when it is offline: last-verdicts.json. */
export interface OfflineVerdicts {
  kept: KeptVerdicts | null;
  /** Why the collector gave no answer now (plain words). */
  problem: string;
}

/**
 * Pure: merge local status and the collector's state into what is shown and the exit code.
 * `col` is the collector's answer now; without one, `offline` supplies its last kept answer:
 * an exclusion or "not required" stays so, a deadline stays and turns OVERDUE when it passes.
 */
export function buildStatusView(
  cfg: Pick<AgentConfig, 'deviceId' | 'server'> & { policy?: Pick<AgentConfig['policy'], 'customChecks'> },
  s: AgentStatus | null,
  col: CollectorDeviceState | null,
  now = new Date(),
  offline: OfflineVerdicts | null = null,
): StatusView {
  const lastCycle = s?.lastCycleAt ? Date.parse(s.lastCycleAt) : 0;
  // The collector is current when it has seen our latest cycle (or we have no local results).
  const colCurrent = !!col && (!s?.lastCycleAt || (col.device.lastReportAt !== null && Date.parse(col.device.lastReportAt) >= lastCycle - 5_000));
  const kept = col ? null : (offline?.kept ?? null);
  const ref = col ?? kept?.state ?? null;
  let rows: StatusRow[];
  let source: StatusView['source'];
  if (col && colCurrent) {
    source = 'collector';
    rows = col.checks.map((c) => ({ id: c.id, title: c.title, state: FROM_COLLECTOR[c.state] ?? 'unknown', summary: c.summary, deadline: c.deadline, remediation: c.remediation }));
  } else if (s?.checks.length) {
    source = 'local';
    rows = s.checks.map((c) => {
      const colRow = ref?.checks.find((x) => x.id === c.id);
      // IT's decisions outlive the connection: excluded / not required are not "failing".
      if (colRow && (colRow.state === 'excluded' || colRow.state === 'not_required')) return { id: c.id, title: colRow.title, state: colRow.state as RowState, summary: colRow.summary || c.summary, deadline: null, remediation: { steps: [], url: null } };
      let state: RowState = c.status === 'pass' ? 'pass' : c.status === 'fail' ? 'failing' : 'unknown';
      const deadline = state === 'failing' ? (colRow?.deadline ?? null) : null;
      if (deadline && Date.parse(deadline) <= now.getTime()) state = 'noncompliant';
      return { id: c.id, title: colRow?.title ?? checkTitle(c.id, cfg.policy as { customChecks?: CustomCheck[] } | undefined), state, summary: c.summary, deadline, remediation: { steps: colRow?.remediation.steps.length ? colRow.remediation.steps : c.remediation, url: colRow?.remediation.url ?? null } };
    });
  } else if (kept) {
    // No local results readable yet (fresh restart) but a kept verdict: show it, aged.
    source = 'local';
    rows = kept.state.checks.map((c) => {
      let state = FROM_COLLECTOR[c.state] ?? 'unknown';
      if (state === 'failing' && c.deadline && Date.parse(c.deadline) <= now.getTime()) state = 'noncompliant';
      return { id: c.id, title: c.title, state, summary: c.summary, deadline: c.deadline, remediation: c.remediation };
    });
  } else {
    source = 'none';
    rows = [];
  }
  let state: StatusView['state'];
  if (s?.revoked) state = 'revoked';
  else if (s?.keyReplaced) state = 'replaced';
  else if (rows.some((r) => r.state === 'noncompliant')) state = 'noncompliant';
  else if (rows.some((r) => r.state === 'failing')) state = 'failing';
  else if (!rows.length || rows.some((r) => r.state === 'unknown')) state = 'unknown';
  else state = 'compliant';
 const exitCode = { replaced: STATUS_EXIT.keyReplaced, revoked: STATUS_EXIT.revoked, noncompliant: STATUS_EXIT.noncompliant, failing: STATUS_EXIT.failing, unknown: STATUS_EXIT.unknown, compliant: STATUS_EXIT.compliant }[state];
  const order: Record<RowState, number> = { noncompliant: 0, failing: 1, unknown: 2, pass: 3, excluded: 4, not_required: 5 };
  rows.sort((a, b) => order[a.state] - order[b.state] || (a.deadline ?? '9').localeCompare(b.deadline ?? '9'));
  return {
    deviceId: cfg.deviceId,
    server: cfg.server,
    state,
    exitCode,
    source,
    connection: s?.connection ?? null,
    lastCycleAt: s?.lastCycleAt ?? null,
    lastAckAt: s?.lastAckAt ?? null,
    queuedReports: s?.spool.pending ?? 0,
    lastError: s?.connection === 'connected' ? null : (s?.lastError ?? null),
    clockSkewSec: s?.clockSkewSec ?? null,
    quarantinedReports: s?.spool.quarantined ?? 0,
    collectorUnreachable: !col && offline ? { since: latest(kept?.receivedAt ?? null, s?.lastAckAt ?? null), problem: offline.problem } : null,
    verdictsFrom: kept && source === 'local' ? kept.receivedAt : null,
    checks: rows,
  };
}

const latest = (a: string | null, b: string | null): string | null => (!a ? b : !b ? a : Date.parse(a) >= Date.parse(b) ? a : b);

const HEADLINE: Record<StatusView['state'], string> = {
  compliant: 'COMPLIANT — every required check passes. Thank you!',
  failing: 'NEEDS FIXING — please fix the checks below before their deadline.',
  noncompliant: 'OVERDUE — a deadline has passed; please fix the checks below now.',
  unknown: 'NOT YET KNOWN — some checks have not run or could not be determined.',
  revoked: 'REVOKED — an administrator removed this computer from Posture; the agent no longer reports.',
  replaced: 'KEY REPLACED — IT approved another installation of this computer; this agent no longer reports.',
};
const MARK: Record<RowState, string> = { pass: '✓', failing: '✗', noncompliant: '✗', unknown: '?', not_required: '-', excluded: '-' };

export function renderStatus(v: StatusView, now = new Date()): string {
  const ago = (iso: string | null) => (!iso ? 'never' : now.getTime() - Date.parse(iso) < 60_000 ? 'just now' : relative(new Date(iso), now));
  const out = [
    `Posture: ${HEADLINE[v.state]}`,
    `Device ${v.deviceId} → ${v.server}`,
    `Connection: ${v.connection ?? 'agent not running'} · last check ${ago(v.lastCycleAt)} · last delivered ${ago(v.lastAckAt)} · queued reports ${v.queuedReports}`,
    ...(v.collectorUnreachable
      ? [
          `Collector unreachable ${v.collectorUnreachable.since ? `since ${formatDeadline(new Date(v.collectorUnreachable.since))} (${ago(v.collectorUnreachable.since)})` : '(never reached from here)'}: ${v.collectorUnreachable.problem}.`,
        ]
      : []),
    ...(v.lastError && v.lastError !== v.collectorUnreachable?.problem ? [`Problem: ${v.lastError}`] : []),
    ...(v.clockSkewSec != null && Math.abs(v.clockSkewSec) > 120
      ? [`Clock: this computer's clock is ${Math.abs(Math.round(v.clockSkewSec / 60))} minute(s) ${v.clockSkewSec > 0 ? 'behind' : 'ahead of'} the collector; turn on automatic date and time.`]
      : []),
    ...(v.quarantinedReports ? [`Set aside: ${v.quarantinedReports} report(s) the collector refused or that were unreadable (spool-quarantine/); tell IT if this grows.`] : []),
    v.source === 'collector'
      ? 'Results: the collector’s verdict under your company’s policy.'
      : v.source === 'local' && v.verdictsFrom
        ? `Results: this computer’s own last check, with the collector’s last known exclusions and deadlines (from ${ago(v.verdictsFrom)}).`
        : v.source === 'local'
          ? 'Results: this computer’s own last check (the collector was not reachable or has not processed it yet).'
          : 'Results: none yet — is the agent running? (`posture-agent run` or the system service)',
    '',
  ];
  for (const c of v.checks) {
    const when = c.state === 'failing' && c.deadline ? ` — fix by ${formatDeadline(new Date(c.deadline))} (${relative(new Date(c.deadline), now)})` : c.state === 'noncompliant' ? ' — deadline passed' : '';
    out.push(`${MARK[c.state]} ${c.title.padEnd(22)} ${c.state.replace('_', ' ')}${when}`);
    if (c.state === 'failing' || c.state === 'noncompliant' || c.state === 'unknown') out.push(`    ${c.summary}`);
    if (c.state === 'failing' || c.state === 'noncompliant' || c.state === 'unknown') {
      if (c.remediation.steps.length) out.push('    How to fix:', ...c.remediation.steps.map((s, i) => `      ${i + 1}. ${s.replace(/`/g, '')}`));
      if (c.remediation.url) out.push(`    Help: ${c.remediation.url}`);
    }
  }
  out.push('', 'See it on the web and re-check: `posture-agent open`.  What is collected: `posture-agent status --what-is-collected`.', `Exit code ${v.exitCode} (${v.state}).`);
  return out.join('\n');
}

export async function statusCommand(a: { stateDir: string; json: boolean; whatIsCollected: boolean }): Promise<number> {
  if (a.whatIsCollected) {
    // The custom checks of the policy this agent last received (none before enrollment).
    let custom: CustomCheck[] = [];
    try {
      custom = (loadConfig(a.stateDir).policy.customChecks ?? []) as CustomCheck[];
    } catch {
      /* not enrolled */
    }
    console.log(a.json ? JSON.stringify(transparencyFor(process.platform, custom), null, 2) : renderTransparency(process.platform, custom));
    return 0;
  }
  // The running agent answers first: it can read its own 0700 state, the user may not.
  const proof = await clientKeyFor(a.stateDir, defaultRunner().run);
  const asked = await askAgent(localChannelPath(a.stateDir), { v: 1, type: 'status' }, undefined, proof.key);
  if (asked.kind === 'answer' && asked.response.ok && 'status' in asked.response) {
    const v = asked.response.status as StatusView;
    console.log(a.json ? JSON.stringify(v, null, 2) : renderStatus(v));
    return v.exitCode;
  }
  if (!existsSync(files(a.stateDir).config) && readPending(a.stateDir)) return pendingStatus(a);
  let v: StatusView;
  try {
    v = await computeStatusView(a.stateDir);
  } catch (e) {
    // Refused by the agent and no direct access either: the agent's reason is the useful one.
    if (e instanceof StatePermissionError && asked.kind === 'answer' && !asked.response.ok) return refusedByAgent('status', proof.problem ? `${asked.response.error}; ${proof.problem}` : asked.response.error, a.json);
    throw e;
  }
  console.log(a.json ? JSON.stringify(v, null, 2) : renderStatus(v));
  return v.exitCode;
}

/** The agent refused a local-channel request (its reason is meant for the user). */
export function refusedByAgent(command: string, error: string, json: boolean): number {
  console.error(`posture-agent ${command}: the running agent refused: ${error}`);
  if (json) console.log(JSON.stringify({ state: 'refused', exitCode: STATUS_EXIT.permission, error }, null, 2));
  return STATUS_EXIT.permission;
}

/**
 * The status view from the state directory (the agent's own files) and the collector's
 * answer, or its kept verdicts when it gives none. Used by `status` (as root, or the
 * user's own agent) and by the running agent for its local channel. Throws
 * NotEnrolledError / StatePermissionError (state/config.ts).
 */
export async function computeStatusView(stateDir: string, now = new Date()): Promise<StatusView> {
  const cfg = loadConfig(stateDir);
  const read = readStatus(stateDir);
  // status.json outlives the agent (kill -9, crash, stopped service): do not show its last
  // "connected" as if the agent were still running.
  const s = read && runLockHeld(stateDir) === false && read.connection !== 'revoked' && read.connection !== 'replaced' ? { ...read, connection: 'agent not running' } : read;
  // Revoked or replaced: the collector will refuse us; do not wait for it.
  if (s?.revoked || s?.keyReplaced) return buildStatusView(cfg, s, null, now);
  const r = await readCollectorState(stateDir, cfg, 3000);
  return buildStatusView(cfg, s, r.state, now, r.state ? null : { kept: readKeptVerdicts(stateDir, cfg.deviceId), problem: r.problem ?? 'no answer' });
}

/** No enrollment yet, but a request waiting for IT: ask the collector for the outcome and say it plainly. */
async function pendingStatus(a: { stateDir: string; json: boolean }): Promise<number> {
  const r = (await resolvePending(a.stateDir))!;
  if (r.status === 'approved') {
    console.error(`posture-agent: IT approved this installation; it is now device ${r.config.deviceId}. Start the agent (\`posture-agent run\` or the system service) to report.`);
    return statusCommand({ ...a, whatIsCollected: false });
  }
  const p = r.pending;
  const view = {
    state: r.status === 'rejected' ? 'enrollment_rejected' : 'pending_approval',
    exitCode: r.status === 'rejected' ? STATUS_EXIT.error : STATUS_EXIT.pending,
    server: p.server,
    pendingId: p.pendingId,
    requestedAt: p.requestedAt,
    reason: r.status === 'rejected' ? r.reason : null,
    problem: r.status === 'unreachable' ? r.error : null,
  };
  if (a.json) console.log(JSON.stringify(view, null, 2));
  else if (r.status === 'rejected')
    console.log(`Posture: ENROLLMENT REJECTED — IT rejected this installation (request ${p.pendingId})${r.reason ? `: ${r.reason}` : ''}.\nThis computer stays enrolled through its other installation. Ask IT if you think this is wrong.`);
  else
    console.log(
      [
        `Posture: PENDING APPROVAL — this computer was already enrolled, so IT must approve this installation before it reports.`,
        `Request ${p.pendingId} → ${p.server}, sent ${relative(new Date(p.requestedAt), new Date())}.`,
        ...(r.status === 'unreachable' ? [`Problem: ${r.error}; the outcome is not known yet.`] : []),
        `Exit code ${STATUS_EXIT.pending} (pending approval).`,
      ].join('\n'),
    );
  return view.exitCode;
}
