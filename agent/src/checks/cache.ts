/**
 * A small on-disk memo for probe answers that are expensive to compute and only change
 * when a known file changes (apt's simulation: ~2 s of CPU without apt's binary cache).
 * Each entry is one JSON file `{ key, value }`; a hit needs the stored key to equal the
 * caller's key (built from mtimes/sizes of the inputs), so a stale entry is never used.
 *
 * The directory is private (0700) and a cache file is trusted only if this user owns it
 * and nobody else can write it: a planted "0 pending updates" must not turn into a pass.
 */
import { constants, existsSync } from 'node:fs';
import { access, chmod, lstat, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveStateDir } from '../state/paths.js';

const uid = (): number | null => (typeof process.getuid === 'function' ? process.getuid() : null);

/** Is `dir` a directory we own and nobody else may write (POSIX), after creating it? */
async function usable(dir: string): Promise<boolean> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const s = await lstat(dir);
    if (!s.isDirectory()) return false;
    const me = uid();
    if (me !== null) {
      if (s.uid !== me) return false;
      if (s.mode & 0o022) await chmod(dir, 0o700);
    }
    await access(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Where probes keep their memo when the caller names none: the agent's state dir if it
 * is writable (the daemon), else the user's XDG cache, else a per-user temp dir (the
 * `check` CLI run by someone without access to the service's state). null = no cache.
 */
export async function defaultCacheDir(): Promise<string | null> {
  const me = uid();
  // The state dir only when it exists (the agent is installed here): a `check` run must not
  // create the service's /var/lib/posture-agent on a machine where no agent was installed.
  const state = resolveStateDir();
  const candidates = [
    ...(existsSync(state) ? [join(state, 'cache')] : []),
    join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'posture-agent'),
    join(tmpdir(), `posture-agent-cache-${me ?? process.env.USERNAME ?? 'user'}`),
  ];
  for (const dir of candidates) if (await usable(dir)) return dir;
  return null;
}

const fileFor = (dir: string, name: string) => join(dir, `${name.replace(/[^a-z0-9_-]/gi, '_')}.json`);

/** The stored value if the entry exists, is trustworthy and was stored under `key`. */
export async function readCache<T>(dir: string | null | undefined, name: string, key: string): Promise<T | null> {
  if (!dir) return null;
  const file = fileFor(dir, name);
  try {
    const s = await lstat(file);
    const me = uid();
    if (!s.isFile() || (me !== null && (s.uid !== me || s.mode & 0o022))) return null;
    const doc = JSON.parse(await readFile(file, 'utf8')) as { key?: unknown; value?: T };
    return doc && doc.key === key && doc.value !== undefined ? doc.value : null;
  } catch {
    return null;
  }
}

/** Store atomically (temp file + rename); a failure only costs the next cycle a recompute. */
export async function writeCache(dir: string | null | undefined, name: string, key: string, value: unknown): Promise<void> {
  if (!dir) return;
  const file = fileFor(dir, name);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, JSON.stringify({ key, value, storedAt: new Date().toISOString() }), { mode: 0o600 });
    await rename(tmp, file);
  } catch {
    /* read-only or full disk: caching is an optimisation, never a requirement */
  }
}
