/**
 * The fleet's agent versions and update state (GET /api/v1/updates, the Updates page):
 * versions with counts, the rollout in force, each device's current and target version with
 * the result of its last attempt, and the recent failures and rollbacks.
 *
 * A device's target is computed here with the agent's own choice (release-choice.ts) over
 * the signed targets in the repository this collector serves and the device's rollout
 * (policy + groups), the hold left out: a held device shows the version it would get.
 */
import type { Db } from '../db/types.js';
import type { PolicyStore } from '../policy/store.js';
import type { UpdateRollout } from '#shared/policy/updates.js';
import { chooseRelease, compareVersions, type AgentTarget } from '#shared/policy/release-choice.js';
import { listAgentTargets } from '#shared/policy/agent-targets.js';
import { readTargets } from './repo.js';
import { readHold, type RolloutHold } from './hold.js';

/**
 * A device's update result, for people:
 *   updated      its last attempt installed the version it runs (committed)
 *   up-to-date   it runs its target version
 *   pending      it has a newer target and will take it at its next check (or is restarting)
 *   held         it has a newer target but the rollout is paused
 *   staged       a newer release exists but the device is outside the staged percentage
 *   failed       its last attempt was refused (metadata, download, or this collector has no update repository)
 *   rolled-back  its last attempt's new version failed its trial and the old one kept running
 *   unknown      no update status from the agent and no signed release to compare with
 */
export type UpdateResult = 'updated' | 'up-to-date' | 'pending' | 'held' | 'staged' | 'failed' | 'rolled-back' | 'unknown';
export const UPDATE_RESULTS: readonly UpdateResult[] = ['failed', 'rolled-back', 'held', 'pending', 'staged', 'updated', 'up-to-date', 'unknown'];

export interface DeviceUpdateRow {
  deviceId: string;
  hostname: string;
  platform: string;
  /** Build target (`linux-x64`), null when the inventory names no architecture. */
  target: string | null;
  currentVersion: string | null;
  targetVersion: string | null;
  result: UpdateResult;
  /** Why (the agent's reason for a failure, the choice's reason otherwise). */
  detail: string | null;
  lastAttempt: { state: string; at: string; from: string | null; to: string | null; reason: string | null } | null;
}

export interface FleetUpdates {
  rollout: UpdateRollout & { hold: RolloutHold | null };
  /** Signed releases in the repository, newest first. */
  releases: { version: string; channel: 'stable' | 'beta'; targets: string[] }[];
  versions: { version: string | null; devices: number }[];
  counts: Record<UpdateResult, number>;
  total: number;
  devices: DeviceUpdateRow[];
  /** The latest refused and rolled-back attempts (history), newest first. */
  failures: { deviceId: string; hostname: string; state: string; at: string; from: string | null; to: string | null; reason: string | null }[];
}

/** Node's arch names; systeminformation and some OSes say x86_64/aarch64. */
function buildTarget(platform: string, arch: string | null): string | null {
  if (!arch) return null;
  const a = arch === 'x86_64' || arch === 'amd64' ? 'x64' : arch === 'aarch64' ? 'arm64' : arch;
  return `${platform === 'win32' ? 'win' : platform}-${a}`;
}

/** The repository's agent targets (custom fields of the newest targets.json); [] without a repository. */
export function signedAgentTargets(repo: string): AgentTarget[] {
  let t;
  try {
    t = readTargets(repo);
  } catch {
    return [];
  }
  // Listed as current agents list them (the gzip entry wins), so the target shown is the one taken.
  return listAgentTargets(t?.signed.targets ?? {}, { acceptGzip: true });
}

type Row = { id: string; hostname: string; platform: string; agent_version: string | null; arch: string | null; groups: string[] | null; state: string | null; from_version: string | null; to_version: string | null; reason: string | null; attempted_at: Date | null };

/** Classify one device (pure). */
export function classify(o: { targets: AgentTarget[]; rollout: UpdateRollout; held: boolean; deviceId: string; target: string | null; platform: string; current: string | null; last: { state: string; from: string | null; to: string | null; reason: string | null } | null }): { targetVersion: string | null; result: UpdateResult; detail: string | null } {
  const { rollout, last, current } = o;
  // Without an architecture any of the platform's targets will do: a release ships them together.
  const tgt = o.target ?? o.targets.find((t) => t.target.startsWith(`${o.platform === 'win32' ? 'win' : o.platform}-`))?.target ?? null;
  let targetVersion: string | null = null;
  let why: string | null = null;
  let staged = false;
  if (tgt && current && o.targets.some((t) => t.target === tgt)) {
    const c = chooseRelease(o.targets, { target: tgt, current, deviceId: o.deviceId, rollout: { ...rollout, paused: false } });
    if (c.action === 'update') targetVersion = c.to.version;
    else {
      targetVersion = current;
      why = c.reason;
      staged = c.reason.startsWith('outside');
    }
  }
  if (last?.state === 'refused') return { targetVersion, result: 'failed', detail: last.reason };
  if (last?.state === 'rolled-back') return { targetVersion, result: 'rolled-back', detail: last.reason };
  if (targetVersion === null) return { targetVersion, result: last?.state === 'committed' && last.to === current ? 'updated' : 'unknown', detail: o.targets.length ? `no signed release for ${tgt ?? o.platform}` : 'no signed releases in the update repository' };
  if (targetVersion !== current) {
    if (last?.state === 'swapped' && last.to === targetVersion) return { targetVersion, result: 'pending', detail: `installed ${targetVersion}; waiting for its first report` };
    return o.held ? { targetVersion, result: 'held', detail: 'rollout paused' } : { targetVersion, result: 'pending', detail: last ? null : 'no update status from this agent yet' };
  }
  if (staged) return { targetVersion, result: 'staged', detail: why };
  if (last?.state === 'committed' && last.to === current) return { targetVersion, result: 'updated', detail: `from ${last.from ?? '?'}` };
  return { targetVersion, result: 'up-to-date', detail: null };
}

export async function fleetUpdates(db: Db, policy: PolicyStore, repo: string, o: { result?: UpdateResult; limit?: number; offset?: number } = {}): Promise<FleetUpdates> {
  const targets = signedAgentTargets(repo);
  const hold = await readHold(db);
  const held = hold?.paused ?? false;
  const r = await db.query<Row>(
    `SELECT d.id, d.hostname, d.platform, d.agent_version, d.inventory->'os'->>'arch' AS arch,
            ARRAY(SELECT m.group_name FROM device_group_members m WHERE m.device_id = d.id AND m.until IS NULL ORDER BY m.group_name) AS groups,
            s.state, s.from_version, s.to_version, s.reason, s.attempted_at
       FROM devices d LEFT JOIN device_update_status s ON s.device_id = d.id
      WHERE d.revoked_at IS NULL ORDER BY d.hostname, d.id`,
  );
  const rollouts = new Map<string, UpdateRollout>();
  const counts = Object.fromEntries(UPDATE_RESULTS.map((k) => [k, 0])) as Record<UpdateResult, number>;
  const versions = new Map<string | null, number>();
  const rows: DeviceUpdateRow[] = [];
  for (const d of r.rows) {
    const key = `${d.platform}\u0000${(d.groups ?? []).join('\u0000')}`;
    let rollout = rollouts.get(key);
    if (!rollout) rollouts.set(key, (rollout = policy.agentPolicy(d.platform, d.groups ?? []).updates ?? {}));
    const last = d.state ? { state: d.state, from: d.from_version, to: d.to_version, reason: d.reason, at: new Date(d.attempted_at!).toISOString() } : null;
    const target = buildTarget(d.platform, d.arch);
    const c = classify({ targets, rollout, held: held || !!rollout.paused, deviceId: d.id, target, platform: d.platform, current: d.agent_version, last });
    counts[c.result]++;
    versions.set(d.agent_version, (versions.get(d.agent_version) ?? 0) + 1);
    rows.push({ deviceId: d.id, hostname: d.hostname, platform: d.platform, target, currentVersion: d.agent_version, ...c, lastAttempt: last });
  }
  // Problems first, then by hostname (the query's order).
  const rank = (x: UpdateResult) => UPDATE_RESULTS.indexOf(x);
  const filtered = (o.result ? rows.filter((x) => x.result === o.result) : rows).sort((a, b) => rank(a.result) - rank(b.result));
  const f = await db.query<{ device_id: string; hostname: string; state: string; attempted_at: Date; from_version: string | null; to_version: string | null; reason: string | null }>(
    // The newest failure of each device (one device's flood of refusals is one row, S4-A2).
    `SELECT * FROM (SELECT DISTINCT ON (a.device_id) a.device_id, d.hostname, a.state, a.attempted_at, a.from_version, a.to_version, a.reason
        FROM update_attempts a JOIN devices d ON d.id = a.device_id
       WHERE a.state IN ('refused', 'rolled-back') ORDER BY a.device_id, a.attempted_at DESC) f ORDER BY f.attempted_at DESC LIMIT 50`,
  );
  const releases = new Map<string, { version: string; channel: 'stable' | 'beta'; targets: string[] }>();
  for (const t of targets) {
    const x = releases.get(t.version) ?? { version: t.version, channel: t.channel, targets: [] };
    x.targets.push(t.target);
    releases.set(t.version, x);
  }
  const base = policy.agentPolicy().updates ?? {};
  const { paused: _p, ...written } = base;
  return {
    rollout: { ...written, ...(held || policy.policy.updates?.paused ? { paused: true } : {}), hold },
    releases: [...releases.values()].sort((a, b) => compareVersions(b.version, a.version)),
    versions: [...versions].map(([version, devices]) => ({ version, devices })).sort((a, b) => b.devices - a.devices || compareVersions(b.version ?? '0', a.version ?? '0')),
    counts,
    total: rows.length,
    devices: filtered.slice(o.offset ?? 0, (o.offset ?? 0) + (o.limit ?? 200)),
    failures: f.rows.map((x) => ({ deviceId: x.device_id, hostname: x.hostname, state: x.state, at: new Date(x.attempted_at).toISOString(), from: x.from_version, to: x.to_version, reason: x.reason })),
  };
}
