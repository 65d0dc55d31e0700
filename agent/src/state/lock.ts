/**
 * One running agent per state directory. Two `run` processes on one directory (an agent orphaned by
 * a killed `npm start`, a second terminal, a service plus a manual run) share the spool, sequence
 * counter and key, and take turns replacing each other's connection. The lock holds the owner's pid
 * and boot time; a lock whose owner is gone, or from before a reboot, is stale and taken over.
 */
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { uptime } from 'node:os';
import { files } from './paths.js';

interface LockInfo {
  pid: number;
  bootAt: number;
}

const bootAt = () => Date.now() - uptime() * 1000;

function alive(info: LockInfo): boolean {
  // A different boot: the pid may have been reused by anything since.
  if (!Number.isFinite(info.bootAt) || Math.abs(info.bootAt - bootAt()) > 120_000) return false;
  try {
    process.kill(info.pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (process.platform === 'linux') {
    try {
      // Same boot, pid reused by another program after a crash: not ours.
      if (!readFileSync(`/proc/${info.pid}/cmdline`, 'utf8').split('\0').includes('run')) return false;
    } catch {
      /* unreadable: trust the pid */
    }
  }
  return true;
}

/** Take the directory's run lock; `{ok: false, pid}` when another live agent holds it. */
export function acquireRunLock(dir: string): { ok: true; release(): void } | { ok: false; pid: number } {
  const path = files(dir).lock;
  const mine = JSON.stringify({ pid: process.pid, bootAt: bootAt() });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, mine, { flag: 'wx', mode: 0o600 });
      const release = () => {
        try {
          if (readFileSync(path, 'utf8') === mine) unlinkSync(path);
        } catch {
          /* already gone */
        }
      };
      process.once('exit', release);
      return { ok: true, release };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // No state directory (not enrolled) or a read-only one: the lock is a safeguard, not a
      // precondition; the runtime reports those states in its own words and keeps trying.
      if (code !== 'EEXIST') return { ok: true, release: () => {} };
    }
    let info: LockInfo | null = null;
    try {
      info = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
    } catch {
      /* unreadable or half-written by a crash: stale */
    }
    if (info && typeof info.pid === 'number' && alive(info)) return { ok: false, pid: info.pid };
    try {
      unlinkSync(path);
    } catch {
      /* another starter removed it first; retry the create */
    }
  }
  return { ok: false, pid: -1 };
}

/** Whether a live agent holds the directory's run lock: true, false, or null when it cannot be told (unreadable lock). */
export function runLockHeld(dir: string): boolean | null {
  let text: string;
  try {
    text = readFileSync(files(dir).lock, 'utf8');
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? false : null;
  }
  try {
    const info = JSON.parse(text) as LockInfo;
    return typeof info.pid === 'number' && alive(info);
  } catch {
    return false;
  }
}
