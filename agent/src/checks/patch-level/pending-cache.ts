/**
 * Memo for package-manager answers ("what is pending"): they depend only on the package
 * database and the downloaded metadata, so the answer is keyed by the mtime and size of
 * those paths and kept in memory (the daemon's next cycle) and on disk under the probe
 * context's cacheDir (the first cycle after a restart, and each `posture-agent check`).
 * Only successful answers are stored: a failure is retried next time.
 */
import { readCache, writeCache } from '../cache.js';
import type { ProbeContext } from '../types.js';
import type { Pending } from './parse-linux.js';

/** `transient`: a partial answer (e.g. the security query timed out) that must not be stored. */
export type PendingResult = { pending: Pending | null; error?: string; transient?: boolean; cached?: 'memory' | 'disk' };

const memory = new Map<string, { key: string; value: PendingResult }>();

/** mtime and size: either changes when the package manager rewrites the file or directory. */
async function stamp(ctx: ProbeContext, path: string): Promise<string> {
  const s = await ctx.fs.stat(path);
  return s.ok ? `${s.value.mtimeMs}:${s.value.size}` : '-';
}

/** The inputs' fingerprint; a leading version makes old cache files miss after a parser change. */
export async function fingerprint(ctx: ProbeContext, paths: string[]): Promise<string> {
  const stamps = await Promise.all(paths.map((p) => stamp(ctx, p)));
  return `v2|${ctx.root}|${paths.map((p, i) => `${p}=${stamps[i]}`).join('|')}`;
}

export async function memoPending(
  ctx: ProbeContext,
  name: string,
  inputs: string[],
  compute: () => Promise<PendingResult>,
): Promise<PendingResult> {
  const key = await fingerprint(ctx, inputs);
  const hit = memory.get(name);
  if (hit && hit.key === key) return { ...hit.value, cached: 'memory' };
  const stored = await readCache<PendingResult>(ctx.cacheDir, `pending-${name}`, key);
  if (stored && stored.pending && typeof stored.pending.pending === 'number') {
    memory.set(name, { key, value: stored });
    return { ...stored, cached: 'disk' };
  }
  const res = await compute();
  if (res.pending && !res.transient) {
    memory.set(name, { key, value: res });
    await writeCache(ctx.cacheDir, `pending-${name}`, key, res);
  }
  return res;
}

/** Forget the in-memory entries (tests; a process that wants to re-read the disk). */
export function clearPendingMemory(): void {
  memory.clear();
}
