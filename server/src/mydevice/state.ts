/**
 * One device's state as its employee sees it: the collector's (authoritative) per-check
 * states and deadlines, with remediation after policy overrides. Shared by the page and
 * the JSON endpoint the page and `posture-agent status` poll.
 */
import type { CheckId } from '#shared/checks/ids.js';
import { checkCatalogue, checkTitle } from '#shared/checks/catalogue.js';
import { OWNER_CHECK_ID } from '#shared/policy/owner-check.js';
import type { Ctx } from '../context.js';
import { getDevice } from '../devices/dal.js';
import { presentRemediation, type ShownRemediation } from './remediation.js';

const iso = (d: unknown) => (d ? new Date(d as string).toISOString() : null);

export interface MyCheck {
  id: CheckId;
  title: string;
  /** pass | failing | noncompliant | unknown | excluded | not_required | not_reported */
  state: string;
  agentStatus: string | null;
  summary: string;
  reasons: string[];
  failingSince: string | null;
  deadline: string | null;
  collectedAt: string | null;
  remediation: ShownRemediation;
}

export interface MyDeviceState {
  device: {
    id: string;
    hostname: string;
    platform: string;
    os: string;
    state: string;
    nextDeadline: string | null;
    lastReportAt: string | null;
    connected: boolean;
    /**
     * The assigned owner (a person) and where the assignment came from (people/trust.ts), or
     * null while nobody is assigned (a logged-in user seen in reports is not an owner).
     */
    owner: { email: string; source: string } | null;
  };
  checks: MyCheck[];
  serverTime: string;
}

/** Failing first (nearest deadline first), then unknown, then the rest. */
const ORDER: Record<string, number> = { noncompliant: 0, failing: 1, unknown: 2, not_reported: 3, excluded: 4, pass: 5, not_required: 6 };

export async function myDeviceState(ctx: Ctx, deviceId: string): Promise<MyDeviceState | null> {
  const d = await getDevice(ctx.db, deviceId);
  if (!d || d.revoked_at) return null;
  const policy = ctx.policy.policy;
  const rows = new Map((d.checks as Record<string, unknown>[]).map((c) => [c.id as string, c]));
  // Built-ins plus the custom checks that have a probe for this device's platform.
  const applicable = checkCatalogue(policy).filter((c) => c.platforms.includes(d.platform) || rows.has(c.id));
  const checks: MyCheck[] = applicable.map(({ id, title }) => {
    const c = rows.get(id);
    return {
      id,
      title,
      state: c ? String(c.state) : 'not_reported',
      agentStatus: c ? String(c.agent_status) : null,
      summary: c ? String(c.summary) : 'No result from this device yet.',
      reasons: Array.isArray(c?.reasons) ? (c!.reasons as unknown[]).map(String) : [],
      failingSince: iso(c?.failing_since),
      deadline: iso(c?.deadline),
      collectedAt: iso(c?.checked_at ?? c?.collected_at),
      remediation: presentRemediation(policy, d.platform, id, c?.remediation),
    };
  });
  // "Device has an owner" (the collector's own check), while the policy requires it: the
  // employee sees it with the fix (claim the device) like any other failing check.
  const owner = rows.get(OWNER_CHECK_ID);
  if (owner && owner.state !== 'not_required')
    checks.push({
      id: OWNER_CHECK_ID,
      title: checkTitle(OWNER_CHECK_ID),
      state: String(owner.state),
      agentStatus: null,
      summary: String(owner.summary),
      reasons: Array.isArray(owner.reasons) ? (owner.reasons as unknown[]).map(String) : [],
      failingSince: iso(owner.failing_since),
      deadline: iso(owner.deadline),
      collectedAt: iso(owner.collected_at),
      remediation: presentRemediation(policy, d.platform, OWNER_CHECK_ID, owner.remediation),
    });
  checks.sort((a, b) => (ORDER[a.state] ?? 9) - (ORDER[b.state] ?? 9) || (a.deadline ?? '9').localeCompare(b.deadline ?? '9'));
  return {
    device: {
      id: d.id,
      hostname: d.hostname,
      platform: d.platform,
      os: [d.os_name, d.os_version].filter(Boolean).join(' '),
      state: d.state,
      nextDeadline: iso(d.next_deadline),
      lastReportAt: iso(d.last_report_at),
      connected: d.connected === true || ctx.hub.isLocal(d.id),
      owner: d.owner_person_id && d.owner && d.owner_source ? { email: d.owner, source: d.owner_source } : null,
    },
    checks,
    serverTime: new Date().toISOString(),
  };
}
