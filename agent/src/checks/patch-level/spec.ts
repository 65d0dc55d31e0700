/**
 * patch_level: the OS still gets security updates (lifecycle table, verified ESM/ESU),
 * its version meets the floor, and pending (security) updates are within the thresholds.
 * The verdict comes from the same pure judge the collector runs (shared/src/policy/judge-patch.ts),
 * with the agent's default thresholds.
 */
import type { CheckRule } from '../../../../shared/src/policy/schema.js';
import { judgePatchFacts } from '../../../../shared/src/policy/judge-patch.js';
import type { CheckSpec, Thresholds } from '../types.js';
import { num } from '../types.js';
import { linuxPatchSteps } from './steps.js';

/** The agent's thresholds as a policy rule (the collector uses the real policy). */
export function ruleFromThresholds(t: Thresholds): CheckRule {
  const rule: CheckRule = {
    maxPendingSecurityUpdates: num(t, 'maxPendingSecurityUpdates', 0),
    maxDaysSinceUpdate: num(t, 'maxDaysSinceUpdate', 30),
    requireAutoUpdates: t.requireAutoUpdates === true,
    requireSupportedOs: t.requireSupportedOs !== false,
  };
  if (typeof t.maxPendingUpdates === 'number') rule.maxPendingUpdates = t.maxPendingUpdates;
  if (typeof t.minOsVersion === 'string') rule.minOsVersion = t.minOsVersion;
  return rule;
}

export const spec: CheckSpec<'patch_level'> = {
  id: 'patch_level',
  title: 'OS patch level',
  defaults: { maxPendingSecurityUpdates: 0, maxDaysSinceUpdate: 30, requireAutoUpdates: false },
  remediation: {
    darwin: [
      'Open System Settings → General → Software Update and install all updates, then restart.',
      'Turn on Automatic Updates (including "Install Security Responses and system files").',
    ],
    win32: [
      'Open Settings → Windows Update → Check for updates, install everything, then restart.',
      'If updates are paused, choose "Resume updates".',
    ],
    linux: linuxPatchSteps(null),
  },
  steps: (obs, platform) => (platform === 'linux' ? linuxPatchSteps(obs.facts) : null),
  evaluate(obs, t, ctx) {
    const f = obs.facts;
    const os = [f.osName, f.osVersion].filter(Boolean).join(' ') || 'OS';
    const j = judgePatchFacts(f, ruleFromThresholds(t), { platform: ctx?.platform ?? 'linux', now: ctx?.now ?? new Date(), agentReason: obs.reason });
    const pending = f.pendingUpdates != null ? `, ${f.pendingUpdates} pending update(s)` : '';
    if (j.verdict === 'fail') return { status: 'fail', summary: `${os}: ${j.reasons.join('; ')}${pending}` };
    if (j.verdict === 'unknown') return { status: 'unknown', summary: `${os}: ${j.reasons.join('; ')}` };
    const support = j.lifecycle.state === 'extended' || (j.lifecycle.state === 'supported' && j.lifecycle.end) ? `; ${j.lifecycle.summary}` : '';
    return { status: 'pass', summary: `${os}: no pending security updates${pending}${support}` };
  },
};
