/**
 * Remediation as shown to the employee: the steps the agent reported (from the check's
 * spec, per platform), replaced by the policy's own steps where it sets them, plus the
 * company's help page (remediationUrl). Per-platform policy overrides win, as for thresholds.
 * The help link comes from the policy ONLY: a device-reported `url` is device-controlled text
 * (anyone with the enrollment secret can send one), and a help desk following a phishing link
 * from the device page is exactly what an attacker wants (issue 11, Low batch).
 */
import type { CheckId } from '#shared/checks/ids.js';
import type { Policy } from '#shared/policy/schema.js';
import { effectiveRule } from '#shared/policy/judge.js';

export interface ShownRemediation {
  steps: string[];
  url: string | null;
}

export function presentRemediation(policy: Policy, platform: string, id: CheckId, reported: unknown): ShownRemediation {
  const rule = effectiveRule(policy, id, platform);
  const r = (reported && typeof reported === 'object' ? reported : {}) as { steps?: unknown };
  const agentSteps = Array.isArray(r.steps) ? r.steps.filter((s): s is string => typeof s === 'string').slice(0, 12) : [];
  const steps = rule.remediation?.steps?.length ? [...rule.remediation.steps] : agentSteps;
  const url = rule.remediationUrl ?? null;
  // Only web links are rendered as links; anything else would be a script or file URL.
  return { steps, url: url && /^https?:\/\//i.test(url) ? url : null };
}
