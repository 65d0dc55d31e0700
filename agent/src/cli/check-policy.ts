/**
 * Which custom checks `posture-agent check` runs: those of a policy file given with
 * --policy (a full policy or a policies/ snippet, validated with line numbers, as the collector does), else those of the policy
 * the enrolled agent last received, else none.
 */
import { readFileSync } from 'node:fs';
import { parsePolicyOrSnippet } from '../../../shared/src/custom-checks/snippet.js';
import type { CustomCheck } from '../../../shared/src/custom-checks/schema.js';
import { loadConfig } from '../state/config.js';

export function loadCustomChecks(stateDir: string, policyFile?: string): { ok: true; checks: CustomCheck[] } | { ok: false; errors: string[] } {
  if (policyFile) {
    let text: string;
    try {
      text = readFileSync(policyFile, 'utf8');
    } catch (e) {
      return { ok: false, errors: [`--policy ${policyFile}: ${(e as Error).message}`] };
    }
    const p = parsePolicyOrSnippet(text, policyFile);
    return p.ok ? { ok: true, checks: p.policy.customChecks ?? [] } : { ok: false, errors: p.errors };
  }
  try {
    return { ok: true, checks: (loadConfig(stateDir).policy.customChecks ?? []) as CustomCheck[] };
  } catch {
    return { ok: true, checks: [] }; // not enrolled: built-in checks only
  }
}
