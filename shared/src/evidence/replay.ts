/**
 * Replaying a device's signed reports into its check-state transitions. This is the one
 * implementation of "which state change does a report cause": the collector's ingest
 * (server/src/ingest/apply.ts) and re-evaluation (server/src/exclusions/reevaluate.ts) step
 * devices with it, and the offline verifier replays a bundle's reports.jsonl with it, so a
 * bundle cannot verify under rules other than the ones that produced it. Pure.
 */
import { CHECK_IDS, type CheckId } from '../checks/ids.js';
import type { CheckResult } from '../checks/result.js';
import type { Policy } from '../policy/schema.js';
import { resolvePolicy } from '../policy/effective.js';
import { OWNER_CHECK_ID, type OwnerFact } from '../policy/owner-check.js';
import { evaluateDevice, type ActiveExclusion, type CheckState, type DeviceEvaluation, type PreviousCheckState } from '../policy/evaluate.js';

/** A check's state as the replay carries it from one report to the next. */
export interface ReplayCheck extends PreviousCheckState {
  /** The last result reported for this check (a partial report carries the others forward). */
  result?: CheckResult;
}

export interface Transition {
  checkId: CheckId;
  from: CheckState | null;
  to: CheckState;
  reasons: string[];
}

export interface StepInput {
  policy: Policy;
  platform: string;
  /** The results this report carries; checks it does not carry keep their last result. */
  reported: CheckResult[];
  previous: ReadonlyMap<CheckId, ReplayCheck>;
  /** Exclusions in force (the evaluator drops those expired at `at`). */
  exclusions: ActiveExclusion[];
  /** The report's collectedAt (or the re-evaluation time). */
  at: Date;
  /**
   * The device's groups at `at` (the bundle's group-memberships.csv for the verifier): their
   * overrides apply (shared/src/policy/effective.ts). Undefined = groups unknown: the policy
   * as written, and custom checks limited to groups apply.
   */
  groups?: readonly string[];
  /** Owner known to the collector (server-derived owner_assigned check); the verifier leaves it out. */
  owner?: OwnerFact;
}

export interface StepResult {
  evaluation: DeviceEvaluation;
  /** Checks whose state differs from `previous` (a check never seen before counts, from null). */
  changed: Transition[];
  /** The states after this step, to pass as `previous` to the next. */
  next: Map<CheckId, ReplayCheck>;
}

/** Apply one report to a device's check states (what ingest does for each stored report). */
export function stepReport(input: StepInput): StepResult {
  const reportedIds = new Set(input.reported.map((c) => c.id));
  const carried = [...input.previous.values()].filter((c) => c.result && !reportedIds.has(c.result.id)).map((c) => c.result!);
  return step(input, [...input.reported, ...carried], true);
}

/**
 * Re-evaluate a device without a new report (grace deadline passed, exclusion created,
 * revoked or expired): the latest report's results judged at `at`. Checks with no previous
 * state are left alone, as the collector leaves them.
 */
export function stepReevaluate(input: StepInput): StepResult {
  return step(input, input.reported, false);
}

function step(input: StepInput, results: CheckResult[], fromReport: boolean): StepResult {
  const previous: Partial<Record<CheckId, PreviousCheckState>> = {};
  for (const [id, c] of input.previous) previous[id] = { state: c.state, failingSince: c.failingSince };
  const policy = resolvePolicy(input.policy, input.platform, input.groups);
  const evaluation = evaluateDevice({ policy, platform: input.platform, results, previous, exclusions: input.exclusions, now: input.at, deviceGroups: input.groups, owner: input.owner });
  const changed: Transition[] = [];
  const next = new Map<CheckId, ReplayCheck>(input.previous);
  const byId = new Map(input.reported.map((r) => [r.id, r]));
  for (const c of evaluation.checks) {
    const before = input.previous.get(c.id);
    // The owner check is the collector's own (no report result): it may start at a re-evaluation.
    if (!fromReport && !before && c.id !== OWNER_CHECK_ID) continue;
    if (!before || before.state !== c.state) changed.push({ checkId: c.id, from: before?.state ?? null, to: c.state, reasons: c.reasons.slice(0, 5) });
    next.set(c.id, { state: c.state, failingSince: c.failingSince, result: fromReport ? (byId.get(c.id) ?? before?.result) : before?.result });
  }
  return { evaluation, changed, next };
}

/** Exclusion windows (from → min(expiry, revocation)) in force at `at`, as the evaluator wants them. */
export function exclusionsAt(windows: readonly { checkId: string; from: Date; to: Date }[], at: Date): ActiveExclusion[] {
  const t = at.getTime();
  return windows.filter((w) => w.from.getTime() <= t && w.to.getTime() > t).map((w) => ({ checkId: w.checkId as CheckId | '*', expiresAt: w.to }));
}

/** The policy version in force at `at`: the last one created at or before it (else the first). */
export function policyAt<P extends { createdAt: Date | null; policy: Policy }>(versions: readonly P[], at: Date): Policy {
  let pick = versions[0];
  for (const v of versions) if (v.createdAt === null || v.createdAt.getTime() <= at.getTime()) pick = v;
  return pick.policy;
}

export { CHECK_IDS };
