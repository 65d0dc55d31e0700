/**
 * "Device has an owner" (`owner_assigned`): a requirement the collector derives from its own
 * owner record, not from a signed report. With `people.ownerRequired`, a device without an
 * owner is failing from the first evaluation that sees it unowned and noncompliant once
 * `people.ownerGraceHours` (default 72) have passed; assigning an owner passes it.
 *
 * The evidence verifier replays only what devices signed, so it does not recompute this check:
 * its rows in events.csv are listed as server-derived (docs/groups.md), and it is not one of
 * the policy's check columns in devices.csv / controls.csv.
 */
import type { CheckId } from '../checks/ids.js';
import type { Policy } from './schema.js';
import type { CheckEvaluation, PreviousCheckState } from './evaluate.js';
import { DEFAULT_OWNER_GRACE_HOURS } from './people.js';

/** The check id as stored in check_states / state_events. Not a policy check id (never in policyCheckIds). */
export const OWNER_CHECK_ID = 'owner_assigned' as CheckId;

export interface OwnerFact {
  /** A person is assigned (any source: admin, employee, enrolment, idp; an inferred login name is not a person). */
  assigned: boolean;
  /** Whether the device already has an owner_assigned row (so turning the requirement off updates it). */
  tracked?: boolean;
}

/**
 * The owner_assigned evaluation, or null when there is nothing to say (owner not known here,
 * or the requirement is off and the check was never tracked for this device).
 */
export function ownerCheck(policy: Policy, owner: OwnerFact | undefined, previous: Partial<Record<CheckId, PreviousCheckState>> | undefined, now: Date): CheckEvaluation | null {
  if (!owner) return null;
  const prev = previous?.[OWNER_CHECK_ID];
  if (!policy.people?.ownerRequired) {
    if (!prev && !owner.tracked) return null;
    return { id: OWNER_CHECK_ID, verdict: owner.assigned ? 'pass' : 'fail', state: 'not_required', reasons: ['the policy does not require an owner'], failingSince: null, deadline: null };
  }
  if (owner.assigned) return { id: OWNER_CHECK_ID, verdict: 'pass', state: 'pass', reasons: [], failingSince: null, deadline: null };
  const grace = policy.people.ownerGraceHours ?? DEFAULT_OWNER_GRACE_HOURS;
  const was = prev && (prev.state === 'failing' || prev.state === 'noncompliant') && prev.failingSince;
  const failingSince = was ? prev!.failingSince! : now;
  const deadline = new Date(failingSince.getTime() + grace * 3_600_000);
  const state = now.getTime() >= deadline.getTime() ? 'noncompliant' : 'failing';
  return { id: OWNER_CHECK_ID, verdict: 'fail', state, reasons: ['no owner is assigned to this device (assign one on the device page, or the employee claims it on the My-device page)'], failingSince, deadline };
}

/** The stored result row for owner_assigned (check_states wants one like a reported check's). */
export function ownerResult(ev: CheckEvaluation): import('../checks/result.js').CheckResult {
  const ok = ev.verdict === 'pass';
  return {
    id: OWNER_CHECK_ID,
    status: ok ? 'pass' : 'fail',
    summary: ok ? 'The device has an owner' : 'No owner is assigned to this device',
    evidence: { source: 'collector', ownerAssigned: ok },
    remediation: { steps: ok ? [] : ['Ask the help desk to record you as this device\'s owner (device page, or their CSV upload).', 'Where company sign-in is set up, claim the device yourself on this page.'] },
  };
}
