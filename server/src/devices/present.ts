/** API representation of devices: camelCase, ISO times, no internal columns. */
import type { DeviceSummary } from './dal.js';

const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : null);

export function presentDevice(d: DeviceSummary) {
  return {
    id: d.id,
    hostname: d.hostname,
    platform: d.platform,
    osName: d.os_name,
    osVersion: d.os_version,
    model: d.model,
    serial: d.serial,
    owner: d.owner,
    /** admin | employee | enrollment | idp | inferred (server/src/people/trust.ts); null = nobody */
    ownerSource: d.owner_source,
    ownerPersonId: d.owner_person_id,
    /** The logged-in user the last report named (a hint, never an assignment). */
    inferredOwner: d.inferred_owner,
    /** Set while (and after) the owner left: the return/wipe deadline and its outcome. */
    offboarding: d.offboard_since
      ? { since: iso(d.offboard_since), deadline: iso(d.offboard_deadline), outcome: d.offboard_outcome, outcomeAt: iso(d.offboard_outcome_at), reportedAfterOffboardAt: iso(d.reported_after_offboard_at) }
      : null,
    agentVersion: d.agent_version,
    state: d.state,
    stateSince: iso(d.state_since),
    failingChecks: d.failing_checks,
    nextDeadline: iso(d.next_deadline),
    /** Last contact (not last report): now while connected. */
    lastSeenAt: iso(d.last_seen_at),
    connected: d.connected === true,
    /** While connected: since when; while offline: null. */
    connectedSince: d.connected ? iso(d.connected_since) : null,
    /** While offline: since when (last disconnect, or the last heartbeat of a collector that died); null while connected. */
    offlineSince: d.connected ? null : iso(d.disconnected_at ?? d.last_seen_at),
    lastReportAt: iso(d.last_report_at),
    enrolledAt: iso(d.enrolled_at),
    revokedAt: iso(d.revoked_at),
    /** Archived: hidden from the fleet views until un-archived or until it reports again (devices/lifecycle.ts). */
    archived: d.archived_at ? { at: iso(d.archived_at), by: d.archived_by, reason: d.archive_reason } : null,
  };
}

export function presentCheck(c: Record<string, unknown>) {
  return {
    id: c.id,
    status: c.agent_status,
    state: c.state,
    summary: c.summary,
    reasons: c.reasons,
    evidence: c.evidence,
    remediation: c.remediation,
    since: iso(c.since as Date),
    failingSince: iso(c.failing_since as Date),
    deadline: iso(c.deadline as Date),
    reportId: c.report_id,
    collectedAt: iso(c.collected_at as Date),
    checkedAt: iso((c.checked_at ?? c.collected_at) as Date),
  };
}
