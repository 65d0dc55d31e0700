/**
 * Judge a custom check's result: the observation the agent reported (evidence.facts, shape
 * CustomCheckFacts) against the check's `pass` condition in the policy in force. Pure; the
 * agent runs it to tell the employee, the collector's run is authoritative.
 *
 * A wrong pass is the worst outcome, so: no observation → unknown; an observation made
 * under a different probe definition (the policy changed since) → unknown; a missing
 * target → the probe's `missing` verdict (default fail).
 */
import type { CheckResult } from '../checks/result.js';
import type { Platform } from '../checks/ids.js';
import { DEFAULT_PASS, evaluateCondition, type Observed } from './condition.js';
import type { Condition, CustomCheck, Probe, ProbeKind } from './schema.js';

export interface CustomCheckFacts {
  kind: ProbeKind;
  /** probeFingerprint() of the probe the agent ran. */
  probe: string;
  /** The file, key or value the probe looks at does not exist. */
  missing: boolean;
  /** null: the probe could not observe (reason in CheckResult.reason). */
  observed: Observed | null;
}

export type CustomVerdict = { verdict: 'pass' | 'fail' | 'unknown'; reasons: string[] };

/** Canonical JSON with sorted keys. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

/**
 * A short fingerprint of what the probe reads (everything but the pass/missing verdict
 * settings, which the collector applies itself): FNV-1a 32-bit twice, hex. Change
 * detection, not security: the report is signed by the device anyway.
 */
export function probeFingerprint(probe: Probe): string {
  const { pass: _p, missing: _m, ...reads } = probe as Probe & { pass?: unknown; missing?: unknown };
  const s = canonical(reads);
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    h1 = Math.imul(h1 ^ s.charCodeAt(i), 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ s.charCodeAt(s.length - 1 - i), 0x01000193) >>> 0;
  }
  return h1.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0');
}

/** The probe for a platform, or null when the check does not apply there. */
export function probeFor(check: CustomCheck, platform: string): Probe | null {
  return check.probes?.[platform as Platform] ?? null;
}

export function passConditionFor(check: CustomCheck, probe: Probe): Condition | null {
  return probe.pass ?? check.pass ?? DEFAULT_PASS[probe.kind] ?? null;
}

function asFacts(r: CheckResult): CustomCheckFacts | null {
  const f = r.evidence?.facts as Partial<CustomCheckFacts> | undefined;
  if (!f || typeof f !== 'object' || typeof f.kind !== 'string' || typeof f.probe !== 'string') return null;
  if (f.observed !== null && (typeof f.observed !== 'object' || Array.isArray(f.observed))) return null;
  return { kind: f.kind as ProbeKind, probe: f.probe, missing: f.missing === true, observed: (f.observed ?? null) as Observed | null };
}

/** Judge from an observation (used by the agent before it builds the result, and by judgeCustomResult). */
export function judgeObservation(check: CustomCheck, probe: Probe, facts: CustomCheckFacts, reason?: string): CustomVerdict {
  if (facts.kind !== probe.kind || facts.probe !== probeFingerprint(probe))
    return { verdict: 'unknown', reasons: ['result was collected under a different definition of this check; waiting for a new report'] };
  if (facts.missing) {
    const v = probe.missing ?? 'fail';
    return { verdict: v, reasons: v === 'pass' ? [] : [reason ?? 'the probed file, key or value does not exist'] };
  }
  if (!facts.observed) return { verdict: 'unknown', reasons: [reason ?? 'the probe could not observe the setting'] };
  const cond = passConditionFor(check, probe);
  if (!cond) return { verdict: 'unknown', reasons: ['the check has no pass condition'] };
  const r = evaluateCondition(cond, facts.observed);
  return r.holds ? { verdict: 'pass', reasons: [] } : { verdict: 'fail', reasons: r.failures.slice(0, 5) };
}

/** Judge a reported result for `check` on `platform`. */
export function judgeCustomResult(check: CustomCheck, platform: string, r: CheckResult): CustomVerdict {
  const probe = probeFor(check, platform);
  if (!probe) return { verdict: 'unknown', reasons: [`no probe for ${platform}`] };
  const facts = asFacts(r);
  if (!facts) return { verdict: 'unknown', reasons: [r.reason ?? (r.status === 'unknown' ? r.summary : 'result carries no observation')] };
  return judgeObservation(check, probe, facts, r.reason);
}
