/**
 * A device's effective policy: the policy with the overrides of the device's groups applied
 * in the documented precedence (groups.ts), flattened for the device's platform. Pure: the
 * collector evaluates with it at ingest and re-evaluation, the evidence verifier replays with
 * it, and the device page explains it ("why is this required here?").
 *
 *   resolvePolicy(policy, platform, groups) → Policy   (same object when no group applies)
 *   explainPolicy(policy, platform, groups) → which layer set each setting of each check
 *   groupProblems(policy)                   → what the schema cannot say about `groups:`
 *   groupsAt(windows, at)                   → the groups a device was in at a moment
 */
import { BUILTIN_CHECK_IDS, isBuiltinCheckId, type BuiltinCheckId } from '../checks/ids.js';
import { policyCheckIds } from '../checks/catalogue.js';
import type { CheckRule, Policy } from './schema.js';
import type { GroupCheckOverride, PolicyGroup } from './groups.js';
import { DEFAULT_OWNER_GRACE_HOURS } from './people.js';

/** The settings a group may override on a custom check (it has no thresholds or platforms). */
const CUSTOM_OVERRIDABLE = ['required', 'graceHours', 'remediationUrl'] as const;

/**
 * One stay of a device in a group (a row of device_group_members, a line of the bundle's
 * group-memberships.csv): in the group from `since` (inclusive) to `until` (exclusive), both
 * epoch milliseconds; `until` is Infinity while the device is still a member.
 */
export interface MembershipWindow {
  group: string;
  since: number;
  until: number;
}

/**
 * The groups a device was in at `at` (sorted, no repeats): the windows with since <= at < until.
 * The one reading of membership history: the collector judges each report under the groups of
 * its collection time with it, and the evidence verifier replays with it, so both agree.
 */
export function groupsAt(windows: readonly MembershipWindow[] | undefined, at: Date | number): string[] {
  const t = typeof at === 'number' ? at : at.getTime();
  return [...new Set((windows ?? []).filter((w) => w.since <= t && t < w.until).map((w) => w.group))].sort();
}

/** The policy's groups the device is in, in policy order (the order overrides apply in). */
export function appliedGroups(policy: Policy, groups: readonly string[] | undefined): PolicyGroup[] {
  if (!policy.groups?.length || !groups?.length) return [];
  return policy.groups.filter((g) => groups.includes(g.name));
}

const stripRule = (o: GroupCheckOverride | undefined): CheckRule => {
  if (!o) return {};
  const { platforms: _p, ...rule } = o;
  return rule;
};

/** One layer of settings for a check, lowest first, with where it comes from. */
interface Layer {
  source: string;
  rule: Record<string, unknown>;
}

function layersFor(policy: Policy, id: string, platform: string, applied: readonly PolicyGroup[]): Layer[] {
  const layers: Layer[] = [];
  if (isBuiltinCheckId(id)) {
    const base = policy.checks[id] as Policy['checks'][BuiltinCheckId] & { platforms?: Record<string, CheckRule> };
    const { platforms, controls: _c, ...rule } = base;
    layers.push({ source: 'built-in default', rule: { required: true, graceHours: 0 } });
    layers.push({ source: 'policy', rule });
    if (platforms?.[platform]) layers.push({ source: `policy (${platform})`, rule: platforms[platform] });
  } else {
    const c = policy.customChecks?.find((x) => x.id === id);
    layers.push({ source: 'built-in default', rule: { required: true, graceHours: 0 } });
    if (c) layers.push({ source: 'policy', rule: Object.fromEntries(CUSTOM_OVERRIDABLE.filter((k) => c[k] !== undefined).map((k) => [k, c[k]])) });
  }
  for (const g of applied) {
    const o = g.checks?.[id];
    if (!o) continue;
    const rule = stripRule(o);
    const own = isBuiltinCheckId(id) ? rule : Object.fromEntries(CUSTOM_OVERRIDABLE.filter((k) => rule[k] !== undefined).map((k) => [k, rule[k]]));
    layers.push({ source: `group ${g.name}`, rule: own });
    const p = isBuiltinCheckId(id) ? o.platforms?.[platform as 'linux'] : undefined;
    if (p) layers.push({ source: `group ${g.name} (${platform})`, rule: p });
  }
  return layers;
}

const merge = (layers: Layer[]) => Object.assign({}, ...layers.map((l) => l.rule)) as CheckRule;

/**
 * The policy this device is judged by. Built-in checks a group touches are flattened for the
 * platform (their `platforms` folded in), so `effectiveRule` reads the merged rule; other
 * checks and a device in no listed group keep the policy object as it is.
 */
export function resolvePolicy(policy: Policy, platform: string, groups: readonly string[] | undefined): Policy {
  const applied = appliedGroups(policy, groups);
  if (!applied.length) return policy;
  const checks = { ...policy.checks };
  for (const id of BUILTIN_CHECK_IDS) {
    if (!applied.some((g) => g.checks?.[id])) continue;
    const controls = policy.checks[id].controls;
    checks[id] = { ...merge(layersFor(policy, id, platform, applied)), ...(controls ? { controls } : {}) };
  }
  const customChecks = policy.customChecks?.map((c) =>
    applied.some((g) => g.checks?.[c.id]) ? { ...c, ...merge(layersFor(policy, c.id, platform, applied).slice(1)) } : c,
  );
  const out: Policy = { ...policy, checks, ...(customChecks ? { customChecks } : {}) };
  for (const g of applied) {
    if (g.intervalSec !== undefined) out.intervalSec = g.intervalSec;
    if (g.staleAfterHours !== undefined) out.staleAfterHours = g.staleAfterHours;
    if (g.people) out.people = { ...out.people, ...g.people };
  }
  return out;
}

/** A setting's value and the layer that set it (`built-in default`, `policy`, `policy (linux)`, `group servers`, `group servers (linux)`). */
export interface ExplainedSetting {
  value: unknown;
  source: string;
}

export interface PolicyExplanation {
  /** The device's groups the policy has overrides for, in the order they apply. */
  groups: string[];
  /** Per check id: each setting in force and who set it. */
  checks: Record<string, Record<string, ExplainedSetting>>;
  /** intervalSec, staleAfterHours, ownerRequired, ownerGraceHours. */
  device: Record<string, ExplainedSetting>;
}

/** "Why is this required here?": for each setting in force, the last layer that set it. */
export function explainPolicy(policy: Policy, platform: string, groups: readonly string[] | undefined): PolicyExplanation {
  const applied = appliedGroups(policy, groups);
  const checks: PolicyExplanation['checks'] = {};
  for (const id of policyCheckIds(policy)) {
    const out: Record<string, ExplainedSetting> = {};
    for (const l of layersFor(policy, id, platform, applied)) for (const [k, v] of Object.entries(l.rule)) if (v !== undefined) out[k] = { value: v, source: l.source };
    checks[id] = out;
  }
  const device: PolicyExplanation['device'] = {
    intervalSec: { value: policy.intervalSec, source: 'policy' },
    staleAfterHours: { value: policy.staleAfterHours, source: 'policy' },
    ownerRequired: { value: policy.people?.ownerRequired ?? false, source: policy.people?.ownerRequired === undefined ? 'built-in default' : 'policy' },
    ownerGraceHours: { value: policy.people?.ownerGraceHours ?? DEFAULT_OWNER_GRACE_HOURS, source: policy.people?.ownerGraceHours === undefined ? 'built-in default' : 'policy' },
  };
  for (const g of applied) {
    const src = `group ${g.name}`;
    if (g.intervalSec !== undefined) device.intervalSec = { value: g.intervalSec, source: src };
    if (g.staleAfterHours !== undefined) device.staleAfterHours = { value: g.staleAfterHours, source: src };
    if (g.people?.ownerRequired !== undefined) device.ownerRequired = { value: g.people.ownerRequired, source: src };
    if (g.people?.ownerGraceHours !== undefined) device.ownerGraceHours = { value: g.people.ownerGraceHours, source: src };
  }
  return { groups: applied.map((g) => g.name), checks, device };
}

/** Problems the schema cannot express: unique names, known check ids, settings a custom check has. */
export function groupProblems(policy: Policy): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const known = new Set<string>(policyCheckIds(policy));
  const seen = new Set<string>();
  (policy.groups ?? []).forEach((g, i) => {
    if (seen.has(g.name)) problems.push({ path: `/groups/${i}/name`, message: `group ${g.name} is listed twice (merge its overrides into one entry)` });
    seen.add(g.name);
    for (const [id, o] of Object.entries(g.checks ?? {})) {
      const path = `/groups/${i}/checks/${id}`;
      if (!known.has(id)) problems.push({ path, message: `unknown check ${id} (a built-in check or a custom check declared in customChecks)` });
      else if (!isBuiltinCheckId(id)) {
        const extra = Object.keys(o).filter((k) => !(CUSTOM_OVERRIDABLE as readonly string[]).includes(k));
        if (extra.length) problems.push({ path, message: `a custom check's group override may set only ${CUSTOM_OVERRIDABLE.join(', ')} (not ${extra.join(', ')})` });
      }
    }
  });
  return problems;
}
