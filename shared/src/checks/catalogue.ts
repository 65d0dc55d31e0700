/**
 * The check catalogue of a policy: which checks exist (the six built-ins, then the policy's
 * custom checks in their order), with titles and control mappings. Every consumer that
 * lists checks (evaluator, agent CLI and notifications, My-device page, dashboard filters
 * and compliance %, history, evidence bundle columns and controls.csv) goes through here.
 *
 *   policyCheckIds(policy)          → CheckId[]            (built-ins first, then custom)
 *   checkCatalogue(policy)          → CheckInfo[]
 *   checkTitle(id, policy?)         → string                (the id itself when unknown)
 *   checkControls(policy, id)       → { soc2, cis, iso27001 } (empty lists when unmapped)
 *   customCheckOf(policy, id)       → CustomCheck | null
 */
import type { CustomCheck } from '../custom-checks/schema.js';
import type { Policy } from '../policy/schema.js';
import { BUILTIN_CHECK_IDS, CHECK_TITLES, isBuiltinCheckId, type CheckId } from './ids.js';

export interface CheckControls {
  soc2: string[];
  cis: string[];
  iso27001: string[];
}

export interface CheckInfo {
  id: CheckId;
  title: string;
  builtin: boolean;
  controls: CheckControls;
  /** Platforms the check has a probe for (built-ins: all three). */
  platforms: string[];
}

/** A full policy, or just what an agent knows of it ({ customChecks }). */
type PolicyLike = Partial<Pick<Policy, 'checks'>> & { customChecks?: readonly CustomCheck[] };

export function policyCheckIds(policy: PolicyLike | null | undefined): CheckId[] {
  return [...BUILTIN_CHECK_IDS, ...(policy?.customChecks ?? []).map((c) => c.id)];
}

export function customCheckOf(policy: PolicyLike | null | undefined, id: string): CustomCheck | null {
  return policy?.customChecks?.find((c) => c?.id === id) ?? null;
}

export function checkTitle(id: string, policy?: PolicyLike | null): string {
  if (id === '*') return 'whole device';
  if (id === 'owner_assigned') return 'Device has an owner'; // the collector's own check (policy/owner-check.ts)
  if (isBuiltinCheckId(id)) return CHECK_TITLES[id];
  // An agent holds custom checks it has not validated yet: use a title only if it is one.
  const t: unknown = customCheckOf(policy, id)?.title;
  return typeof t === 'string' && t ? t.slice(0, 120) : id;
}

export function checkControls(policy: PolicyLike | null | undefined, id: string): CheckControls {
  const c = isBuiltinCheckId(id) ? policy?.checks?.[id]?.controls : customCheckOf(policy, id)?.controls;
  return { soc2: [...(c?.soc2 ?? [])], cis: [...(c?.cis ?? [])], iso27001: [...(c?.iso27001 ?? [])] };
}

export function checkCatalogue(policy: PolicyLike | null | undefined): CheckInfo[] {
  return policyCheckIds(policy).map((id) => {
    const custom = customCheckOf(policy, id);
    return {
      id,
      title: checkTitle(id, policy),
      builtin: !custom,
      controls: checkControls(policy, id),
      platforms: custom ? Object.keys(custom.probes).filter((p) => custom.probes[p as 'linux']) : ['linux', 'darwin', 'win32'],
    };
  });
}

/**
 * Check ids across several policy versions (an evidence period may span policy changes):
 * built-ins, then every custom id in order of first appearance. A custom check removed
 * mid-period still gets its columns for the time it was in force.
 */
export function checkIdsAcross(policies: readonly (PolicyLike | null | undefined)[]): CheckId[] {
  const ids: CheckId[] = [...BUILTIN_CHECK_IDS];
  for (const p of policies) for (const c of p?.customChecks ?? []) if (!ids.includes(c.id)) ids.push(c.id);
  return ids;
}

/** The newest of `policies` (oldest first) that declares `id`, for its title and controls; else the newest. */
export function latestDeclaring<P extends PolicyLike>(policies: readonly P[], id: string): P | undefined {
  for (let i = policies.length - 1; i >= 0; i--) if (isBuiltinCheckId(id) || customCheckOf(policies[i], id)) return policies[i];
  return policies[policies.length - 1];
}
