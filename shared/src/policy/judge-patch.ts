/**
 * patch_level judged from its facts, shared by the agent (its own verdict) and the
 * collector (authoritative). Three things must all hold for a pass:
 * 1. the OS still gets security updates (lifecycle table + verified ESM/ESU), unless the
 *    policy says `requireSupportedOs: false`; a release the table does not know is unknown;
 * 2. the OS version is at least the floor for its family (`minOsVersionBy`, else `minOsVersion`);
 * 3. pending updates are within the thresholds. Without security classification the
 *    security count is unknown, not zero: then only `withoutSecurityMetadata` can pass it.
 */
import type { PatchLevelFacts } from '../checks/facts.js';
import { assessLifecycle, type LifecycleAssessment } from '../lifecycle/lookup.js';
import type { LifecyclePolicy } from '../lifecycle/types.js';
import type { CheckRule } from './schema.js';

export interface PatchJudgeContext {
  platform: string;
  now: Date;
  lifecycle?: LifecyclePolicy;
  /** The agent's reason for missing facts, quoted when nothing better is known. */
  agentReason?: string;
}

export interface PatchJudgement {
  verdict: 'pass' | 'fail' | 'unknown';
  /** Why it fails (verdict fail) or what is unknown (verdict unknown); empty on pass. */
  reasons: string[];
  lifecycle: LifecycleAssessment;
}

/** Compare dotted numeric versions: -1, 0, 1. Non-numeric parts compare as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.\-+ ]/).map((x) => parseInt(x, 10) || 0);
  const pb = b.split(/[.\-+ ]/).map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

const known = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n);

export function judgePatchFacts(f: Partial<PatchLevelFacts>, rule: CheckRule, ctx: PatchJudgeContext): PatchJudgement {
  const fails: string[] = [];
  const unknowns: string[] = [];
  const lifecycle = assessLifecycle(ctx.platform, f, ctx.now, ctx.lifecycle);
  if (rule.requireSupportedOs !== false) {
    if (lifecycle.state === 'ended') fails.push(lifecycle.summary);
    else if (lifecycle.state === 'unknown') unknowns.push(lifecycle.summary);
  }

  const family = lifecycle.release?.family;
  const floor = (family && rule.minOsVersionBy?.[family]) || rule.minOsVersion;
  if (floor) {
    if (typeof f.osVersion === 'string' && f.osVersion) {
      if (compareVersions(f.osVersion, floor) < 0) fails.push(`OS ${f.osVersion} is older than the minimum ${floor}${family && rule.minOsVersionBy?.[family] ? ` for ${family}` : ''}`);
    } else unknowns.push('the OS version could not be read, so the minimum version cannot be checked');
  }

  const pending = known(f.pendingUpdates) ? f.pendingUpdates : null;
  // Nothing pending at all: there is nothing to classify, so no security update is pending either.
  const security = known(f.pendingSecurityUpdates) ? f.pendingSecurityUpdates : pending === 0 ? 0 : null;
  if (rule.maxPendingSecurityUpdates !== undefined) {
    if (security !== null) {
      if (security > rule.maxPendingSecurityUpdates) fails.push(`${security} pending security update(s) (max ${rule.maxPendingSecurityUpdates})`);
    } else if (pending === null) {
      unknowns.push(ctx.agentReason ?? 'pending updates could not be determined');
    } else {
      const from = typeof f.packageManager === 'string' && f.packageManager ? f.packageManager : 'the package manager';
      const w = rule.withoutSecurityMetadata;
      const head = `${pending} pending update(s) and no security classification from ${from}`;
      if (!w || (w.maxPendingUpdates === undefined && w.maxOldestPendingDays === undefined && w.maxDaysSinceUpdate === undefined)) {
        unknowns.push(`${head}: the security count is unknown and the policy sets no thresholds for this case (withoutSecurityMetadata)`);
      } else {
        if (w.maxPendingUpdates !== undefined && pending > w.maxPendingUpdates) fails.push(`${head}: more than the ${w.maxPendingUpdates} allowed`);
        if (w.maxOldestPendingDays !== undefined) {
          if (!known(f.oldestPendingDays)) unknowns.push(`${head}: the age of the oldest pending update is unknown`);
          else if (f.oldestPendingDays > w.maxOldestPendingDays) fails.push(`oldest pending update is ${Math.floor(f.oldestPendingDays)} days old (max ${w.maxOldestPendingDays})`);
        }
        if (w.maxDaysSinceUpdate !== undefined) {
          if (!known(f.daysSinceLastUpdate)) unknowns.push(`${head}: the date of the last update is unknown`);
          else if (f.daysSinceLastUpdate > w.maxDaysSinceUpdate) fails.push(`last update ${Math.floor(f.daysSinceLastUpdate)} days ago (max ${w.maxDaysSinceUpdate} without security metadata)`);
        }
      }
    }
  }
  if (rule.maxPendingUpdates !== undefined && pending !== null && pending > rule.maxPendingUpdates) fails.push(`${pending} pending update(s) (max ${rule.maxPendingUpdates})`);
  if (rule.maxDaysSinceUpdate !== undefined && known(f.daysSinceLastUpdate) && f.daysSinceLastUpdate > rule.maxDaysSinceUpdate)
    fails.push(`last update ${Math.floor(f.daysSinceLastUpdate)} days ago (max ${rule.maxDaysSinceUpdate})`);
  if (rule.requireAutoUpdates && f.autoUpdatesEnabled === false) fails.push('automatic updates are off');
  if (fails.length) return { verdict: 'fail', reasons: fails, lifecycle };
  if (unknowns.length) return { verdict: 'unknown', reasons: unknowns, lifecycle };
  return { verdict: 'pass', reasons: [], lifecycle };
}
