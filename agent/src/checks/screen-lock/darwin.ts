/**
 * macOS: password-on-wake and the idle timers, managed profile values first. The agent
 * normally runs as a root LaunchDaemon, where `defaults -currentHost` would read root's
 * preferences: then the console user (owner of /dev/console) is found and their ByHost
 * com.apple.screensaver plist and per-user managed preferences are read instead.
 */
import type { Collector, ProbeContext } from '../types.js';
import { describeFailure } from '../types.js';
import { macIdleToLock, parsePmsetDisplaySleep, parseScreensaverPrefs, parseSysadminctlScreenLock } from './parse-darwin.js';

type Prefs = ReturnType<typeof parseScreensaverPrefs>;

/** The console user's screensaver preferences (root only): ByHost file and per-user managed file. */
async function consoleUserPrefs(ctx: ProbeContext): Promise<{ user: string | null; byHost: Prefs; managed: Prefs }> {
  const st = await ctx.run('stat', ['-f', '%u %Su', '/dev/console'], { timeoutMs: 5000 });
  const m = st.ok ? /^(\d+)\s+([\w.-]+)\s*$/.exec(st.stdout.trim()) : null;
  if (!m || m[1] === '0') return { user: null, byHost: null, managed: null }; // login window: nobody there
  const user = m[2];
  const plist = async (path: string) => {
    const r = await ctx.run('plutil', ['-convert', 'xml1', '-o', '-', path]);
    return r.ok ? parseScreensaverPrefs(r.stdout) : null;
  };
  const dir = `/Users/${user}/Library/Preferences/ByHost`;
  const list = await ctx.fs.list(dir);
  const file = list.ok ? list.value.find((f) => /^com\.apple\.screensaver\.[\w-]+\.plist$/.test(f)) : undefined;
  const [byHost, managed] = await Promise.all([file ? plist(`${dir}/${file}`) : null, plist(`/Library/Managed Preferences/${user}/com.apple.screensaver.plist`)]);
  return { user, byHost, managed };
}

export const collectDarwin: Collector<'screen_lock'> = async (ctx) => {
  const [sys, idle, pmset, managed, consoleUser] = await Promise.all([
    ctx.run('sysadminctl', ['-screenLock', 'status']),
    ctx.elevated ? null : ctx.run('defaults', ['-currentHost', 'read', 'com.apple.screensaver', 'idleTime']),
    ctx.run('pmset', ['-g']),
    ctx.run('plutil', ['-convert', 'xml1', '-o', '-', '/Library/Managed Preferences/com.apple.screensaver.plist']),
    ctx.elevated ? consoleUserPrefs(ctx) : null,
  ]);
  const lock = parseSysadminctlScreenLock(`${sys.stdout}\n${sys.stderr}`);
  // Computer-level profile first, then a profile scoped to the user.
  const m = (managed.ok ? parseScreensaverPrefs(managed.stdout) : null) ?? consoleUser?.managed ?? null;
  // An unset idleTime (`defaults read` fails, no ByHost key) means macOS's default, 20 minutes.
  const ownIdle = idle?.ok && /^\d+$/.test(idle.stdout.trim()) ? Number(idle.stdout.trim()) : null;
  const userIdle = ownIdle ?? consoleUser?.byHost?.idleTime ?? 1200;
  const ssIdle = m?.idleTime ?? userIdle;
  const displaySleep = pmset.ok ? parsePmsetDisplaySleep(pmset.stdout) : null;
  const enabled = m?.askForPassword ?? lock?.enabled ?? null;
  const delay = m?.delay ?? lock?.delaySeconds ?? 0;
  return {
    facts: { lockEnabled: enabled, idleTimeoutSeconds: enabled ? macIdleToLock(ssIdle, displaySleep, delay) : null, session: 'macos' },
    detail: { screensaverIdle: ssIdle, displaySleepMinutes: displaySleep, lockDelay: delay, managed: !!m, user: consoleUser ? consoleUser.user : undefined },
    reason: enabled === null ? describeFailure('sysadminctl -screenLock status', sys.error) : undefined,
  };
};
