/**
 * Device evaluation: (policy, latest results, previous states, exclusions, now) →
 * per-check states with grace deadlines and the device's overall state. Pure.
 */
import type { CheckId } from '../checks/ids.js';
import { customCheckOf, policyCheckIds } from '../checks/catalogue.js';
import type { CheckResult } from '../checks/result.js';
import type { Policy } from './schema.js';
import { judgeCheck, type Verdict } from './judge.js';
import { ownerCheck, type OwnerFact } from './owner-check.js';

/** Per-check state. `failing` = failing within its grace period; `noncompliant` = past it. */
export type CheckState = 'pass' | 'failing' | 'noncompliant' | 'unknown' | 'excluded' | 'not_required';
export type DeviceState = 'compliant' | 'failing' | 'noncompliant' | 'stale' | 'unknown' | 'excluded';
export const DEVICE_STATES: readonly DeviceState[] = ['compliant', 'failing', 'noncompliant', 'stale', 'unknown', 'excluded'];

export interface PreviousCheckState {
  state: CheckState;
  /** When the check started failing (kept across reports so grace does not restart). */
  failingSince: Date | null;
}

export interface ActiveExclusion {
  /** A check id, or '*' for the whole device. */
  checkId: CheckId | '*';
  expiresAt: Date;
}

export interface CheckEvaluation {
  id: CheckId;
  verdict: Verdict;
  state: CheckState;
  reasons: string[];
  failingSince: Date | null;
  deadline: Date | null;
}

export interface DeviceEvaluation {
  state: Exclude<DeviceState, 'stale'>;
  checks: CheckEvaluation[];
  failingChecks: CheckId[];
  /** Earliest grace deadline among failing checks. */
  nextDeadline: Date | null;
}

export interface EvaluateInput {
  policy: Policy;
  platform: string;
  results: CheckResult[];
  previous?: Partial<Record<CheckId, PreviousCheckState>>;
  exclusions?: ActiveExclusion[];
  /** When the results were observed (report time), not when they are processed. */
  now: Date;
  /**
   * The device's group names, for custom checks limited to `groups`. Undefined = unknown:
   * such checks then apply (stricter, never a silent skip).
   */
  deviceGroups?: readonly string[];
  /**
   * Whether the device has an owner (a person), for the server-side `owner_assigned` check
   * (owner-check.ts). Undefined = not evaluated here (the evidence verifier, the agent).
   */
  owner?: OwnerFact;
}

export function evaluateDevice(input: EvaluateInput): DeviceEvaluation {
  const { policy, platform, results, now } = input;
  const excl = (input.exclusions ?? []).filter((e) => e.expiresAt.getTime() > now.getTime());
  const deviceExcluded = excl.some((e) => e.checkId === '*');
  const byId = new Map(results.map((r) => [r.id, r]));
  const checks: CheckEvaluation[] = [];

  for (const id of policyCheckIds(policy)) {
    const custom = customCheckOf(policy, id);
    // A custom check without a probe for this platform, or for other groups, does not apply here.
    const applies = !custom || (custom.probes[platform as 'linux'] !== undefined && (!custom.groups || !input.deviceGroups || custom.groups.some((g) => input.deviceGroups!.includes(g))));
    const r = applies ? byId.get(id) : undefined;
    const prev = input.previous?.[id];
    let verdict: Verdict = 'unknown';
    let reasons: string[] = ['no result reported'];
    let required = true;
    let graceHours = 0;
    if (r) {
      const j = judgeCheck(policy, platform, r, now);
      verdict = j.verdict;
      reasons = j.reasons;
      required = j.rule.required !== false;
      graceHours = j.rule.graceHours ?? 0;
    } else if (!applies) {
      required = false;
      reasons = ['not applicable to this device'];
    } else {
      required = (custom ?? policy.checks[id as keyof Policy['checks']]).required !== false;
    }

    let state: CheckState;
    let failingSince: Date | null = null;
    let deadline: Date | null = null;
    if (!required) state = 'not_required';
    else if (excl.some((e) => e.checkId === id)) state = 'excluded';
    else if (verdict === 'pass') state = 'pass';
    else if (verdict === 'unknown') state = 'unknown';
    else {
      // Grace runs from the first failing observation, not from the latest report.
      const wasFailing = prev && (prev.state === 'failing' || prev.state === 'noncompliant') && prev.failingSince;
      failingSince = wasFailing ? prev!.failingSince! : now;
      deadline = new Date(failingSince.getTime() + graceHours * 3_600_000);
      state = now.getTime() >= deadline.getTime() ? 'noncompliant' : 'failing';
    }
    checks.push({ id, verdict, state, reasons, failingSince, deadline });
  }
  const owner = ownerCheck(policy, input.owner, input.previous, now);
  if (owner) checks.push(owner);

  const failingChecks = checks.filter((c) => c.state === 'failing' || c.state === 'noncompliant').map((c) => c.id);
  const deadlines = checks.filter((c) => c.state === 'failing' && c.deadline).map((c) => c.deadline!.getTime());
  let state: DeviceEvaluation['state'];
  if (deviceExcluded) state = 'excluded';
  else if (checks.some((c) => c.state === 'noncompliant')) state = 'noncompliant';
  else if (checks.some((c) => c.state === 'failing')) state = 'failing';
  else if (checks.some((c) => c.state === 'unknown')) state = 'unknown';
  else state = 'compliant';
  return { state, checks, failingChecks, nextDeadline: deadlines.length ? new Date(Math.min(...deadlines)) : null };
}
