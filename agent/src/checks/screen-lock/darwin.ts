/** macOS: password-on-wake and the idle timers, managed profile values first. */
import type { Collector } from '../types.js';
import { describeFailure } from '../types.js';
import { macIdleToLock, parsePmsetDisplaySleep, parseScreensaverPrefs, parseSysadminctlScreenLock } from './parse-darwin.js';

export const collectDarwin: Collector<'screen_lock'> = async (ctx) => {
  const [sys, idle, pmset, managed] = await Promise.all([
    ctx.run('sysadminctl', ['-screenLock', 'status']),
    ctx.run('defaults', ['-currentHost', 'read', 'com.apple.screensaver', 'idleTime']),
    ctx.run('pmset', ['-g']),
    ctx.run('plutil', ['-convert', 'xml1', '-o', '-', '/Library/Managed Preferences/com.apple.screensaver.plist']),
  ]);
  const lock = parseSysadminctlScreenLock(`${sys.stdout}\n${sys.stderr}`);
  const m = managed.ok ? parseScreensaverPrefs(managed.stdout) : null;
  // `defaults read` of an unset idleTime fails; macOS's default is 20 minutes.
  const userIdle = idle.ok && /^\d+$/.test(idle.stdout.trim()) ? Number(idle.stdout.trim()) : 1200;
  const ssIdle = m?.idleTime ?? userIdle;
  const displaySleep = pmset.ok ? parsePmsetDisplaySleep(pmset.stdout) : null;
  const enabled = m?.askForPassword ?? lock?.enabled ?? null;
  const delay = m?.delay ?? lock?.delaySeconds ?? 0;
  return {
    facts: { lockEnabled: enabled, idleTimeoutSeconds: enabled ? macIdleToLock(ssIdle, displaySleep, delay) : null, session: 'macos' },
    detail: { screensaverIdle: ssIdle, displaySleepMinutes: displaySleep, lockDelay: delay, managed: !!m },
    reason: enabled === null ? describeFailure('sysadminctl -screenLock status', sys.error) : undefined,
  };
};
