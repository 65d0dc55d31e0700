/**
 * Judge one check result against the policy's thresholds, from the normalized facts the
 * probe reported. Pure: the agent runs it to tell the employee, the collector runs it
 * authoritatively. Where facts are absent (an older agent), the agent's own status stands.
 */
import { isBuiltinCheckId, type BuiltinCheckId, type CheckId, type Platform } from '../checks/ids.js';
import { customCheckOf } from '../checks/catalogue.js';
import { judgeCustomResult } from '../custom-checks/judge.js';
import type { CheckResult } from '../checks/result.js';
import type {
  AntivirusFacts,
  DiskEncryptionFacts,
  FirewallFacts,
  PatchLevelFacts,
  ScreenLockFacts,
  UsbStorageFacts,
} from '../checks/facts.js';
import type { CheckRule, Policy } from './schema.js';
import { judgePatchFacts } from './judge-patch.js';

export type Verdict = 'pass' | 'fail' | 'unknown';
export interface Judgement {
  verdict: Verdict;
  reasons: string[];
}

/** The rule for a check on a platform: the check's rule with the platform's overrides on top. */
export function effectiveRule(policy: Policy, id: CheckId, platform: string): CheckRule {
  if (!isBuiltinCheckId(id)) {
    // Custom checks carry the same settings at their top level (no per-platform overrides).
    const c = customCheckOf(policy, id);
    const steps = c?.remediation?.steps;
    return { required: c?.required ?? true, graceHours: c?.graceHours ?? 0, ...(c?.remediationUrl ? { remediationUrl: c.remediationUrl } : {}), ...(steps ? { remediation: { steps } } : {}) };
  }
  const base = policy.checks[id];
  const { platforms, controls: _c, ...rule } = base as typeof base & { platforms?: Record<string, CheckRule> };
  const over = platforms?.[platform as Platform] ?? {};
  return { required: true, graceHours: 0, ...rule, ...over };
}

export { compareVersions } from './judge-patch.js';

function facts<T>(r: CheckResult): Partial<T> | null {
  const f = r.evidence?.facts;
  return f && typeof f === 'object' ? (f as Partial<T>) : null;
}

const agentVerdict = (r: CheckResult): Judgement => ({
  verdict: r.status,
  reasons: r.status === 'pass' ? [] : [r.reason ?? r.summary],
});

/** What some judges need beyond the rule: the clock (end-of-support dates) and the policy's lifecycle entries. */
export interface JudgeContext {
  platform: string;
  now: Date;
  policy: Policy;
}

type Judge = (r: CheckResult, rule: CheckRule, ctx: JudgeContext) => Judgement;

const judges: Record<BuiltinCheckId, Judge> = {
  disk_encryption(r) {
    const f = facts<DiskEncryptionFacts>(r);
    if (!f || f.systemVolumeEncrypted === undefined) return agentVerdict(r);
    if (f.systemVolumeEncrypted === true) return { verdict: 'pass', reasons: [] };
    if (f.systemVolumeEncrypted === false) {
      const bad = (f.volumes ?? []).filter((v) => v.system && v.encrypted === false).map((v) => v.name);
      return { verdict: 'fail', reasons: [`system volume not protected${bad.length ? `: ${bad.join(', ')}` : ''}`] };
    }
    return { verdict: 'unknown', reasons: [r.reason ?? 'encryption state of the system volume could not be read'] };
  },
  firewall(r, rule) {
    const f = facts<FirewallFacts>(r);
    if (!f || f.inboundFiltered === undefined) return agentVerdict(r);
    const off = (f.profiles ?? []).filter((p) => p.enabled === false).map((p) => p.name);
    if (rule.requireAllProfiles && off.length) return { verdict: 'fail', reasons: [`firewall profile off: ${off.join(', ')}`] };
    if (f.inboundFiltered === true) return { verdict: 'pass', reasons: [] };
    if (f.inboundFiltered === false) return { verdict: 'fail', reasons: ['inbound traffic is not filtered'] };
    return { verdict: 'unknown', reasons: [r.reason ?? 'firewall state could not be read'] };
  },
  antivirus(r, rule) {
    const f = facts<AntivirusFacts>(r);
    if (!f || !Array.isArray(f.products)) return agentVerdict(r);
    if (f.products.length === 0) return r.status === 'unknown' ? agentVerdict(r) : { verdict: 'fail', reasons: ['no antivirus or EDR product found'] };
    const maxAge = rule.maxDefinitionAgeDays;
    const problems: string[] = [];
    for (const p of f.products) {
      const issues: string[] = [];
      if (p.running === false) issues.push('not running');
      if (p.realTimeProtection === false) issues.push('real-time protection off');
      if (p.definitionsUpToDate === false) issues.push('definitions out of date');
      if (maxAge !== undefined && p.definitionsAgeDays != null && p.definitionsAgeDays > maxAge)
        issues.push(`definitions ${Math.floor(p.definitionsAgeDays)} days old (max ${maxAge})`);
      // An antivirus whose signature freshness cannot be read is not proven protected; an EDR
      // updates itself and reports no signature age: its own tool's health answer counts.
      const freshnessUnknown = p.kind !== 'edr' && maxAge !== undefined && p.definitionsAgeDays == null && p.definitionsUpToDate == null;
      const confirm = typeof p.healthCommand === 'string' && p.healthCommand ? `; confirm with: ${p.healthCommand}` : '';
      if (p.kind === 'edr' && p.healthConfirmed === false) issues.push(`reported unhealthy by its own tool${confirm}`);
      const edrUnconfirmed = p.kind === 'edr' && p.healthConfirmed !== true && p.healthConfirmed !== false;
      if (issues.length === 0 && edrUnconfirmed && p.running !== false) {
        problems.push(`${p.name}: health not confirmed by the vendor's tool (only its process was seen)${confirm}`);
        continue;
      }
      if (issues.length === 0 && p.running !== null && !freshnessUnknown) return { verdict: 'pass', reasons: [] };
      if (issues.length === 0 && freshnessUnknown) {
        problems.push(`${p.name}: definition age unknown`);
        continue;
      }
      problems.push(`${p.name}: ${issues.length ? issues.join(', ') : 'state unknown'}`);
    }
    const allUnknown = f.products.every(
      (p) =>
        p.running === null ||
        (p.running && p.kind === 'edr' && p.healthConfirmed == null && p.realTimeProtection !== false && p.definitionsUpToDate !== false) ||
        (p.running && p.realTimeProtection !== false && p.definitionsAgeDays == null && p.definitionsUpToDate == null && !(p.kind === 'edr' && p.healthConfirmed === false)),
    );
    return { verdict: allUnknown ? 'unknown' : 'fail', reasons: problems };
  },
  patch_level(r, rule, ctx) {
    const f = facts<PatchLevelFacts>(r);
    if (!f) return agentVerdict(r);
    const j = judgePatchFacts(f, rule, { platform: ctx.platform, now: ctx.now, lifecycle: ctx.policy.lifecycle, agentReason: r.reason });
    return { verdict: j.verdict, reasons: j.reasons };
  },
  usb_storage(r, rule) {
    const f = facts<UsbStorageFacts>(r);
    if (!f || !f.policy) return agentVerdict(r);
    const need = rule.usb ?? 'read_only';
    if (need === 'any') return { verdict: 'pass', reasons: [] };
    if (f.policy === 'unknown') return { verdict: 'unknown', reasons: [r.reason ?? 'USB storage policy could not be read'] };
    if (f.policy === 'blocked') return { verdict: 'pass', reasons: [] };
    if (f.policy === 'read_only' && need === 'read_only') return { verdict: 'pass', reasons: [] };
    return { verdict: 'fail', reasons: [`USB mass storage is ${f.policy === 'read_only' ? 'read-only, policy requires blocked' : 'allowed'}`] };
  },
  screen_lock(r, rule) {
    const f = facts<ScreenLockFacts>(r);
    if (!f || f.lockEnabled === undefined) return agentVerdict(r);
    if (f.lockEnabled === null) return { verdict: 'unknown', reasons: [r.reason ?? 'screen lock settings could not be read'] };
    if (f.lockEnabled === false) return { verdict: 'fail', reasons: ['screen does not lock when idle'] };
    const max = rule.maxIdleSeconds;
    if (max !== undefined) {
      if (f.idleTimeoutSeconds == null || f.idleTimeoutSeconds === 0)
        return { verdict: 'fail', reasons: ['no idle timeout is set'] };
      if (f.idleTimeoutSeconds > max) return { verdict: 'fail', reasons: [`locks after ${f.idleTimeoutSeconds}s idle (max ${max}s)`] };
    }
    return { verdict: 'pass', reasons: [] };
  },
};

/** `now` is the observation time (evaluateDevice passes the report's); it dates end of support. */
export function judgeCheck(policy: Policy, platform: string, r: CheckResult, now: Date = new Date()): Judgement & { rule: CheckRule } {
  const rule = effectiveRule(policy, r.id, platform);
  // The agent could not determine the state: no threshold can turn that into pass.
  if (r.status === 'unknown' && r.evidence?.facts === undefined) return { ...agentVerdict(r), rule };
  if (!isBuiltinCheckId(r.id)) {
    const custom = customCheckOf(policy, r.id);
    // A result for a check the policy no longer declares proves nothing.
    if (!custom) return { verdict: 'unknown', reasons: [`check ${r.id} is not in the policy in force`], rule };
    return { ...judgeCustomResult(custom, platform, r), rule };
  }
  return { ...judges[r.id](r, rule, { platform, now, policy }), rule };
}
