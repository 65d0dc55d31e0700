/**
 * Which signed release an agent should run (pure; the agent decides with it, the collector
 * uses it to show each device's target version): among the verified targets for this
 * build target, the pinned version if the rollout pins one, else the highest version in the
 * device's channel (`beta` also takes stable releases), and only when the device is inside
 * the staged percentage and the rollout is not paused.
 */
import { inRollout, type UpdateRollout } from './updates.js';

export interface AgentTarget {
  path: string;
  version: string;
  channel: 'stable' | 'beta';
  target: string;
  /** `gzip`: the file is the compressed executable (agent-targets.ts); absent: the executable. */
  encoding?: 'gzip';
}

/** Compares MAJOR.MINOR.PATCH[-pre] (a prerelease sorts before its release). */
export function compareVersions(a: string, b: string): number {
  const [ma, pa] = a.split('-', 2);
  const [mb, pb] = b.split('-', 2);
  const x = ma.split('.').map(Number);
  const y = mb.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  if (pa === pb) return 0;
  if (pa === undefined) return 1;
  if (pb === undefined) return -1;
  return pa < pb ? -1 : 1;
}

export type Choice = { action: 'update'; to: AgentTarget } | { action: 'stay'; reason: string };

export function chooseRelease(targets: AgentTarget[], o: { target: string; current: string; deviceId: string; rollout: UpdateRollout }): Choice {
  const r = o.rollout;
  if (r.paused) return { action: 'stay', reason: 'rollout paused' };
  const mine = targets.filter((t) => t.target === o.target);
  if (r.pinnedVersion) {
    const pin = mine.find((t) => t.version === r.pinnedVersion);
    if (!pin) return { action: 'stay', reason: `pinned version ${r.pinnedVersion} has no signed artefact for ${o.target}` };
    return pin.version === o.current ? { action: 'stay', reason: `at pinned version ${o.current}` } : { action: 'update', to: pin };
  }
  const channel = r.channel ?? 'stable';
  const eligible = mine.filter((t) => channel === 'beta' || t.channel === 'stable').sort((a, b) => compareVersions(b.version, a.version));
  const best = eligible[0];
  if (!best || compareVersions(best.version, o.current) <= 0) return { action: 'stay', reason: `up to date (${o.current})` };
  if (!inRollout(o.deviceId, r.percentage ?? 100)) return { action: 'stay', reason: `outside the first ${r.percentage}% of the staged rollout` };
  return { action: 'update', to: best };
}
