/**
 * Logged-in user names for the inventory. On Linux one `who` through the runner (allowlisted,
 * absolute path, no shell): systeminformation's users() starts two shells running who, w and
 * tail (eight processes per cycle, `strace -f -e execve`) and keeps only the names we use
 * anyway. macOS and Windows keep systeminformation (who / query user).
 */
import si from 'systeminformation';
import type { RunFn } from '../exec/runner.js';

/**
 * Names from `who` output (coreutils who(1), default format "NAME LINE TIME [COMMENT]", one
 * login per line, e.g. "alice    tty7         2026-12-06 09:12 (:0)"): the first field of
 * each non-empty line, in order, duplicates kept (the caller de-duplicates).
 */
export function parseWho(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const name = line.trim().split(/\s+/)[0];
    if (name) out.push(name);
  }
  return out;
}

/** User names currently logged in; null when the source failed. */
export async function loggedInUsers(platform: NodeJS.Platform, run: RunFn): Promise<string[] | null> {
  if (platform === 'linux') {
    const r = await run('who', []);
    return r.ok ? parseWho(r.stdout) : null;
  }
  return (await si.users()).map((u) => u.user);
}
