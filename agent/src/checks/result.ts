/**
 * Turning an observation into a CheckResult that always fits the shared schema: the
 * collector's detail is trimmed (largest keys first) so evidence stays a few KB, strings
 * are cut to their limits, and `facts` is never dropped because the collector's policy
 * evaluator reads it.
 */
import type { BuiltinCheckId as CheckId } from '../../../shared/src/checks/ids.js';
import type { CheckResult } from '../../../shared/src/checks/result.js';
import type { Observation, Verdict } from './types.js';

/** Evidence budget per check (serialized JSON bytes). */
export const MAX_EVIDENCE_BYTES = 8 * 1024;
const MAX_EVIDENCE_KEYS = 64;

export const cut = (s: string, max: number): string => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

export function buildEvidence(obs: Observation<CheckId>): Record<string, unknown> {
  const detail = Object.entries(obs.detail ?? {})
    .filter(([k, v]) => k !== 'facts' && v !== undefined)
    .slice(0, MAX_EVIDENCE_KEYS - 1)
    .map(([k, v]) => [cut(k, 64), v] as const);
  const evidence: Record<string, unknown> = { facts: obs.facts, ...Object.fromEntries(detail) };
  let size = JSON.stringify(evidence).length;
  if (size <= MAX_EVIDENCE_BYTES) return evidence;
  const bySize = detail.map(([k, v]) => [k, JSON.stringify(v)?.length ?? 0] as const).sort((a, b) => b[1] - a[1]);
  const dropped: string[] = [];
  for (const [k, len] of bySize) {
    if (size <= MAX_EVIDENCE_BYTES) break;
    delete evidence[k];
    dropped.push(k);
    size -= len;
  }
  evidence.truncated = dropped;
  return evidence;
}

export function buildResult(id: CheckId, obs: Observation<CheckId>, verdict: Verdict, steps: string[], durationMs: number): CheckResult {
  const result: CheckResult = {
    id,
    status: verdict.status,
    summary: cut(verdict.summary, 500),
    evidence: buildEvidence(obs),
    remediation: { steps: verdict.status === 'pass' ? [] : steps.slice(0, 12).map((s) => cut(s, 500)) },
    durationMs: Math.min(3_600_000, Math.max(0, Math.round(durationMs))),
  };
  if (verdict.status === 'unknown' || obs.reason) {
    const reason = obs.reason ?? (verdict.status === 'unknown' ? verdict.summary : undefined);
    if (reason) result.reason = cut(reason, 500);
  }
  if (obs.needsElevation) result.needsElevation = true;
  return result;
}
