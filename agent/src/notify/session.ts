/**
 * Finding the person at the screen. The agent runs as a system service; a notification has
 * to go to the graphical session of the logged-in user: on Linux the local, active x11 or
 * wayland session from logind (fallback: a /run/user/UID/bus socket), on macOS the owner of
 * /dev/console. No session → null, and the caller stays quiet.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { RunFn } from '../exec/runner.js';
import { defaultBus, type DesktopUser } from './commands.js';

export interface LogindSession {
  id: string;
  uid: number;
  user: string;
}

/** `loginctl list-sessions --no-legend`: "SESSION UID USER [SEAT] [TTY] [STATE …]". */
export function parseListSessions(text: string): LogindSession[] {
  const out: LogindSession[] = [];
  for (const line of text.split('\n')) {
    const [id, uid, user] = line.trim().split(/\s+/);
    if (id && /^\d+$/.test(uid ?? '') && user) out.push({ id, uid: Number(uid), user });
  }
  return out;
}

/** `loginctl show-session ID -p …`: key=value lines. */
export function parseProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}

/** Score a session: only local graphical user sessions qualify; the active one wins. */
export function graphicalScore(p: Record<string, string>): number {
  if (!['x11', 'wayland', 'mir'].includes(p.Type)) return 0;
  if (p.Remote === 'yes' || (p.Class && p.Class !== 'user')) return 0;
  if (p.State === 'closing') return 0;
  return p.Active === 'yes' ? 3 : p.State === 'active' ? 2 : 1;
}

/** uid → name from /etc/passwd text. */
export function userNameFor(passwd: string, uid: number): string | null {
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f.length >= 3 && Number(f[2]) === uid && f[0]) return f[0];
  }
  return null;
}

export async function findLinuxDesktopUser(run: RunFn): Promise<DesktopUser | null> {
  const list = await run('loginctl', ['list-sessions', '--no-legend'], { timeoutMs: 5000 });
  if (list.ok) {
    let best: { s: LogindSession; score: number } | null = null;
    for (const s of parseListSessions(list.stdout).slice(0, 20)) {
      const r = await run('loginctl', ['show-session', s.id, '-p', 'Type', '-p', 'Active', '-p', 'Remote', '-p', 'State', '-p', 'Class'], { timeoutMs: 5000 });
      const score = r.ok ? graphicalScore(parseProperties(r.stdout)) : 0;
      if (score > (best?.score ?? 0)) best = { s, score };
    }
    if (best) return { user: best.s.user, uid: best.s.uid, busAddress: defaultBus(best.s.uid) };
  }
  // No logind (or no graphical session it knows of): a user session bus socket is the next best sign.
  try {
    const uids = readdirSync('/run/user').filter((d) => /^\d+$/.test(d) && Number(d) >= 1000 && existsSync(`/run/user/${d}/bus`));
    if (uids.length === 1) {
      const uid = Number(uids[0]);
      const user = userNameFor(readFileSync('/etc/passwd', 'utf8'), uid);
      if (user) return { user, uid, busAddress: defaultBus(uid) };
    }
  } catch {
    /* no /run/user: a server or container without desktop */
  }
  return null;
}

/** Not root: we are the desktop user (e.g. the agent run from a terminal); use our own bus. */
export function selfDesktopUser(): DesktopUser | null {
  const uid = process.getuid?.() ?? -1;
  const bus = process.env.DBUS_SESSION_BUS_ADDRESS ?? (existsSync(`/run/user/${uid}/bus`) ? defaultBus(uid) : null);
  if (!bus) return null;
  return { user: userInfo().username, uid, busAddress: bus };
}

/** macOS: the owner of /dev/console is the logged-in GUI user (root = login window, nobody there). */
export async function findDarwinConsoleUid(run: RunFn): Promise<number | null> {
  const r = await run('stat', ['-f', '%u', '/dev/console'], { timeoutMs: 5000 });
  const uid = r.ok ? Number(r.stdout.trim()) : NaN;
  return Number.isInteger(uid) && uid > 0 ? uid : null;
}
