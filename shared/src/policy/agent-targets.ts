/**
 * The agent artefacts a signed targets.json lists (TUF targets' `custom` fields), one per
 * release version and build target. Since session 4 a release signs each artefact twice:
 *  - `kind: "posture-agent"`: the executable itself (what agents up to 0.1.x download; they
 *    list only this kind, so they can never pick the compressed file and try to run gzip);
 *  - `kind: "posture-agent-gzip"`: the same executable gzip-compressed (RFC 1952), with the
 *    executable's own length and SHA-256 in `custom.uncompressed`. TUF checks the compressed
 *    bytes' length and hash; the agent checks the decompressed ones against `uncompressed`.
 * An agent that can decompress prefers the gzip entry of a (version, target); the collector and
 * the simulator list the same way, so the release the dashboard shows is the one agents take.
 * Used by agent/src/update/updater.ts, server/src/updates/fleet.ts, scripts/simulate/updater.ts.
 */
import type { AgentTarget } from './release-choice.js';

export const AGENT_KIND = 'posture-agent';
export const AGENT_GZIP_KIND = 'posture-agent-gzip';

/** What `custom.uncompressed` of a gzip target must hold: bytes and lowercase hex SHA-256. */
export interface UncompressedInfo {
  length: number;
  sha256: string;
}

/**
 * Upper bound for a signed uncompressed length (1 GiB): the agent executables are ≈ 73-98 MiB,
 * and a larger value is a corrupt or hostile target, not an agent.
 */
export const MAX_UNCOMPRESSED_BYTES = 1024 * 1024 * 1024;

/**
 * `custom.uncompressed` checked, or the reason it cannot be used (missing, not an object,
 * length not a positive integer ≤ MAX_UNCOMPRESSED_BYTES, sha256 not 64 lowercase hex digits).
 */
export function parseUncompressed(custom: unknown): { ok: true; value: UncompressedInfo } | { ok: false; reason: string } {
  const u = (custom as { uncompressed?: unknown } | null | undefined)?.uncompressed as Partial<UncompressedInfo> | undefined;
  if (!u || typeof u !== 'object') return { ok: false, reason: 'custom.uncompressed is missing' };
  if (typeof u.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(u.sha256)) return { ok: false, reason: 'custom.uncompressed.sha256 is missing or not a SHA-256' };
  if (typeof u.length !== 'number' || !Number.isSafeInteger(u.length) || u.length <= 0 || u.length > MAX_UNCOMPRESSED_BYTES)
    return { ok: false, reason: `custom.uncompressed.length is missing or outside 1..${MAX_UNCOMPRESSED_BYTES}` };
  return { ok: true, value: { length: u.length, sha256: u.sha256 } };
}

/**
 * One AgentTarget per (version, target) from targets.json's `signed.targets`. With
 * `acceptGzip` a gzip entry wins over the plain one of the same (version, target) and is
 * marked `encoding: "gzip"` (its `uncompressed` is checked at download, so a gzip entry
 * without it is chosen and then refused, never silently swapped for another file). Entries of
 * other kinds, or without a string version and target, are ignored.
 */
export function listAgentTargets(targets: Record<string, { custom?: unknown }>, o: { acceptGzip: boolean }): AgentTarget[] {
  const byKey = new Map<string, AgentTarget>();
  for (const [path, info] of Object.entries(targets)) {
    const c = (info.custom ?? {}) as Record<string, unknown>;
    const gzip = c.kind === AGENT_GZIP_KIND;
    if (!(c.kind === AGENT_KIND || (gzip && o.acceptGzip))) continue;
    if (typeof c.version !== 'string' || typeof c.target !== 'string') continue;
    const key = `${c.version}\u0000${c.target}`;
    const t: AgentTarget = { path, version: c.version, target: c.target, channel: c.channel === 'beta' ? 'beta' : 'stable', ...(gzip ? { encoding: 'gzip' as const } : {}) };
    const prev = byKey.get(key);
    if (!prev || (gzip && !prev.encoding)) byKey.set(key, t);
  }
  return [...byKey.values()];
}
