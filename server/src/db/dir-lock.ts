/**
 * The embedded store (PGlite) has one owner: two collector processes opening one data directory
 * each run their own in-memory PostgreSQL over the same files, see neither's writes and corrupt
 * them on flush. A lock file holding the owner's pid and boot time refuses the second; a lock
 * whose owner is gone (crash, kill -9) or from before a reboot is stale and taken over.
 */
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { uptime } from 'node:os';
import { join } from 'node:path';

export class DataDirLockedError extends Error {}

const bootAt = () => Date.now() - uptime() * 1000;

function ownerAlive(info: { pid?: unknown; bootAt?: unknown }): boolean {
  if (typeof info.pid !== 'number' || typeof info.bootAt !== 'number' || Math.abs(info.bootAt - bootAt()) > 120_000) return false;
  if (info.pid === process.pid) return false; // our own lock left by a previous open in this process
  try {
    process.kill(info.pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // A killed child not yet reaped is a zombie: gone for our purpose.
    const stat = readFileSync(`/proc/${info.pid}/stat`, 'utf8');
    if (/^\d+ \(.*\) Z/.test(stat)) return false;
  } catch {
    /* not Linux, or gone */
  }
  return true;
}

/** Take the data directory's lock or throw DataDirLockedError naming the owner. Returns release(). */
export function lockDataDir(dir: string): () => void {
  const path = join(dir, 'posture-collector.lock');
  const mine = JSON.stringify({ pid: process.pid, bootAt: bootAt() });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, mine, { flag: 'wx', mode: 0o600 });
      return () => {
        try {
          if (readFileSync(path, 'utf8') === mine) unlinkSync(path);
        } catch {
          /* already gone */
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let info: { pid?: unknown; bootAt?: unknown } = {};
    try {
      info = JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      /* half-written by a crash: stale */
    }
    if (ownerAlive(info))
      throw new DataDirLockedError(`another Posture collector (pid ${String(info.pid)}) is using the embedded store in ${dir}; stop it, or give this one its own POSTURE_DATA_DIR (or a DATABASE_URL shared by both)`);
    try {
      unlinkSync(path);
    } catch {
      /* removed by a concurrent starter; retry the create */
    }
  }
  throw new DataDirLockedError(`could not lock the embedded store in ${dir}; another collector is starting there`);
}
